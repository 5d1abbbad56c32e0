// wrongsm90_kernels.cuh: the device code of wrongsm90.cu, alone.
//
// wrongsm90.cu includes it for the nvcc 13.0 build; tests/gpu/cuda12/run.sh
// compiles it by itself with NVRTC 12.9 (no host headers there: NVRTC
// defines __CUDACC_RTC__ and declares the device math functions itself).
// The kernels, their parameters and mangled names are the ones
// tests/gpu/cuda12/wrongsm90_reg.c registers by hand: keep the two in step.
#ifndef WRONGSM90_KERNELS_CUH
#define WRONGSM90_KERNELS_CUH

#ifndef __CUDACC_RTC__
#include <math.h>
#endif

#include "wrongsm90.h"

// Passed by value, like SageAttention's CUtensorMap parameters.
struct scale_params {
    float factor;
    int n;
#ifdef ABI_CHANGED
    long long reserved;
#endif
};

#ifndef __CUDACC_RTC__
// The launches' block size (host code; NVRTC would warn it is unused).
static const int threads_per_block = 256;
#endif

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
// launch really formed clusters of two.  The cluster intrinsics are what
// cooperative_groups' cluster_group calls (sync = arrive + wait); used
// directly because NVRTC 12.x cannot include cooperative_groups.h without
// the CCCL headers (<nv/target>).  nvcc 13.0 gives the same cubin either way.
__global__ void cluster_scale_kernel(float *x, float factor, int n)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    __shared__ float shared_factor;
    if (threadIdx.x == 0)
        shared_factor = effective_factor(factor);
    __cluster_barrier_arrive();
    __cluster_barrier_wait();
    float f = nanf("");
    if (__clusterSizeInBlocks() == 2)
        f = *(float *)__cluster_map_shared_rank(&shared_factor, __clusterRelativeBlockRank() ^ 1);
    // The partner's shared memory must stay alive until it has been read.
    __cluster_barrier_arrive();
    __cluster_barrier_wait();
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

#endif
