#!/bin/sh
# build.sh: build the GPU suite's CUDA programs into $BUILD/gpu (nvcc, g++;
# no Check, no libelf).  Run by gpucheck.sh; usable alone to check that
# everything compiles on a machine without a GPU.
#
#   site/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so
#                        wrongsm90.cu built like a PyTorch extension, shared cudart
#   site-static/sageattention/_qattn_sm90...so   the same, static cudart inside
#   bundle/              MANIFEST + _qattn_sm90.fatbin (-DCORRECTED)
#   bundle-abi/          the same with -DABI_CHANGED: must be refused
#   host_<case>_{static,shared}   host programs (-cudart static / shared)
#   torch_site/sageattention/_qattn_sm90<EXT_SUFFIX>   Python extension
#                        (skipped, with a note, when Python.h is missing)
#   conf/<case>.conf     one sageshim.conf per case
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
NVCC=${NVCC:-$CUDA_HOME/bin/nvcc}
CXX=${CXX:-g++}
CC=${CC:-cc}
PYTHON=${PYTHON:-python3}
SRC=tests/gpu
mkdir -p "$BUILD/gpu"
G=$(cd "$BUILD/gpu" && pwd)
LOG=$G/build.log
# The name the default watched glob */sageattention/_qattn_sm90*.so matches.
MODULE_FILE=_qattn_sm90.cpython-312-x86_64-linux-gnu.so
# setup.py's one -gencode per architecture: sm_90 as sm_90a, no PTX.
ARCHS="-gencode arch=compute_80,code=sm_80 -gencode arch=compute_89,code=sm_89
       -gencode arch=compute_90a,code=sm_90a -gencode arch=compute_120,code=sm_120"
MANIFEST_ARCHS=80,89,90,120
KERNELS=3   # scale_kernel, cluster_scale_kernel, smem_scale_kernel (wrongsm90.h)

: >"$LOG"
BUILD_WHAT=gpu
# shellcheck source=tests/gpu/build-steps.sh
. tests/gpu/build-steps.sh

[ -x "$NVCC" ] || fail "nvcc not found at $NVCC (set CUDA_HOME or NVCC)"
command -v "$CXX" >/dev/null || fail "no C++ compiler ($CXX)"
command -v sha256sum >/dev/null || fail "sha256sum not found"

rm -rf "$G/obj" "$G/site" "$G/site-static" "$G/bundle" "$G/bundle-abi" "$G/torch_site" "$G/conf"
mkdir -p "$G/obj" "$G/site/sageattention" "$G/site-static/sageattention" "$G/bundle" \
    "$G/bundle-abi" "$G/conf"

