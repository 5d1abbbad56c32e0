#!/bin/sh
# run.sh: the GPU suite's host programs and library on the CUDA 12.x runtime,
# with device code from the 13.0 compiler and from the 12.x compiler.
#
#   sh tests/gpu/cuda12/run.sh prepare               build machine, no GPU
#   sh tests/gpu/cuda12/run.sh [run] [CUDART12_DIR]  GPU machine
#
# Part 1 (13.0 device code): PyPI has no 12.x nvcc, so the programs and the
# library are compiled by the installed nvcc 13.0 and linked against
# libcudart.so.12 instead of .13: every runtime call, the fatbin registration
# included, goes through the 12.x runtime, which reaches the driver through
# its own cuGetProcAddress requests.
#
# Part 2 (12.x device code): the same module, its kernels
# (tests/gpu/wrongsm90_kernels.cuh) compiled by NVRTC 12.9 to PTX and by the
# 12.9 ptxas to sm_80 + sm_90a cubins, packed with LZ4 by fatbinary, embedded
# and registered by hand (tests/gpu/cuda12/wrongsm90_reg.c, host C compiler).
# The shim redirects it to the suite's 13.0-built bundle: 12.x original,
# 13.0 replacement.  The GPU machine has no network and no pip, so `prepare`
# builds all of this here into CUDA12_DEVICE (about 1 MB, libcudart.so.12
# included); carry that directory to the GPU machine.
#
# Environment:
#   BUILD          build directory (default build): libsageshim.so and
#                  sageshim (make), gpu/ (tests/gpu/build.sh, run if missing)
#   CUDA12_DEVICE  what prepare writes and run reads (default $BUILD/cuda12-device)
#   CUDA_HOME      the 13.0 toolkit (default /usr/local/cuda): nvcc, fatbinary
# prepare only:
#   CUDA12_TOOLS   the 12.x wheels (default $BUILD/cuda12; installed there by
#                  tests/cuda12/get-toolchain.sh when missing, which needs pip
#                  and network): libnvrtc.so.12, ptxas, libcudart.so.12, headers
#   NVRTC12        the nvrtc12 tool (default $BUILD/tests/cuda12/nvrtc12, made
#                  from tests/cuda12/nvrtc12.c when missing)
#   DEVICE_COMPILER  nvrtc12 (default), or nvcc13 to try the script without
#                  NVRTC: 13.0 cubins (ABI 2), which prepare and run reject
#   CC             host C compiler for the library (default cc)
# run: CUDART12_DIR holds libcudart.so.12 (default $CUDA12_DEVICE/lib, the
# runtime prepare copied from the wheel).
# Prints PASS/FAIL lines and "cuda12: N passed, M failed"; exit 1 on failure,
# 2 when it cannot start (no GPU, missing inputs).
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
NVCC=${NVCC:-$CUDA_HOME/bin/nvcc}
P=${CUDA12_DEVICE:-$BUILD/cuda12-device}
case $P in /*) ;; *) P=$ROOT/$P ;; esac
G=$BUILD/gpu
C=$G/cuda12
SHIM=$BUILD/libsageshim.so
SAGESHIM=$BUILD/sageshim
MODULE_FILE=_qattn_sm90.cpython-312-x86_64-linux-gnu.so
LIB=$C/site/sageattention/$MODULE_FILE
LIB12=$P/site/sageattention/$MODULE_FILE
# The corrected bundle's label and file (tests/gpu/build.sh).
BUNDLE_FILE="gpu-suite@test _qattn_sm90.fatbin"

die() {
    echo "cuda12: $*" >&2
    exit 2
}

# sm_90a_elf_abi FILE: the "elf abi N" that `sageshim inspect` prints under
# FILE's sm_90a entry ("" if none).
sm_90a_elf_abi() {
    "$SAGESHIM" inspect "$1" | awk '
        / entry [0-9]+: / { in90a = ($4 == "sm_90a") }
        in90a && /^ +elf abi / { print $3; exit }'
}

# ---- prepare: the 12.x device code and the library, on the build machine ----

prepare() {
    tools=${CUDA12_TOOLS:-$BUILD/cuda12}
    case $tools in /*) ;; *) tools=$ROOT/$tools ;; esac
    compiler=${DEVICE_COMPILER:-nvrtc12}
    nvrtc12=${NVRTC12:-$BUILD/tests/cuda12/nvrtc12}
    fatbinary=$CUDA_HOME/bin/fatbinary
    cc=${CC:-cc}
    log=$P/build.log

    [ -x "$fatbinary" ] || die "no fatbinary at $fatbinary (set CUDA_HOME)"
    command -v "$cc" >/dev/null || die "no host C compiler ($cc)"
    [ -x "$SAGESHIM" ] || die "$SAGESHIM missing: make BUILD=${BUILD#"$ROOT"/} first"
    sh tests/cuda12/get-toolchain.sh "$tools" ||
        die "no CUDA 12.x wheels in $tools (tests/cuda12/get-toolchain.sh needs pip and network)"
    runtime=$tools/nvidia/cuda_runtime
    ptxas=$tools/nvidia/cuda_nvcc/bin/ptxas
    nvrtc_lib=$tools/nvidia/cuda_nvrtc/lib/libnvrtc.so.12
    [ -f "$runtime/lib/libcudart.so.12" ] || die "no libcudart.so.12 in $runtime/lib"
    [ -f "$runtime/include/cuda_runtime_api.h" ] || die "no cuda_runtime_api.h in $runtime/include"

    rm -rf "$P"
    mkdir -p "$P/lib" "$P/site/sageattention" || die "cannot create $P"
    : >"$log"

    # The device code, for setup.py's two architectures.
    case $compiler in
    nvrtc12)
        [ -f "$nvrtc_lib" ] || die "no libnvrtc.so.12 in $tools (an older get-toolchain.sh?)"
        [ -x "$ptxas" ] || die "no 12.x ptxas at $ptxas"
        if [ ! -x "$nvrtc12" ]; then
            [ -z "${NVRTC12:-}" ] || die "NVRTC12=$nvrtc12 is not an executable"
            make --no-print-directory BUILD="${BUILD#"$ROOT"/}" "${nvrtc12#"$ROOT"/}" >>"$log" 2>&1 ||
                die "cannot build $nvrtc12 (see $log)"
        fi
        # NVRTC's PTX, assembled by the 12.9 ptxas: what nvcc 12.9 does
        # (and what tests/cuda12/module.mk does for the CPU fixtures).
        for arch in 80 90a; do
            if ! "$nvrtc12" --lib "$nvrtc_lib" --ptx -o "$P/wrongsm90_$arch.ptx" \
                -arch=compute_$arch -I tests/gpu tests/gpu/wrongsm90_kernels.cuh >>"$log" 2>&1 ||
                ! "$ptxas" -arch=sm_$arch "$P/wrongsm90_$arch.ptx" -o "$P/wrongsm90_sm$arch.cubin" \
                    >>"$log" 2>&1; then
                cat "$log"
                die "cannot compile wrongsm90_kernels.cuh for sm_$arch"
            fi
        done
        grep '^nvrtc12: nvrtc' "$log" | head -n 1 | sed 's/^nvrtc12: //; s/ (.*//' >"$P/COMPILER"
        "$ptxas" --version | grep -o 'release [0-9.]*, V[0-9.]*' | sed 's/^/ptxas /' >>"$P/COMPILER"
        ;;
    nvcc13)
        for arch in 80 90a; do
            "$NVCC" -cubin -arch=sm_$arch -I tests/gpu -x cu tests/gpu/wrongsm90_kernels.cuh \
                -o "$P/wrongsm90_sm$arch.cubin" >>"$log" 2>&1 ||
                { cat "$log"; die "nvcc -cubin sm_$arch failed"; }
        done
        echo "nvcc 13.0 -cubin (DEVICE_COMPILER=nvcc13: not 12.x device code)" >"$P/COMPILER"
        ;;
    *) die "DEVICE_COMPILER=$compiler: use nvrtc12 or nvcc13" ;;
    esac

    # Packed as 12.x torch builds pack (-Xfatbin -compress-all; 12.x's
    # default mode is LZ4).
    "$fatbinary" -64 --create="$P/wrongsm90_12.fatbin" --compress-mode=speed -compress-all \
        --image3=kind=elf,sm=80,file="$P/wrongsm90_sm80.cubin" \
        --image3=kind=elf,sm=90a,file="$P/wrongsm90_sm90a.cubin" >>"$log" 2>&1 ||
        { cat "$log"; die "fatbinary failed"; }

    # The library, linked against the 12.x runtime alone; it finds the copy
    # in $P/lib from wherever $P is carried.
    cp "$runtime/lib/libcudart.so.12" "$P/lib/" || die "cannot copy libcudart.so.12"
    # shellcheck disable=SC2016  # $ORIGIN is for the dynamic linker
    "$cc" -std=c11 -O2 -g -Wall -Wextra -fPIC -shared -fvisibility=hidden \
        -I tests/gpu -I "$runtime/include" -DWRONG12_FATBIN="\"$P/wrongsm90_12.fatbin\"" \
        tests/gpu/cuda12/wrongsm90_reg.c -o "$LIB12" -L"$P/lib" -l:libcudart.so.12 \
        -Wl,-rpath,'$ORIGIN/../../lib' -Wl,--no-undefined >>"$log" 2>&1 ||
        { cat "$log"; die "cannot build $LIB12"; }

    # What the GPU run relies on, checked here.
    bad=0
    exports=$(nm -D --defined-only "$LIB12" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
    if [ "$exports" != "wrong_init wrong_scale wrong_scale_cluster wrong_scale_smem " ]; then
        echo "cuda12 prepare: exports are '$exports', want the four wrong_* functions" >&2
        bad=1
    fi
    runtimes=$(ldd "$LIB12" | grep -o 'libcudart[^ ]*' | sort -u | tr '\n' ' ')
    if [ "$runtimes" != "libcudart.so.12 " ]; then
        echo "cuda12 prepare: runtimes linked: '$runtimes', want libcudart.so.12 only" >&2
        bad=1
    fi
    entries=$("$SAGESHIM" inspect "$LIB12" | awk '/ entry [0-9]+: / { print $4 }' | tr '\n' ' ')
    if [ "$entries" != "sm_80 sm_90a " ]; then
        echo "cuda12 prepare: embedded entries '$entries', want 'sm_80 sm_90a '" >&2
        bad=1
    fi
    if [ "$(sm_90a_elf_abi "$LIB12")" != 1 ]; then
        echo "cuda12 prepare: the sm_90a cubin is not ELF ABI 1 (12.x):" >&2
        "$SAGESHIM" inspect "$LIB12" | grep -E ' entry |elf abi' >&2
        bad=1
    fi
    [ "$bad" -eq 0 ] || die "prepared library is not right ($LIB12)"
    echo "cuda12 prepare: done, device code by $(tr '\n' ';' <"$P/COMPILER")"
    echo "  $LIB12"
    echo "  carry ${P#"$ROOT"/} ($(du -sh "$P" | cut -f1)) to the GPU machine"
    exit 0
}

