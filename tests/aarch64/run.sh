#!/bin/sh
# tests/aarch64/run.sh: build sageshim for aarch64 on an x86-64 Debian host
# and run the CPU test suites under qemu-aarch64.
#
#   sh tests/aarch64/run.sh            install what is missing (apt-get, root),
#                                      build into build-aarch64, run the suites
#   NO_INSTALL=1 sh tests/aarch64/run.sh    skip the apt-get step
#
# Fixtures are still built by the x86-64 nvcc: fatbins and cubins do not
# depend on the host, and the x86-64 host objects among them (libext.so ...)
# are only parsed.  Test programs run explicitly through qemu-aarch64; a
# suite that starts child programs (the preload-library harness, the
# command-line suites) needs binfmt_misc to run aarch64 children and is
# listed as not run when binfmt_misc has no aarch64 entry.
# Exit status: 0 when every suite that could run passed.
set -eu
cd "$(dirname "$0")/../.."

BUILD=build-aarch64
TRIPLET=aarch64-linux-gnu
SYSROOT=/usr/$TRIPLET
export QEMU_LD_PREFIX=$SYSROOT
export PKG_CONFIG_PATH=/usr/lib/$TRIPLET/pkgconfig
export PKG_CONFIG_LIBDIR=/usr/lib/$TRIPLET/pkgconfig:/usr/share/pkgconfig
command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH

# ---- packages ----
ARM_PKGS="libc6:arm64 libelf-dev:arm64 liblz4-dev:arm64 libzstd-dev:arm64 zlib1g-dev:arm64 check:arm64"
HOST_PKGS="gcc-$TRIPLET libc6-dev-arm64-cross pkg-config"
if [ -z "${NO_INSTALL:-}" ]; then
    export DEBIAN_FRONTEND=noninteractive
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -qq
    qemu=qemu-user
    apt-cache show qemu-user >/dev/null 2>&1 || qemu=qemu-user-static
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
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
[ -n "$QEMU" ] || { echo "aarch64: no qemu-aarch64" >&2; exit 2; }

# ---- build ----
# CC builds everything that runs (library, preload library, tools, tests,
# fake driver, fixture modules); nvcc and CXX (fixture host code that is
# only parsed) stay native.
MAKE_ARGS="BUILD=$BUILD CC=$TRIPLET-gcc PKG_CONFIG=pkg-config"
# The Check programs and what they need, as the Makefile lists them.
lists=$(make --no-print-directory $MAKE_ARGS \
    --eval 'aarch64-lists: ; @echo "$(CHECK_PROGRAMS)"; echo "$(CHECK_DEPS)"' aarch64-lists)
programs=$(printf '%s\n' "$lists" | sed -n 1p)
deps=$(printf '%s\n' "$lists" | sed -n 2p)
make --no-print-directory -j"$(nproc)" $MAKE_ARGS all $deps $programs

file "$BUILD/libsageshim.so" "$BUILD/sageshim"

# ---- run ----
binfmt=no
if [ -r /proc/sys/fs/binfmt_misc/qemu-aarch64 ] &&
   grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64; then
    binfmt=yes
fi
# Suites whose programs start other programs (aarch64 children).
spawns_children() {
    case "$1" in
    */tests/tools/check_tool_json | */tests/hardening/check_trust)
        return 1 ;;
    */tests/shim/check_* | */tests/redirect/check_redirect | */tests/redirect/check_diagnose | \
    */tests/redirect/check_decide | */tests/tools/check_tool_* | */tests/repair/check_* | \
    */tests/hardening/check_* | */tests/cuda12/check_cuda12_redirect)
        return 0 ;;
    esac
    return 1
}

# Check's fork mode hangs under qemu-user 7.2 (the forked test child spins
# and is never reaped), so tests run in the suite's own process.
export BUILD SS_FIXTURES=$BUILD/fixtures CK_FORK=no
passed=0 failed=0 failed_names= not_run=
for prog in $programs; do
    if [ "$binfmt" = no ] && spawns_children "$prog"; then
        not_run="$not_run $prog"
        continue
    fi
    echo "== $prog (qemu-aarch64)"
    if timeout 600 "$QEMU" -L "$SYSROOT" "$prog"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failed_names="$failed_names $prog"
    fi
done
[ -n "$not_run" ] &&
    echo "not run (start aarch64 child programs; binfmt_misc has no qemu-aarch64 entry):$not_run"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "aarch64 checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
