#!/bin/sh
# build.sh: build the benchmark programs into $BUILD/gpu/bench (nvcc, cc,
# g++).  Run by bench.sh; usable alone to check that everything compiles.
#
#   empty.fatbin                 bench/empty.cu for sm_80, sm_89, sm_90a, sm_120
#   site/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so   watched
#   site/other/_empty.cpython-312-x86_64-linux-gnu.so                unwatched
#   site/sageattention/_qattn_sm90_image.so   the fatbin as data (bench/image.c)
#   bundle/                      MANIFEST + _qattn_sm90.fatbin (same kernels)
#   launch_rate, load_time       the measuring programs
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
NVCC=${NVCC:-$CUDA_HOME/bin/nvcc}
CXX=${CXX:-g++}
CC=${CC:-cc}
mkdir -p "$BUILD/gpu/bench"
B=$(cd "$BUILD/gpu/bench" && pwd)
LOG=$B/build.log
MODULE_FILE=_qattn_sm90.cpython-312-x86_64-linux-gnu.so
ARCHS="-gencode arch=compute_80,code=sm_80 -gencode arch=compute_89,code=sm_89
       -gencode arch=compute_90a,code=sm_90a -gencode arch=compute_120,code=sm_120"
KERNELS=64   # empty_kernel + 63 filler_kernel instances (bench/empty.cu)

: >"$LOG"
BUILD_WHAT=bench
# shellcheck source=tests/gpu/build-steps.sh
. tests/gpu/build-steps.sh

[ -x "$NVCC" ] || fail "nvcc not found at $NVCC (set CUDA_HOME or NVCC)"
rm -rf "$B/site" "$B/bundle" "$B/failed"
mkdir -p "$B/site/sageattention" "$B/site/other" "$B/bundle"

# shellcheck disable=SC2086  # ARCHS is a list of flags
{
    "$NVCC" -c -Xcompiler -fPIC $ARCHS bench/empty.cu -o "$B/empty.o" >"$B/empty.log" 2>&1 ||
        echo "nvcc -c bench/empty.cu" >>"$B/failed" &
    "$NVCC" -fatbin $ARCHS bench/empty.cu -o "$B/empty.fatbin" >"$B/fatbin.log" 2>&1 ||
        echo "nvcc -fatbin bench/empty.cu" >>"$B/failed" &
    "$NVCC" -cudart shared -O2 -Xlinker -rpath -Xlinker "$CUDA_HOME/lib64" \
        bench/launch_rate.cu -o "$B/launch_rate" -ldl >"$B/launch_rate.log" 2>&1 ||
        echo "launch_rate" >>"$B/failed" &
    wait
}
cat "$B/empty.log" "$B/fatbin.log" "$B/launch_rate.log" >>"$LOG"
rm -f "$B/empty.log" "$B/fatbin.log" "$B/launch_rate.log"
[ -f "$B/failed" ] && fail "$(cat "$B/failed")"

for dir in sageattention/$MODULE_FILE other/_empty.cpython-312-x86_64-linux-gnu.so; do
    step "link $dir" "$CXX" -shared -o "$B/site/$dir" "$B/empty.o" -L"$CUDA_HOME/lib64" -lcudart \
        -Wl,-rpath,"$CUDA_HOME/lib64"
done
step "image.so" "$CC" -std=c11 -O2 -Wall -Wextra -shared -fPIC \
    -DBENCH_FATBIN="\"$B/empty.fatbin\"" bench/image.c -o "$B/site/sageattention/_qattn_sm90_image.so"
# Linked against the toolkit's stub; the driver's libcuda.so.1 at run time.
step "load_time" "$CC" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I "$CUDA_HOME/include" \
    bench/load_time.c -o "$B/load_time" -L"$CUDA_HOME/lib64/stubs" -lcuda -ldl

cp "$B/empty.fatbin" "$B/bundle/_qattn_sm90.fatbin"
sum=$(sha256sum "$B/bundle/_qattn_sm90.fatbin" | cut -d' ' -f1)
{
    echo "# benchmark bundle, built by bench/build.sh from bench/empty.cu"
    echo "label bench@empty"
    echo "fatbin _qattn_sm90.fatbin module=_qattn_sm90 archs=80,89,90,120 kernels=$KERNELS sha256=$sum"
} >"$B/bundle/MANIFEST"

printf '[sageshim]\nlog_level = info\n' >"$B/empty.conf"
echo "bench build: done ($B)"