case ${1:-} in
prepare) prepare ;;
run) shift ;;
esac

# ---- run: both parts on the GPU ---------------------------------------------

R12=${1:-$P/lib}
[ -d "$R12" ] || die "no directory $R12 (usage: run.sh [run] [CUDART12_DIR])"
R12=$(cd "$R12" && pwd)
passed=0
failed=0

pass() { echo "PASS cuda12: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL cuda12: $*"; failed=$((failed + 1)); }

[ -f "$R12/libcudart.so.12" ] || die "no libcudart.so.12 in $R12"
[ -f "$SHIM" ] || die "$SHIM missing"
[ -f "$G/obj/wrongsm90.o" ] || sh tests/gpu/build.sh || exit 2

rm -rf "$C"
mkdir -p "$C/site/sageattention"
if ! g++ -shared -o "$LIB" "$G/obj/wrongsm90.o" -L"$R12" -l:libcudart.so.12 \
    -Wl,-rpath,"$R12" >"$C/build.log" 2>&1; then
    cat "$C/build.log"
    echo "cuda12: cannot link the library against libcudart.so.12"
    exit 1
fi
for prog in launch cluster smem graph threads; do
    "$NVCC" -cudart none -I tests/gpu "tests/gpu/host_$prog.cu" -o "$C/host_$prog" \
        -L"$R12" -l:libcudart.so.12 -Xlinker -rpath -Xlinker "$R12" -ldl -lpthread \
        >>"$C/build.log" 2>&1 || fail "build host_$prog (see $C/build.log)"
