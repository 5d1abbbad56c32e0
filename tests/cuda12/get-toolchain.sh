#!/bin/sh
# get-toolchain.sh DIR: install a CUDA 12.x device toolchain from PyPI into
# DIR (kept there as a cache) and print what it holds.
#
# PyPI has no full 12.x nvcc: nvidia-cuda-nvcc-cu12 ships ptxas, libnvvm and
# device headers only (no nvcc driver, cudafe++ or cicc), so 12.x cubins are
# made by assembling PTX with this ptxas.  nvidia-cuda-runtime-cu12 brings the
# 12.x cuda.h, whose CUtensorMap is alignas(64) (13.0: alignas(128)).
#
# Environment: PYTHON (default python3), CUDA12_VERSION (default 12.9; the
# PTX ISA the fixtures are lowered to, tests/cuda12/module.mk, must match).
# Exit status 0 when DIR holds ptxas and cuda.h afterwards.
set -eu
dir=${1:?usage: get-toolchain.sh DIR}
python=${PYTHON:-python3}
version=${CUDA12_VERSION:-12.9}
ptxas=$dir/nvidia/cuda_nvcc/bin/ptxas
cuda_h=$dir/nvidia/cuda_runtime/include/cuda.h

if [ ! -x "$ptxas" ] || [ ! -f "$cuda_h" ]; then
    rm -rf "$dir.tmp"
    mkdir -p "$(dirname "$dir")"
    # --no-deps: both wheels are self-contained; nothing else is wanted.
    "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
        --timeout 60 --retries 2 --target "$dir.tmp" \
        "nvidia-cuda-nvcc-cu12==$version.*" "nvidia-cuda-runtime-cu12==$version.*"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
fi

[ -x "$ptxas" ] || { echo "get-toolchain: no ptxas in $dir" >&2; exit 1; }
[ -f "$cuda_h" ] || { echo "get-toolchain: no cuda.h in $dir" >&2; exit 1; }
echo "cuda12 toolchain in $dir:"
for wheel in "$dir"/nvidia_cuda_*.dist-info; do
    [ -d "$wheel" ] && echo "  wheel $(basename "$wheel" .dist-info)"
done
echo "  ptxas: $("$ptxas" --version | grep -o "release [0-9.]*, V[0-9.]*")"
echo "  cuda.h: CUDA_VERSION $(sed -n 's/^#define CUDA_VERSION \([0-9]*\).*/\1/p' "$cuda_h")"
if [ -x "$dir/nvidia/cuda_nvcc/bin/nvcc" ]; then
    echo "  nvcc: present"
else
    echo "  nvcc: not shipped (cubins are assembled from PTX with ptxas)"
fi
