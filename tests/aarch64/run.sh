#!/bin/sh
# tests/aarch64/run.sh: build sageshim for aarch64 on an x86-64 Debian host
# and run the CPU test suites under qemu-aarch64.
#
#   sh tests/aarch64/run.sh            install what is missing (apt-get, root),
#                                      build into build-aarch64, run the suites
#   NO_INSTALL=1 sh tests/aarch64/run.sh    skip the apt-get step
#   AARCH64_REQUIRE_ALL=1 ...          fail when any suite could not run (CI)
#   AARCH64_SUITES="check_redirect check_repair" ...   run only these suites
#                                      (tests/packaging/wheel-check.sh, with
#                                      SS_LIBRARY: the installed library)
#
# Fixtures are still built by the x86-64 nvcc: fatbins and cubins do not
# depend on the host, and the x86-64 host objects among them (libext.so ...)
# are only parsed.  The suites start aarch64 child programs (the fake-driver
# clients, the sageshim command, an aarch64 python3 for the repair suite), so
# the script registers qemu-aarch64-static with binfmt_misc for the run and
# removes the entry afterwards.  Where binfmt_misc cannot be used, suites that
# start children are listed as not run.
# Exit status: 0 when every suite that could run passed.
set -eu
cd "$(dirname "$0")/../.."

BUILD=build-aarch64
TRIPLET=aarch64-linux-gnu
# No `-L /usr/$TRIPLET` for qemu: that sysroot's ld.so comes from
# libc6-arm64-cross (2.36-8cross1) while libc.so.6 is still found in the
# multiarch /lib/aarch64-linux-gnu (libc6:arm64, 2.36-9+deb12u*).  The two
# disagree on ld.so's private data, and every fork()ed child then loops
# forever in glibc's reclaim_stacks.  Without -L both come from libc6:arm64.
unset QEMU_LD_PREFIX
export PKG_CONFIG_PATH=/usr/lib/$TRIPLET/pkgconfig
export PKG_CONFIG_LIBDIR=/usr/lib/$TRIPLET/pkgconfig:/usr/share/pkgconfig
command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH

# ---- packages ----
# The repair suite runs Debian's python3 built for aarch64: its library
# packages are Multi-Arch: same and install beside the host's; the
# interpreter package is not, so it is unpacked into $BUILD/python.
HOST_PYTHON=/usr/bin/python3
PYV=$($HOST_PYTHON -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
ARM_PKGS="libc6:arm64 libelf-dev:arm64 liblz4-dev:arm64 libzstd-dev:arm64 zlib1g-dev:arm64 check:arm64"
[ -n "$PYV" ] && ARM_PKGS="$ARM_PKGS libpython$PYV-stdlib:arm64 libpython$PYV-dev:arm64"
HOST_PKGS="gcc-$TRIPLET libc6-dev-arm64-cross pkg-config"
if [ -z "${NO_INSTALL:-}" ]; then
    export DEBIAN_FRONTEND=noninteractive
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -qq
    # The static build: a dynamic qemu would try to load the aarch64
    # LD_PRELOAD the tests set into itself and print an error for it.
    qemu=qemu-user-static
    apt-cache show qemu-user-static >/dev/null 2>&1 || qemu=qemu-user
    # Multiarch -dev packages must have the host's exact versions; if apt
    # would remove anything of the host to get them, stop.
    plan=$(apt-get install -s -y --no-install-recommends $HOST_PKGS $qemu $ARM_PKGS)
    if printf '%s\n' "$plan" | grep -q '^Remv '; then
        echo "aarch64: installing would remove host packages; not forcing:" >&2
        printf '%s\n' "$plan" | grep '^Remv ' >&2
        exit 2
    fi
    apt-get install -y -qq --no-install-recommends $HOST_PKGS $qemu $ARM_PKGS >/dev/null
fi
QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
[ -n "$QEMU" ] || { echo "aarch64: no qemu-aarch64" >&2; exit 2; }

# ---- binfmt_misc ----
# A private entry, newest first in the kernel's list, so it wins over any
# qemu-aarch64 entry already there.  Flags: F opens the interpreter now;
# C takes credentials from the program, not from qemu, so the setgid suite
# sees AT_SECURE as it would on a real aarch64 machine.
BINFMT=/proc/sys/fs/binfmt_misc
ENTRY=sageshim-aarch64
mounted_binfmt=no
binfmt=no
cleanup() {
    [ -e "$BINFMT/$ENTRY" ] && echo -1 > "$BINFMT/$ENTRY" 2>/dev/null
    [ "$mounted_binfmt" = yes ] && umount "$BINFMT" 2>/dev/null
    return 0
}
trap cleanup EXIT
if [ ! -e "$BINFMT/register" ] && mount -t binfmt_misc binfmt_misc "$BINFMT" 2>/dev/null; then
    mounted_binfmt=yes
fi
if [ -w "$BINFMT/register" ]; then
    [ -e "$BINFMT/$ENTRY" ] && echo -1 > "$BINFMT/$ENTRY"
    magic='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    printf '%s' ":$ENTRY:M::$magic:$mask:$QEMU:FC" > "$BINFMT/register" 2>/dev/null || true
fi
[ -r "$BINFMT/$ENTRY" ] && grep -qx enabled "$BINFMT/$ENTRY" && binfmt=yes
echo "aarch64: qemu $("$QEMU" --version | sed -n 1p), binfmt_misc entry: $binfmt"

# ---- python3 for aarch64 ----
PYTHON_ARM=
if [ -n "$PYV" ] && [ "$binfmt" = yes ]; then
    PYTHON_ARM=$PWD/$BUILD/python/usr/bin/python$PYV
    if [ ! -x "$PYTHON_ARM" ]; then
        rm -rf "$BUILD/python-deb" && mkdir -p "$BUILD/python-deb"
        (cd "$BUILD/python-deb" && apt-get download -q "python$PYV-minimal:arm64" >/dev/null 2>&1) &&
            dpkg-deb -x "$BUILD"/python-deb/python"$PYV"-minimal_*_arm64.deb "$BUILD/python" ||
            echo "aarch64: could not unpack python$PYV-minimal:arm64" >&2
    fi
    # It finds no stdlib beside itself and falls back to /usr, where the
    # arm64 library packages put theirs.
    "$PYTHON_ARM" -c 'import platform, sys; sys.exit(platform.machine() != "aarch64")' 2>/dev/null ||
        PYTHON_ARM=
fi

# ---- build ----
# CC builds everything that runs (library, preload library, tools, tests,
# fake driver, fixture modules); nvcc and CXX (fixture host code that is
# only parsed) stay native.
MAKE_ARGS="BUILD=$BUILD CC=$TRIPLET-gcc PKG_CONFIG=pkg-config"
[ -n "$PYTHON_ARM" ] && MAKE_ARGS="$MAKE_ARGS PYTHON=$PYTHON_ARM"
# The Check programs and what they need, as the Makefile lists them.
lists=$(make --no-print-directory $MAKE_ARGS \
    --eval 'aarch64-lists: ; @echo "$(CHECK_PROGRAMS)"; echo "$(CHECK_DEPS)"' aarch64-lists)
programs=$(printf '%s\n' "$lists" | sed -n 1p)
deps=$(printf '%s\n' "$lists" | sed -n 2p)
make --no-print-directory -j"$(nproc)" $MAKE_ARGS all $deps $programs

file "$BUILD/libsageshim.so" "$BUILD/sageshim"

# ---- run ----
# Suites whose programs start other programs (aarch64 children).
spawns_children() {
    case "$1" in
    */tests/tools/check_tool_json | */tests/hardening/check_trust)
        return 1 ;;
    */tests/shim/check_* | */tests/redirect/check_redirect | */tests/redirect/check_diagnose | \
    */tests/redirect/check_decide | */tests/tools/check_tool_* | */tests/repair/check_* | \
    */tests/hardening/check_* | */tests/cuda12/check_cuda12_redirect | \
    */tests/hotfix/check_hotfix | */tests/hotfix/check_doctor_plan)
        return 0 ;;
    esac
    return 1
}

export BUILD SS_FIXTURES=$BUILD/fixtures
passed=0 failed=0 failed_names= not_run=
for prog in $programs; do
    if [ -n "${AARCH64_SUITES:-}" ]; then
        case " $AARCH64_SUITES " in *" ${prog##*/} "*) ;; *) continue ;; esac
    fi
    if [ "$binfmt" = no ] && spawns_children "$prog"; then
        not_run="$not_run $prog"
        continue
    fi
    if [ -z "$PYTHON_ARM" ] && [ "${prog##*/}" = check_repair ]; then
        not_run="$not_run $prog"
        continue
    fi
    echo "== $prog (qemu-aarch64)"
    if timeout 600 "$QEMU" "$prog"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failed_names="$failed_names $prog"
    fi
done
[ -n "$not_run" ] &&
    echo "not run (start aarch64 child programs: no binfmt_misc entry, or no aarch64 python3):$not_run"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "aarch64 checks: $passed passed, $failed failed"
# CI sets AARCH64_REQUIRE_ALL: the README's matrix claims every suite.
if [ -n "${AARCH64_REQUIRE_ALL:-}" ] && [ -n "$not_run" ]; then
    echo "aarch64: AARCH64_REQUIRE_ALL is set and some suites did not run" >&2
    exit 1
fi
[ "$failed" -eq 0 ]
