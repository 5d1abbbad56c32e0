// wrongsm90.cu: the GPU suite's stand-in for a miscompiled extension module.
//
// Built like a PyTorch extension (nvcc -c -Xcompiler -fPIC per architecture,
// g++ -shared) into <site>/sageattention/_qattn_sm90.<suffix>.so, so the
// shim's default glob watches it.  Every kernel multiplies by `factor`; the
// code generated for sm_90 (__CUDA_ARCH__ == 900, which sm_90a also defines)
// multiplies by factor + 1 instead, unless CORRECTED is defined.  The
// corrected device code is the bundle's fatbin; a right result on an H100 or
// H200 therefore proves the shim's substitution ran.
//
// ABI_CHANGED (used with CORRECTED) grows scale_kernel's by-value parameter
// without changing its mangled name: the shim must refuse that bundle.
//
// The kernels live in wrongsm90_kernels.cuh, which NVRTC 12.x compiles alone
// for tests/gpu/cuda12 (the same module with 12.x device code).
#include <cuda_runtime.h>

#include "wrongsm90.h"
#include "wrongsm90_kernels.cuh"  // scale_params, threads_per_block, the kernels

#define EXPORT extern "C" __attribute__((visibility("default")))

static int blocks_for(int n)
{
    int blocks = (n + threads_per_block - 1) / threads_per_block;
    return blocks + (blocks & 1);  // even, so 2-block clusters tile the grid
}

EXPORT int wrong_init(void)
{
    return (int)cudaFree(0);
}

EXPORT int wrong_scale(float *x, float factor, int n, void *stream)
{
    scale_params p = {};
    p.factor = factor;
    p.n = n;
    scale_kernel<<<blocks_for(n), threads_per_block, 0, (cudaStream_t)stream>>>(x, p);
    return (int)cudaGetLastError();
}

EXPORT int wrong_scale_cluster(float *x, float factor, int n, void *stream)
{
    cudaLaunchConfig_t config = {};
    cudaLaunchAttribute attribute = {};
    attribute.id = cudaLaunchAttributeClusterDimension;
    attribute.val.clusterDim.x = 2;
    attribute.val.clusterDim.y = 1;
    attribute.val.clusterDim.z = 1;
    config.gridDim = dim3(blocks_for(n), 1, 1);
    config.blockDim = dim3(threads_per_block, 1, 1);
    config.stream = (cudaStream_t)stream;
    config.attrs = &attribute;
    config.numAttrs = 1;
    return (int)cudaLaunchKernelEx(&config, cluster_scale_kernel, x, factor, n);
}

EXPORT int wrong_scale_smem(float *x, float factor, int n, void *stream)
{
    cudaError_t err = cudaFuncSetAttribute(smem_scale_kernel,
                                           cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           WRONG_SMEM_BYTES);
    if (err != cudaSuccess)
        return (int)err;
    smem_scale_kernel<<<blocks_for(n), threads_per_block, WRONG_SMEM_BYTES,
                        (cudaStream_t)stream>>>(x, factor, n);
    return (int)cudaGetLastError();
}
