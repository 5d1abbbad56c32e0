#!/bin/sh
# tests/packaging/wheel-check.sh: sageshim installs, upgrades and uninstalls
# like a package (issue 22).  From a clean clone of HEAD:
#   - a build with no nvcc anywhere (CUDA headers only) gives the library,
#     the command and the repair, says once that the bundle is skipped, and
#     installs with no CUDA variable; doctor then says there is no bundle
#   - `make wheel` and `make wheel-aarch64` give manylinux wheels holding
#     the install tree, the same hotfix bundle in both
#   - the x86-64 wheel in a fresh venv: every dependency of the library and
#     the command resolves in the wheel or to the system's C library (and
#     libz.so.1, which the manylinux policy counts as the system's); the
#     command, doctor, the config and bundle beside the library, and the
#     redirect and repair suites through the installed library (SS_LIBRARY)
#   - the aarch64 wheel unpacked into a prefix: the same under qemu
#   - pip uninstall and make uninstall leave nothing behind; a second
#     make install keeps an edited configuration
# The suites come from this checkout's build (make check builds them;
# built here when missing).  Needs network to PyPI (auditwheel) and, for the
# aarch64 part, what tests/aarch64/run.sh installs (installed when missing).
# Closing line: "N passed, M failed"; exit 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
repo=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wheel-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {
    if [ "$2" = 0 ]; then
        echo "PASS wheel: $1"; passed=$((passed + 1))
    else
        echo "FAIL wheel: $1"; failed=$((failed + 1))
    fi
}
# A file list of a tree, for before/after comparisons.
tree() { (cd "$1" && find . | sort); }
files() { (cd "$1" && find . ! -type d ! -path '*/__pycache__/*' | sort); }
version=$(sed -n 's/^#define SAGESHIM_VERSION "\(.*\)"/\1/p' lib/base/version.h)
command -v nvcc >/dev/null || PATH=/usr/local/cuda/bin:$PATH
TRIPLET=aarch64-linux-gnu

# ---- packages: venv (Debian's python3 has no ensurepip without it), git,
# and tests/aarch64/run.sh's for the aarch64 wheel, when missing ----
if ! python3 -c 'import ensurepip' 2>/dev/null || ! command -v git >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3-venv git >/dev/null
fi
if ! command -v $TRIPLET-gcc >/dev/null || [ ! -f /usr/lib/$TRIPLET/pkgconfig/libelf.pc ] ||
    ! command -v qemu-aarch64-static >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends gcc-$TRIPLET libc6-dev-arm64-cross \
        qemu-user-static libc6:arm64 libelf-dev:arm64 liblz4-dev:arm64 libzstd-dev:arm64 \
        zlib1g-dev:arm64 >/dev/null
fi

git clone -q "$repo" "$tmp/src"
check "clean clone of HEAD" $?
src=$tmp/src

# ---- no nvcc: CUDA headers only, no toolkit directory on PATH ----
mkdir -p "$tmp/cuda-headers"
ln -s "${CUDA_HOME:-/usr/local/cuda}/include" "$tmp/cuda-headers/include"
nonvcc_path=$(printf '%s\n' "$PATH" | tr ':' '\n' | while read -r d; do
    [ -n "$d" ] && [ ! -x "$d/nvcc" ] && printf '%s:' "$d"; done)
(cd "$src" && PATH=$nonvcc_path make -j2 CUDA_HOME="$tmp/cuda-headers" BUILD=build-nonvcc) \
    >"$tmp/nonvcc.log" 2>&1
check "make with no nvcc succeeds" $?
[ "$(grep -c 'hotfix bundle (the long-sequence fix) is not built' "$tmp/nonvcc.log")" = 1 ]
check "make with no nvcc says once that the bundle is skipped: $(grep '^kernels:' "$tmp/nonvcc.log")" $?
[ -f "$src/build-nonvcc/libsageshim.so" ] && [ -x "$src/build-nonvcc/sageshim" ] &&
    [ -f "$src/build-nonvcc/libsscore.a" ] && [ ! -e "$src/build-nonvcc/kernels/MANIFEST" ]
check "no nvcc: library, command and core library built, no bundle" $?
(cd "$src" && env -u CUDA_HOME PATH=$nonvcc_path make install BUILD=build-nonvcc \
    DESTDIR="$tmp/nonvcc-root" PREFIX=/usr/local) >"$tmp/nonvcc-install.log" 2>&1
check "no nvcc: make install needs no CUDA variable" $?
nroot=$tmp/nonvcc-root/usr/local
[ -f "$nroot/lib/libsageshim.so" ] && [ ! -e "$nroot/share/sageshim/kernels" ] &&
    grep -q 'no hotfix bundle was built' "$tmp/nonvcc-install.log"
check "no nvcc: installed without a bundle, and said so" $?
(cd "$tmp" && "$nroot/bin/sageshim" doctor) >"$tmp/nonvcc-doctor.out" 2>&1
grep -q "no .*bundle at $nroot" "$tmp/nonvcc-doctor.out"
check "no nvcc: doctor says there is no bundle" $?
[ -x build/tests/repair/check_repair ] || make -j2 build/tests/repair/check_repair >/dev/null 2>&1
SS_LIBRARY=$nroot/lib/libsageshim.so build/tests/repair/check_repair >"$tmp/nonvcc-repair.log" 2>&1
check "no nvcc: the repair suite passes with that library" $?

