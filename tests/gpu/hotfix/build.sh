#!/bin/sh
# build.sh: the hotfix suite's host libraries, into $BUILD/gpu/hotfix (nvcc,
# no GPU needed; run it on the development machine and carry $BUILD along,
# or let run.sh run it on the GPU machine, which has nvcc 13.0 too).
#
#   sh tests/gpu/hotfix/build.sh [--if-stale]
#
#   corrected/libfused_corrected.so     fused_host.cu + kernels/sageshim_fused.cu
#   site/sageattention/_fused.cpython-312-x86_64-linux-gnu.so
#                                        the same with -DSAGESHIM_FUSED_INDEX32=1:
#                                        the stand-in of SageAttention's _fused,
#                                        where the default hotfix glob
#                                        */sageattention/_fused*.so finds it
#   hw/libhw_ops.so                      hw_ops.cu (rcp.approx.ftz.f32, conversions)
#   pysite/sageattention/_fused...so     fused_pymod.c + the stand-in object: the
#                                        stand-in as a CPython extension module
#                                        (split_e2e.py), when Python.h is found
#   cuda12/site/sageattention/_fused...so  the stand-in linked against the CUDA
#                                        12.x runtime instead (cuda12/lib/ holds its
#                                        libcudart.so.12), when one is found:
#                                        $CUDART12, $BUILD/cuda12-device/lib or
#                                        $BUILD/cuda12/nvidia/cuda_runtime/lib
#                                        (tests/gpu/cuda12/run.sh prepare and
#                                        tests/cuda12/get-toolchain.sh put it there)
#   SOURCES.sha256                       what they were built from (--if-stale
#                                        rebuilds only when a source changed)
#
# Device code for sm_90a only (the suite runs on an H100/H200), compiled with
# upstream's NVCC flags (spec, "Sources of the facts"); host code and cudart
# as a PyTorch extension has them (nvcc -c, g++ -shared, shared cudart).
set -eu

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
NVCC=${NVCC:-$CUDA_HOME/bin/nvcc}
SRC=tests/gpu/hotfix
H=$BUILD/gpu/hotfix
LOG=$H/build.log
MODULE_FILE=_fused.cpython-312-x86_64-linux-gnu.so
UPSTREAM_FLAGS="-O3 -std=c++17 -U__CUDA_NO_HALF_OPERATORS__ -U__CUDA_NO_HALF_CONVERSIONS__
    --use_fast_math -gencode arch=compute_90a,code=sm_90a"
CXX=${CXX:-g++}
# Objects by nvcc -c, linked by g++ -shared against the shared cudart, as
# torch.utils.cpp_extension builds an extension (an nvcc link would add a
# device-link container of its own).  Hidden host symbols: the two builds
# define the same kernel stubs, and each library must launch its own.
OBJ_FLAGS="-c -Xcompiler -fPIC,-fvisibility=hidden"
LINK_FLAGS="-L$CUDA_HOME/lib64 -lcudart -Wl,-rpath,$CUDA_HOME/lib64"

mkdir -p "$H"
BUILD_WHAT=hotfix
# shellcheck source=tests/gpu/build-steps.sh
. tests/gpu/build-steps.sh

