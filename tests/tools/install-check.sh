#!/bin/sh
# install-check.sh: `make install DESTDIR=...` gives a tree that works when
# run from there: the command finds the installed library, the library finds
# the installed config and bundle directory, the man pages are in place.
# Prints "install: N passed, M failed"; exit 1 on any failure.
set -u
: "${BUILD:=build}"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
passed=0
failed=0
check() {
    if [ "$2" = 0 ]; then
        echo "PASS install: $1"; passed=$((passed + 1))
    else
        echo "FAIL install: $1"; failed=$((failed + 1))
    fi
}

make --no-print-directory BUILD="$BUILD" install PREFIX=/usr/local DESTDIR="$dest" >"$dest.log" 2>&1
check "make install" $?
root=$dest/usr/local
for f in bin/sageshim lib/libsageshim.so etc/sageshim.conf share/man/man1/sageshim.1 \
    share/man/man5/sageshim.conf.5; do
    [ -f "$root/$f" ]
    check "$f installed" $?
done
[ -d "$root/share/sageshim/kernels" ]
check "share/sageshim/kernels installed" $?

# The default bundle: our corrected _fused kernels and their MANIFEST, whose
# hotfix line carries the installed file's hash; never the 32-bit stand-in.
kdir=$root/share/sageshim/kernels
for f in sageshim_fused.fatbin MANIFEST; do
    [ -f "$kdir/$f" ]
    check "share/sageshim/kernels/$f installed" $?
done
listed=$(sed -n 's/^hotfix sageshim_fused\.fatbin .*sha256=\([0-9a-f]*\).*/\1/p' "$kdir/MANIFEST" 2>/dev/null)
actual=$(sha256sum "$kdir/sageshim_fused.fatbin" 2>/dev/null | cut -d' ' -f1)
[ -n "$listed" ] && [ "$listed" = "$actual" ]
check "MANIFEST hash of sageshim_fused.fatbin matches the installed file ($listed)" $?
[ ! -e "$kdir/sageshim_fused_index32.fatbin" ] && [ ! -e "$kdir/sageshim_fused_ptx80.fatbin" ]
check "test builds of the kernels are not installed" $?
"$root/bin/sageshim" inspect "$kdir/sageshim_fused.fatbin" 2>/dev/null |
    grep -q '_Z15MeanScaleKernelILj64ELb1E13__nv_bfloat16EvPT1_PaPfS4_fjjjjjjjjjjj'
check "installed sageshim inspect reads the installed kernels" $?

"$root/bin/sageshim" inspect "$BUILD/fixtures/kernels_none.fatbin" | grep -q '_Z5mixedcsd3BigPi'
check "installed sageshim inspect reads a fatbin" $?

preload=$("$root/bin/sageshim" run -- sh -c 'echo "$LD_PRELOAD"')
[ "$preload" = "$root/lib/libsageshim.so" ] || [ "${preload#"$root/lib/libsageshim.so:"}" != "$preload" ]
check "sageshim run preloads the installed library ($preload)" $?

# The installed library reads the installed config and names the installed bundle
# (in its start-up line, which /bin/true - touching no CUDA - gets at debug level only).
quiet=$(env -u SAGESHIM_CONF -u XDG_CONFIG_HOME HOME="$dest" LD_PRELOAD="$root/lib/libsageshim.so" \
    /bin/true 2>&1)
[ -z "$quiet" ]
check "library is silent in a process that touches no CUDA: $quiet" $?
log=$(env -u SAGESHIM_CONF -u XDG_CONFIG_HOME HOME="$dest" SAGESHIM_LOG_LEVEL=debug \
    LD_PRELOAD="$root/lib/libsageshim.so" /bin/true 2>&1)
echo "$log" | grep -q "config=$root/lib/../etc/sageshim.conf\|config=$root/etc/sageshim.conf"
check "library finds etc/sageshim.conf beside it: $log" $?
echo "$log" | grep -q "bundle=$root/lib/../share/sageshim/kernels\|bundle=$root/share/sageshim/kernels"
check "library defaults to the installed bundle directory" $?

"$root/bin/sageshim" doctor >"$dest/doctor.out" 2>&1
grep -q "$root" "$dest/doctor.out"
check "installed doctor reports the installed config" $?

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
