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
#include <cooperative_groups.h>
#include <cuda_runtime.h>
#include <math.h>

#include "wrongsm90.h"

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace cg = cooperative_groups;

// Passed by value, like SageAttention's CUtensorMap parameters.
struct scale_params {
    float factor;
    int n;
#ifdef ABI_CHANGED
    long long reserved;
#endif
};

static const int threads_per_block = 256;

__device__ float effective_factor(float factor)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ == 900 && !defined(CORRECTED)
    return factor + 1.0f;  // the "miscompilation"
#else
    return factor;
#endif
}

__global__ void scale_kernel(float *x, scale_params p)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < p.n)
        x[i] *= effective_factor(p.factor);
}

// Each block takes its factor from the other block of its 2-block cluster
// through distributed shared memory, so the result is right only when the
// launch really formed clusters of two.
__global__ void cluster_scale_kernel(float *x, float factor, int n)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    __shared__ float shared_factor;
    cg::cluster_group cluster = cg::this_cluster();
    if (threadIdx.x == 0)
        shared_factor = effective_factor(factor);
    cluster.sync();
    float f = nanf("");
    if (cluster.num_blocks() == 2)
        f = *cluster.map_shared_rank(&shared_factor, cluster.block_rank() ^ 1);
    // The partner's shared memory must stay alive until it has been read.
    cluster.sync();
#else
    float f = effective_factor(factor);
#endif
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] *= f;
}

// Stages each value through the top of WRONG_SMEM_BYTES of dynamic shared
// memory: a launch with less than that faults instead of passing.
__global__ void smem_scale_kernel(float *x, float factor, int n)
{
    extern __shared__ float staging[];
    const int slots = WRONG_SMEM_BYTES / (int)sizeof(float);
    float *mine = staging + slots - blockDim.x;
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    mine[threadIdx.x] = i < n ? x[i] : 0.0f;
    __syncthreads();
    if (i < n)
        x[i] = mine[threadIdx.x] * effective_factor(factor);
}

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
