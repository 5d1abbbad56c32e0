#!/bin/sh
# run.sh: the GPU suite's host programs and library on the CUDA 12.x runtime.
#
#   sh tests/gpu/cuda12/run.sh CUDART12_DIR
#
# CUDART12_DIR holds libcudart.so.12 from the nvidia-cuda-runtime-cu12 wheel
# (tests/cuda12/get-toolchain.sh puts it under $BUILD/cuda12/nvidia/
# cuda_runtime/lib).  PyPI has no 12.x nvcc, so the programs are compiled by
# the installed nvcc 13.0 and linked against libcudart.so.12 instead of .13:
# every runtime call, the fatbin registration included, goes through the 12.x
# runtime, which reaches the driver through its own cuGetProcAddress requests.
# Needs the objects and bundle of tests/gpu/build.sh (run by make gpucheck).
# Prints PASS/FAIL lines and "cuda12: N passed, M failed"; exit 1 on failure.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
NVCC=${NVCC:-$CUDA_HOME/bin/nvcc}
R12=${1:?usage: run.sh CUDART12_DIR}
R12=$(cd "$R12" && pwd)
G=$BUILD/gpu
C=$G/cuda12
SHIM=$BUILD/libsageshim.so
MODULE_FILE=_qattn_sm90.cpython-312-x86_64-linux-gnu.so
LIB=$C/site/sageattention/$MODULE_FILE
passed=0
failed=0

pass() { echo "PASS cuda12: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL cuda12: $*"; failed=$((failed + 1)); }

[ -f "$R12/libcudart.so.12" ] || { echo "cuda12: no libcudart.so.12 in $R12"; exit 2; }
[ -f "$SHIM" ] || { echo "cuda12: $SHIM missing"; exit 2; }
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

# The runtime in these processes is 12.x, and only 12.x.
if ldd "$C/host_launch" "$LIB" | grep -q 'libcudart.so.13'; then
    fail "libcudart.so.13 is linked in: $(ldd "$C/host_launch" | grep cudart)"
else
    pass "programs and library use $(ldd "$LIB" | grep -o 'libcudart.so.12[^ ]*' | head -n 1) only"
fi

# expect NAME WANT_RC PROGRAM [VAR=VALUE...]: run one program, compare exit status
# (0 right, 3 wrong: tests/gpu/host_common.h).
expect() {
    name=$1 want=$2 prog=$3
    shift 3
    log=$C/$name.shimlog
    : >"$log"
    timeout -k 5 60 env -u LD_PRELOAD -u SAGESHIM_CONF "$@" "SAGESHIM_LOG=$log" \
        "$C/host_$prog" "$LIB" >"$C/$name.out" 2>&1
    rc=$?
    if [ "$rc" -eq "$want" ]; then
        pass "$name (exit $rc)"
    else
        fail "$name: exit $rc, want $want; $(tail -n 3 "$C/$name.out" | tr '\n' ' ') $(tail -n 2 "$log" | tr '\n' ' ')"
    fi
}

EMPTY=$C/empty.conf
: >"$EMPTY"
for prog in launch cluster smem graph threads; do
    for loading in LAZY EAGER; do
        tag=$prog-$loading
        expect "wrong without shim: $tag" 3 "$prog" CUDA_MODULE_LOADING=$loading
        expect "right with shim: $tag" 0 "$prog" CUDA_MODULE_LOADING=$loading \
            "LD_PRELOAD=$SHIM" "SAGESHIM_CONF=$EMPTY" "SAGESHIM_BUNDLE=$G/bundle"
        if grep -q 'redirect _qattn_sm90' "$C/right with shim: $tag.shimlog"; then
            pass "redirect logged: $tag"
        else
            fail "redirect not logged: $tag: $(cat "$C/right with shim: $tag.shimlog")"
        fi
        expect "wrong with mode off: $tag" 3 "$prog" CUDA_MODULE_LOADING=$loading \
            "LD_PRELOAD=$SHIM" "SAGESHIM_CONF=$EMPTY" "SAGESHIM_BUNDLE=$G/bundle" SAGESHIM_MODE=off
        expect "diagnose: $tag" 0 "$prog" CUDA_MODULE_LOADING=$loading \
            "LD_PRELOAD=$SHIM" "SAGESHIM_CONF=$EMPTY" "SAGESHIM_BUNDLE=$G/bundle" \
            SAGESHIM_MODE=diagnose
        if grep -q 'launch dev=0 .*redirected=yes' "$C/diagnose: $tag.shimlog"; then
            pass "diagnose launch lines: $tag"
        else
            fail "no diagnose launch line: $tag"
        fi
    done
done
echo "cuda12: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