done

# A machine without a usable GPU stops here, once, instead of failing every
# case below (0 right or 3 wrong: the GPU ran the program).
timeout -k 5 60 env -u LD_PRELOAD -u SAGESHIM_CONF "$C/host_launch" "$LIB" >"$C/gpu.out" 2>&1
rc=$?
case $rc in
0 | 3) ;;
*)
    cat "$C/gpu.out" >&2
    die "host_launch exit $rc without the shim: no usable GPU or CUDA driver here (nvidia-smi: $(nvidia-smi -L 2>&1 | head -n 1))"
    ;;
esac

# The runtime in these processes is 12.x, and only 12.x.
if ldd "$C/host_launch" "$LIB" | grep -q 'libcudart.so.13'; then
    fail "libcudart.so.13 is linked in: $(ldd "$C/host_launch" | grep cudart)"
else
    pass "programs and library use $(ldd "$LIB" | grep -o 'libcudart.so.12[^ ]*' | head -n 1) only"
fi

# expect NAME WANT_RC PROGRAM [VAR=VALUE...]: run one program on $lib,
# compare exit status (0 right, 3 wrong: tests/gpu/host_common.h).
expect() {
    name=$1 want=$2 prog=$3
    shift 3
    log=$C/$name.shimlog
    : >"$log"
    timeout -k 5 60 env -u LD_PRELOAD -u SAGESHIM_CONF "$@" "SAGESHIM_LOG=$log" \
        "$C/host_$prog" "$lib" >"$C/$name.out" 2>&1
    rc=$?
    if [ "$rc" -eq "$want" ]; then
        pass "$name (exit $rc)"
    else
        fail "$name: exit $rc, want $want; $(tail -n 3 "$C/$name.out" | tr '\n' ' ') $(tail -n 2 "$log" | tr '\n' ' ')"
    fi
}

