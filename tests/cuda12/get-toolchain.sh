#!/bin/sh
# get-toolchain.sh DIR: install a CUDA 12.x device toolchain from PyPI into
# DIR (kept there as a cache) and print what it holds.
#
# PyPI has no 12.x nvcc, but it has the 12.x device compiler as a library:
# nvidia-cuda-nvrtc-cu12 (NVRTC: front end + NVVM, run by tests/cuda12/
# nvrtc12.c), nvidia-cuda-nvcc-cu12 (ptxas, which assembles NVRTC's PTX the
# way nvcc would) and nvidia-cuda-runtime-cu12 (the 12.x cuda.h, whose
# CUtensorMap is alignas(64); 13.0: alignas(128)).
#
# Environment: PYTHON (default python3), CUDA12_VERSION (default 12.9; the
# PTX ISA tests/cuda12 expects from it, 8.8, must match).
# Exit status 0 when DIR holds ptxas, NVRTC and cuda.h afterwards.
set -eu
dir=${1:?usage: get-toolchain.sh DIR}
python=${PYTHON:-python3}
version=${CUDA12_VERSION:-12.9}
ptxas=$dir/nvidia/cuda_nvcc/bin/ptxas
nvrtc=$dir/nvidia/cuda_nvrtc/lib/libnvrtc.so.12
cuda_h=$dir/nvidia/cuda_runtime/include/cuda.h

# NVRTC loads its builtins library (libnvrtc-builtins.so.12.N) at run time.
has_builtins() {
    for lib in "$dir"/nvidia/cuda_nvrtc/lib/libnvrtc-builtins.so.12*; do
        [ -f "$lib" ] && return 0
    done
    return 1
}

if [ ! -x "$ptxas" ] || [ ! -f "$nvrtc" ] || ! has_builtins || [ ! -f "$cuda_h" ]; then
    rm -rf "$dir.tmp"
    mkdir -p "$(dirname "$dir")"
    # --no-deps: the wheels are self-contained; nothing else is wanted.
    "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
        --timeout 60 --retries 2 --target "$dir.tmp" \
        "nvidia-cuda-nvcc-cu12==$version.*" "nvidia-cuda-nvrtc-cu12==$version.*" \
        "nvidia-cuda-runtime-cu12==$version.*"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
fi

[ -x "$ptxas" ] || { echo "get-toolchain: no ptxas in $dir" >&2; exit 1; }
[ -f "$nvrtc" ] || { echo "get-toolchain: no libnvrtc.so.12 in $dir" >&2; exit 1; }
has_builtins || { echo "get-toolchain: no libnvrtc-builtins.so.12.* in $dir" >&2; exit 1; }
[ -f "$cuda_h" ] || { echo "get-toolchain: no cuda.h in $dir" >&2; exit 1; }
# The version the library itself reports (nvrtc12 prints it again per file).
nvrtc_version=$("$python" -c '
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
major, minor = ctypes.c_int(), ctypes.c_int()
if lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)) != 0:
    sys.exit(1)
print(f"{major.value}.{minor.value}")
' "$nvrtc") || { echo "get-toolchain: $nvrtc does not load" >&2; exit 1; }

echo "cuda12 toolchain in $dir:"
for wheel in "$dir"/nvidia_cuda_*.dist-info; do
    [ -d "$wheel" ] && echo "  wheel $(basename "$wheel" .dist-info)"
done
echo "  nvrtc: $nvrtc_version ($(basename "$nvrtc"))"
echo "  ptxas: $("$ptxas" --version | grep -o "release [0-9.]*, V[0-9.]*")"
echo "  cuda.h: CUDA_VERSION $(sed -n 's/^#define CUDA_VERSION \([0-9]*\).*/\1/p' "$cuda_h")"