# ---- the wheels ----
(cd "$src" && make -j2 wheel) >"$tmp/wheel.log" 2>&1
check "make wheel" $?
(cd "$src" && make -j2 wheel-aarch64) >"$tmp/wheel-aarch64.log" 2>&1
check "make wheel-aarch64" $?
whl=$(ls "$src"/build/wheel/sageshim-"$version"-py3-none-manylinux_2_*_x86_64.whl 2>/dev/null)
[ -n "$whl" ]
check "x86-64 wheel: ${whl##*/}" $?
whl_arm=$(ls "$src"/build-aarch64/wheel/sageshim-"$version"-py3-none-manylinux_2_*_aarch64.whl 2>/dev/null)
[ -n "$whl_arm" ]
check "aarch64 wheel: ${whl_arm##*/}" $?
data=sageshim-$version.data/data
for w in "$whl" "$whl_arm"; do
    unzip -Z1 "$w" >"$tmp/list" 2>/dev/null
    ok=0
    for f in bin/sageshim lib/libsageshim.so etc/sageshim.conf share/sageshim/kernels/MANIFEST \
        share/sageshim/kernels/sageshim_fused.fatbin share/man/man1/sageshim.1 \
        share/man/man5/sageshim.conf.5; do
        grep -qx "$data/$f" "$tmp/list" || { echo "  missing $f"; ok=1; }
    done
    for l in libelf liblz4 libzstd; do
        grep -q "^$data/lib/sageshim.libs/$l-" "$tmp/list" || { echo "  missing $l"; ok=1; }
    done
    check "${w##*/} holds the install tree and libelf, liblz4, libzstd" $ok
done
(cd "$tmp" && mkdir x a && unzip -q -d x "$whl" && unzip -q -d a "$whl_arm")
cmp -s "$tmp/x/$data/share/sageshim/kernels/sageshim_fused.fatbin" \
    "$tmp/a/$data/share/sageshim/kernels/sageshim_fused.fatbin"
check "both wheels carry the same hotfix bundle" $?

# ---- the x86-64 wheel in a fresh venv ----
python3 -m venv "$tmp/venv"
check "python3 -m venv" $?
venv=$tmp/venv
files "$venv" >"$tmp/venv-before"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$whl"
check "pip install ${whl##*/}" $?
# Every dependency in the wheel's libs or the C library (libz.so.1: the
# manylinux policy's, present on every system; auditwheel leaves it).
ldd_ok() {
    out=$(env -u LD_LIBRARY_PATH ldd "$1" 2>&1) || return 1
    printf '%s\n' "$out" | awk -v libs="$2/" '
        /not found/ { bad = 1; print "  " $0 }
        /=>/ && index($3, libs) != 1 && $1 !~ /^(libc\.so\.6|libz\.so\.1|ld-linux.*)$/ {
            bad = 1; print "  " $0 }
        END { exit bad }'
}
ldd_ok "$venv/lib/libsageshim.so" "$venv/lib/sageshim.libs"
check "ldd libsageshim.so: resolved in lib/sageshim.libs or libc" $?
ldd_ok "$venv/bin/sageshim" "$venv/bin/../lib/sageshim.libs"
check "ldd bin/sageshim: resolved in lib/sageshim.libs or libc" $?
[ "$("$venv/bin/sageshim" --version)" = "sageshim $version" ]
check "venv sageshim --version" $?
(cd "$tmp" && "$venv/bin/sageshim" doctor) >"$tmp/doctor.out" 2>&1
status=$?
# No SageAttention here: "nothing to check" (exit 3); doctor prints paths
# without "/lib/..".
[ "$status" -eq 3 ] && grep -q "$venv/lib/libsageshim.so" "$tmp/doctor.out" &&
    grep -q "$venv/etc/sageshim.conf" "$tmp/doctor.out" &&
    grep -q "$venv/share/sageshim/kernels: label sageshim-fused@" "$tmp/doctor.out"
check "venv sageshim doctor: the venv's library, config and bundle (exit $status)" $?
[ "$("$venv/bin/sageshim" run -- sh -c 'echo "$LD_PRELOAD"')" = "$venv/lib/libsageshim.so" ]
check "venv sageshim run preloads the venv's library" $?
log=$(env -u SAGESHIM_CONF -u XDG_CONFIG_HOME HOME="$tmp" SAGESHIM_LOG_LEVEL=debug \
    LD_PRELOAD="$venv/lib/libsageshim.so" /bin/true 2>&1)
