// fused_transpose.cu: a stand-in with the mangled name and parameter layout
// of one of SageAttention's 44 _fused kernels (TransposePadPermuteKernel
// <64, 64, true, __half>, spec sageattention-fused.md §5), so diagnose's
// wrap check (lib/plan/fused.h) and summary can be tested on the CPU under the
// fake driver.  The body only touches one element: the fake never runs it.
// Built as is (the "original") and with -DHOTFIX (the hotfix image).
#include <cuda_fp16.h>

template <unsigned D, unsigned C, bool Z, typename T>
__global__ void TransposePadPermuteKernel(T *x, T *y, unsigned n, unsigned x_sb, unsigned x_sn,
                                          unsigned x_sh, unsigned y_sb, unsigned y_sd,
                                          unsigned y_sh)
{
#ifdef HOTFIX
    size_t at = (size_t)blockIdx.x * x_sn + (size_t)blockIdx.y * x_sh;
#else
    unsigned at = blockIdx.x * x_sn + blockIdx.y * x_sh;
#endif
    if (threadIdx.x == 0 && n > D + C + Z)
        y[at + y_sb + y_sd + y_sh] = x[at + x_sb];
}

template __global__ void TransposePadPermuteKernel<64, 64, true, __half>(
    __half *, __half *, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned);