EMPTY=$C/empty.conf
: >"$EMPTY"

# matrix PREFIX: every program x loading mode on $lib, case names PREFIX...
matrix() {
    prefix=$1
    for prog in launch cluster smem graph threads; do
        for loading in LAZY EAGER; do
            tag=$prog-$loading
            expect "${prefix}wrong without shim: $tag" 3 "$prog" CUDA_MODULE_LOADING=$loading
            expect "${prefix}right with shim: $tag" 0 "$prog" CUDA_MODULE_LOADING=$loading \
                "LD_PRELOAD=$SHIM" "SAGESHIM_CONF=$EMPTY" "SAGESHIM_BUNDLE=$G/bundle"
            if grep -q 'redirect _qattn_sm90' "$C/${prefix}right with shim: $tag.shimlog"; then
                pass "${prefix}redirect logged: $tag"
            else
                fail "${prefix}redirect not logged: $tag: $(cat "$C/${prefix}right with shim: $tag.shimlog")"
            fi
            [ -z "$prefix" ] || abi_logged "$prefix" "$tag"
            expect "${prefix}wrong with mode off: $tag" 3 "$prog" CUDA_MODULE_LOADING=$loading \
                "LD_PRELOAD=$SHIM" "SAGESHIM_CONF=$EMPTY" "SAGESHIM_BUNDLE=$G/bundle" SAGESHIM_MODE=off
            expect "${prefix}diagnose: $tag" 0 "$prog" CUDA_MODULE_LOADING=$loading \
                "LD_PRELOAD=$SHIM" "SAGESHIM_CONF=$EMPTY" "SAGESHIM_BUNDLE=$G/bundle" \
                SAGESHIM_MODE=diagnose
            if grep -q 'launch dev=0 .*redirected=yes' "$C/${prefix}diagnose: $tag.shimlog"; then
                pass "${prefix}diagnose launch lines: $tag"
            else
                fail "${prefix}no diagnose launch line: $tag"
            fi
        done
    done
}

# abi_logged PREFIX TAG: the 12.x original's sm_90a and the 13.0 bundle's
# have equal parameter layouts, so the redirect reports all three kernels
# ABI ok and no warning (offsets are compared only within a generation).
abi_logged() {
    shimlog="$C/${1}right with shim: $2.shimlog"
    if grep -q "sm_90 -> bundle $BUNDLE_FILE sm_90a, 3 kernels ABI ok" "$shimlog" &&
        ! grep -q 'ABI warning' "$shimlog"; then
        pass "${1}ABI ok across toolkits logged: $2"
    else
        fail "${1}no 'sm_90 -> bundle $BUNDLE_FILE sm_90a, 3 kernels ABI ok' (or a warning): $2: $(grep -E 'redirect|ABI' "$shimlog" | tr '\n' ' ')"
    fi
}

# Part 1: 13.0 device code.
lib=$LIB
matrix ""

# Part 2: 12.x device code (prepared on the build machine).
lib=$LIB12
if [ ! -f "$LIB12" ]; then
    fail "12.x device code: $LIB12 missing: run 'sh tests/gpu/cuda12/run.sh prepare' on the build machine and carry ${P#"$ROOT"/}"
else
    echo "cuda12: 12.x device code by $(tr '\n' ';' <"$P/COMPILER" 2>/dev/null)"
    if ldd "$LIB12" | grep -q 'libcudart.so.13'; then
        fail "12.x device: libcudart.so.13 is linked in: $(ldd "$LIB12" | grep cudart)"
    else
        pass "12.x device: library uses $(ldd "$LIB12" | grep -o 'libcudart.so.12[^ ]*' | head -n 1) only"
    fi
    if [ ! -x "$SAGESHIM" ]; then
        fail "12.x device: $SAGESHIM missing: cannot check the embedded cubins"
    elif [ "$(sm_90a_elf_abi "$LIB12")" = 1 ]; then
        pass "12.x device: embedded sm_90a cubin is ELF ABI 1 (OSABI 0x33)"
    else
        fail "12.x device: embedded sm_90a cubin is not ELF ABI 1: $("$SAGESHIM" inspect "$LIB12" | grep -E ' entry |elf abi' | tr '\n' ' ')"
    fi
    matrix "12.x device: "
fi
echo "cuda12: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