sources() {
    ls kernels/sageshim_fused.cu kernels/fused/*.cuh "$SRC"/*.cu "$SRC"/fused_pymod.c 2>/dev/null
}

stamp() {
    # shellcheck disable=SC2046  # one argument per file
    sha256sum $(sources) 2>/dev/null
    printf 'flags %s %s\n' "$UPSTREAM_FLAGS" "$CUDA_HOME"
}

# A CUDA 12.x runtime for the 12.x variant, if there is one.
CUDART12=${CUDART12:-}
for dir in "$BUILD/cuda12-device/lib" "$BUILD/cuda12/nvidia/cuda_runtime/lib"; do
    if [ -z "$CUDART12" ] && [ -f "$dir/libcudart.so.12" ]; then
        CUDART12=$dir/libcudart.so.12
    fi
done
[ -f "$CUDART12" ] || CUDART12=

# Python headers for the extension module, if there are any.
PYINC=$("${PYTHON:-python3}" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' \
    2>/dev/null || true)
[ -n "$PYINC" ] && [ -f "$PYINC/Python.h" ] || PYINC=

OUTPUTS="$H/corrected/libfused_corrected.so $H/site/sageattention/$MODULE_FILE $H/hw/libhw_ops.so"
if [ "${1:-}" = --if-stale ] && [ -f "$H/SOURCES.sha256" ]; then
    all=yes
    for f in $OUTPUTS; do [ -f "$f" ] || all=no; done
    # A runtime found now that was not there at the last build.
    [ -n "$CUDART12" ] && [ ! -f "$H/cuda12/site/sageattention/$MODULE_FILE" ] && all=no
    [ -n "$PYINC" ] && [ ! -f "$H/pysite/sageattention/$MODULE_FILE" ] && all=no
    if [ "$all" = yes ] && [ "$(stamp)" = "$(cat "$H/SOURCES.sha256")" ]; then
        echo "hotfix build: up to date ($H)"
        exit 0
    fi
fi

: >"$LOG"
[ -x "$NVCC" ] || fail "nvcc not found at $NVCC (set CUDA_HOME or NVCC)"
[ -f kernels/sageshim_fused.cu ] || fail "kernels/sageshim_fused.cu is missing"
rm -rf "$H/obj" "$H/corrected" "$H/site" "$H/hw" "$H/cuda12" "$H/pysite" "$H/failed" \
    "$H/SOURCES.sha256"
mkdir -p "$H/obj" "$H/corrected" "$H/site/sageattention" "$H/hw"

# The three nvcc runs in parallel (seconds each).
# shellcheck disable=SC2086  # flag lists
{
    "$NVCC" $UPSTREAM_FLAGS $OBJ_FLAGS -I kernels "$SRC/fused_host.cu" -o "$H/obj/corrected.o" \
        >"$H/obj/corrected.log" 2>&1 || echo "nvcc fused_host.cu (corrected)" >>"$H/failed" &
    "$NVCC" $UPSTREAM_FLAGS $OBJ_FLAGS -DSAGESHIM_FUSED_INDEX32=1 -I kernels "$SRC/fused_host.cu" \
        -o "$H/obj/standin.o" >"$H/obj/standin.log" 2>&1 ||
        echo "nvcc fused_host.cu -DSAGESHIM_FUSED_INDEX32=1 (stand-in)" >>"$H/failed" &
    "$NVCC" $UPSTREAM_FLAGS $OBJ_FLAGS "$SRC/hw_ops.cu" -o "$H/obj/hw_ops.o" \
        >"$H/obj/hw_ops.log" 2>&1 || echo "nvcc hw_ops.cu" >>"$H/failed" &
    wait
}
cat "$H"/obj/*.log >>"$LOG"
[ -f "$H/failed" ] && fail "$(cat "$H/failed")"
# shellcheck disable=SC2086  # flag list
{
    step "link corrected library" "$CXX" -shared -o "$H/corrected/libfused_corrected.so" \
        "$H/obj/corrected.o" $LINK_FLAGS
    step "link stand-in module" "$CXX" -shared -o "$H/site/sageattention/$MODULE_FILE" \
        "$H/obj/standin.o" $LINK_FLAGS
    step "link hw_ops" "$CXX" -shared -o "$H/hw/libhw_ops.so" "$H/obj/hw_ops.o" $LINK_FLAGS
}

# The stand-in as a CPython extension module (fused_pymod.c, stable ABI, so
# the development machine's Python headers serve the GPU machine's 3.12).
if [ -n "$PYINC" ]; then
    mkdir -p "$H/pysite/sageattention"
    echo '# sageshim GPU test package: imports nothing (split_e2e.py)' \
        >"$H/pysite/sageattention/__init__.py"
    step "compile fused_pymod.c" "${CC:-cc}" -std=c11 -fPIC -O2 -Wall -Wextra -I "$PYINC" \
        -c "$SRC/fused_pymod.c" -o "$H/obj/fused_pymod.o"
    # shellcheck disable=SC2086  # flag list
    step "link stand-in extension module" "$CXX" -shared \
        -o "$H/pysite/sageattention/$MODULE_FILE" "$H/obj/fused_pymod.o" "$H/obj/standin.o" \
        $LINK_FLAGS
else
    echo "hotfix build: no Python.h for ${PYTHON:-python3}: pysite/sageattention/_fused not built"
fi

# The CUDA 12.x runtime variant: same object, another runtime (as part 1 of
# tests/gpu/cuda12/run.sh does for its own module).
rm -rf "$H/cuda12"
if [ -n "$CUDART12" ]; then
    mkdir -p "$H/cuda12/lib" "$H/cuda12/site/sageattention"
    cp "$CUDART12" "$H/cuda12/lib/libcudart.so.12"
    # shellcheck disable=SC2016  # $ORIGIN is for the dynamic linker
    step "link stand-in module against libcudart.so.12" "$CXX" -shared \
        -o "$H/cuda12/site/sageattention/$MODULE_FILE" "$H/obj/standin.o" \
        -L"$H/cuda12/lib" -l:libcudart.so.12 -Wl,-rpath,'$ORIGIN/../../lib'
    echo "hotfix build: CUDA 12.x variant linked against $CUDART12"
else
    echo "hotfix build: no libcudart.so.12 found: CUDA 12.x end-to-end variant not built"
fi

stamp >"$H/SOURCES.sha256"
echo "hotfix build: done ($H)"