echo "$log" | grep -q "config=$venv/lib/../etc/sageshim.conf bundle=$venv/lib/../share/sageshim/kernels"
check "venv library reads the venv's config and bundle: $log" $?
for suite in redirect/check_redirect repair/check_repair; do
    [ -x "build/tests/$suite" ] || make -j2 "build/tests/$suite" fixtures >/dev/null 2>&1
    SS_LIBRARY=$venv/lib/libsageshim.so BUILD=build "build/tests/$suite" >"$tmp/suite.log" 2>&1
    check "$suite through the venv's library ($(tail -n 1 "$tmp/suite.log"))" $?
done
"$venv/bin/python" -m pip uninstall --quiet --yes sageshim
check "pip uninstall sageshim" $?
# Files only: pip leaves the empty directories share/, share/man/ ... (its
# RECORD lists no directories).
files "$venv" >"$tmp/venv-after"
diff "$tmp/venv-before" "$tmp/venv-after"
check "pip uninstall leaves no file behind" $?

# ---- the aarch64 wheel under qemu ----
QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64)
arm=$tmp/arm
mkdir -p "$arm" && cp -a "$tmp/a/$data/." "$arm/"
"$QEMU" /lib/ld-linux-aarch64.so.1 --list "$arm/lib/libsageshim.so" >"$tmp/arm-ldd" 2>&1 &&
    awk -v libs="$arm/lib/sageshim.libs/" '/=>/ && index($3, libs) != 1 &&
        $1 !~ /^(libc\.so\.6|libz\.so\.1)$/ { bad = 1; print "  " $0 } END { exit bad }' "$tmp/arm-ldd"
check "aarch64 libsageshim.so: resolved in lib/sageshim.libs or libc (qemu ld.so --list)" $?
"$QEMU" /lib/ld-linux-aarch64.so.1 --list "$arm/bin/sageshim" >"$tmp/arm-ldd" 2>&1 &&
    awk -v libs="$arm/bin/../lib/sageshim.libs/" '/=>/ && index($3, libs) != 1 &&
        $1 !~ /^(libc\.so\.6|libz\.so\.1)$/ { bad = 1; print "  " $0 } END { exit bad }' "$tmp/arm-ldd"
check "aarch64 bin/sageshim: resolved in lib/sageshim.libs or libc" $?
[ "$("$QEMU" "$arm/bin/sageshim" --version)" = "sageshim $version" ]
check "aarch64 sageshim --version (qemu)" $?
(cd "$tmp" && "$QEMU" "$arm/bin/sageshim" doctor) >"$tmp/arm-doctor.out" 2>&1
grep -q "$arm/share/sageshim/kernels: label sageshim-fused@" "$tmp/arm-doctor.out"
check "aarch64 sageshim doctor finds the bundle beside the library (qemu)" $?
NO_INSTALL=1 AARCH64_SUITES="check_redirect check_repair" SS_LIBRARY=$arm/lib/libsageshim.so \
    sh tests/aarch64/run.sh >"$tmp/arm-suites.log" 2>&1 &&
    [ "$(tail -n 1 "$tmp/arm-suites.log")" = "aarch64 checks: 2 passed, 0 failed" ]
check "aarch64 redirect and repair suites through the wheel's library ($(tail -n 1 "$tmp/arm-suites.log"))" $?

# ---- make install / uninstall ----
root=$tmp/inst/usr/local
mkdir -p "$tmp/inst"
tree "$tmp/inst" >"$tmp/inst-before"
(cd "$src" && make install DESTDIR="$tmp/inst" PREFIX=/usr/local) >/dev/null 2>&1
check "make install" $?
[ -f "$root/share/sageshim/installed-files" ] &&
    [ "$(grep -cv '/$' "$root/share/sageshim/installed-files")" = 8 ]
check "make install writes the manifest of its 8 files" $?
(cd "$src" && make uninstall DESTDIR="$tmp/inst" PREFIX=/usr/local) >/dev/null 2>&1
check "make uninstall" $?
tree "$tmp/inst" | grep -v '^\./usr$\|^\./usr/local$' | diff "$tmp/inst-before" -
check "make uninstall leaves nothing behind" $?
(cd "$src" && make install DESTDIR="$tmp/inst" PREFIX=/usr/local) >/dev/null 2>&1
echo "log_level = debug" >>"$root/etc/sageshim.conf"
cp "$root/etc/sageshim.conf" "$tmp/edited.conf"
(cd "$src" && make install DESTDIR="$tmp/inst" PREFIX=/usr/local) >"$tmp/reinstall.log" 2>&1
cmp -s "$root/etc/sageshim.conf" "$tmp/edited.conf" &&
    cmp -s "$root/etc/sageshim.conf.default" "$src/sageshim.conf" &&
    [ "$(grep -c 'kept your .*sageshim.conf (edited)' "$tmp/reinstall.log")" = 1 ]
check "a second make install keeps the edited config, the default beside it, one line" $?
(cd "$src" && make uninstall DESTDIR="$tmp/inst" PREFIX=/usr/local) >"$tmp/uninstall.log" 2>&1
[ "$(cd "$root" && find . -type f)" = "./etc/sageshim.conf" ] &&
    grep -q 'kept .*sageshim.conf (edited)' "$tmp/uninstall.log"
check "make uninstall keeps only the edited config, and says so" $?

echo "wheel: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