# Device code: the three nvcc runs in parallel (each takes seconds).
# shellcheck disable=SC2086  # ARCHS is a list of flags
{
    "$NVCC" -c -Xcompiler -fPIC $ARCHS "$SRC/wrongsm90.cu" -o "$G/obj/wrongsm90.o" \
        >"$G/obj/wrongsm90.log" 2>&1 || echo "nvcc -c wrongsm90.cu" >>"$G/obj/failed" &
    "$NVCC" -fatbin $ARCHS -DCORRECTED "$SRC/wrongsm90.cu" -o "$G/bundle/_qattn_sm90.fatbin" \
        >"$G/obj/bundle.log" 2>&1 || echo "nvcc -fatbin -DCORRECTED" >>"$G/obj/failed" &
    "$NVCC" -fatbin $ARCHS -DCORRECTED -DABI_CHANGED "$SRC/wrongsm90.cu" \
        -o "$G/bundle-abi/_qattn_sm90.fatbin" \
        >"$G/obj/bundle-abi.log" 2>&1 || echo "nvcc -fatbin -DABI_CHANGED" >>"$G/obj/failed" &
    wait
}
cat "$G"/obj/*.log >>"$LOG"
[ -f "$G/obj/failed" ] && fail "$(cat "$G/obj/failed")"

# The library, like torch.utils.cpp_extension links it: g++ -shared, cudart
# shared (rpath only so the host programs need no LD_LIBRARY_PATH) ...
step "link site library" "$CXX" -shared -o "$G/site/sageattention/$MODULE_FILE" \
    "$G/obj/wrongsm90.o" -L"$CUDA_HOME/lib64" -lcudart -Wl,-rpath,"$CUDA_HOME/lib64"
# ... and with a private static runtime, like the copy inside cuBLAS.
step "link site-static library" "$CXX" -shared -o "$G/site-static/sageattention/$MODULE_FILE" \
    "$G/obj/wrongsm90.o" -L"$CUDA_HOME/lib64" -lcudart_static -ldl -lpthread -lrt

write_manifest() {
    dir=$1
    label=$2
    sum=$(sha256sum "$dir/_qattn_sm90.fatbin" | cut -d' ' -f1)
    {
        echo "# GPU suite bundle, built by tests/gpu/build.sh from tests/gpu/wrongsm90.cu"
        echo "label $label"
        echo "fatbin _qattn_sm90.fatbin module=_qattn_sm90 archs=$MANIFEST_ARCHS kernels=$KERNELS sha256=$sum"
    } >"$dir/MANIFEST"
}
write_manifest "$G/bundle" gpu-suite@test
write_manifest "$G/bundle-abi" gpu-suite@abi-changed

# Host programs: no device code of their own; in parallel.
for prog in launch cluster smem graph threads; do
    for cudart in static shared; do
        out=$G/host_${prog}_$cudart
        {
            "$NVCC" -cudart "$cudart" -Xcompiler -Wall,-Wextra -I "$SRC" \
                -Xlinker -rpath -Xlinker "$CUDA_HOME/lib64" \
                "$SRC/host_$prog.cu" -o "$out" -ldl -lpthread >"$out.log" 2>&1 ||
                echo "host_$prog ($cudart cudart)" >>"$G/obj/failed"
        } &
    done
done
wait
cat "$G"/host_*.log >>"$LOG"
rm -f "$G"/host_*.log
[ -f "$G/obj/failed" ] && fail "$(cat "$G/obj/failed")"

# The Python extension: same device object, CPython module on top.  Its
# libcudart.so.13 is torch's, already loaded (same soname); the rpath only
# matters if torch had not loaded one.
PYINC=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null || true)
SUFFIX=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null || true)
if [ -n "$PYINC" ] && [ -f "$PYINC/Python.h" ] && [ -n "$SUFFIX" ]; then
    mkdir -p "$G/torch_site/sageattention"
    : >"$G/torch_site/sageattention/__init__.py"
    step "compile torch_ext/pymod.c" "$CC" -std=c11 -fPIC -O2 -Wall -Wextra -Wno-unused-parameter -I "$PYINC" \
        -I "$SRC" -c "$SRC/torch_ext/pymod.c" -o "$G/obj/pymod.o"
    step "link torch extension" "$CXX" -shared -o "$G/torch_site/sageattention/_qattn_sm90$SUFFIX" \
        "$G/obj/pymod.o" "$G/obj/wrongsm90.o" -L"$CUDA_HOME/lib64" -lcudart \
        -Wl,-rpath,"$CUDA_HOME/lib64"
else
    echo "gpu build: no Python.h for $PYTHON; torch extension not built" | tee -a "$LOG" >&2
fi

# One config per case.  SAGESHIM_CONF names it, so no user or system
# sageshim.conf leaks into a case.
LOG_LEVEL=${GPUCHECK_LOG_LEVEL:-info}
conf() {
    name=$1
    shift
    {
        echo "# gpucheck case: $name"
        echo "[sageshim]"
        echo "log_level = $LOG_LEVEL"
        for line in "$@"; do
            echo "$line"
        done
    } >"$G/conf/$name.conf"
}
conf empty
conf redirect "mode = redirect" "archs = 9.0, 12.0" "bundle = $G/bundle"
conf archs120 "mode = redirect" "archs = 12.0" "bundle = $G/bundle"
conf abi "mode = redirect" "bundle = $G/bundle-abi"
conf diagnose "mode = diagnose" "bundle = $G/bundle"

echo "gpu build: done ($G)"
