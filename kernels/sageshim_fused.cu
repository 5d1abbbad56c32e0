/* sageshim_fused.cu: the 44 kernels of SageAttention's _fused module,
 * rewritten from the specification /work/shared/docs/sageattention-fused.md
 * (no upstream code), with every element offset formed in 64 bits.
 *
 * Built with -DSAGESHIM_FUSED_INDEX32=1 it is instead the test stand-in of
 * the original: same names, layouts and arithmetic, upstream's 32-bit
 * offset terms (kernels/fused/index.cuh).
 *
 * The list below is the spec's (§3.1, §4.1, §5.1, §6.1), no more: the
 * hotfix replaces kernels by mangled name, so each line must produce the
 * exact name of one original kernel (tests/check_fused_build.c checks it). */
#include "fused/mean_scale.cuh"
#include "fused/quant_int8.cuh"
#include "fused/sub_mean.cuh"
#include "fused/transpose_pad_permute.cuh"

/* The kernels' function types, to name each instantiation in one line. */
template <typename T>
using quant_int8_fn = void(T *, T *, signed char *, float *, float, unsigned, unsigned,
                           unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned);
template <typename T>
using sub_mean_fn = void(T *, T *, __half *, unsigned, unsigned, unsigned, unsigned,
                         unsigned, unsigned, unsigned, unsigned, unsigned);
template <typename T>
using transpose_fn = void(T *, T *, unsigned, unsigned, unsigned, unsigned, unsigned,
                          unsigned, unsigned);
template <typename T>
using mean_scale_fn = void(T *, signed char *, float *, float *, float, unsigned, unsigned,
                           unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned);

typedef __nv_bfloat16 bf16;

/* QuantInt8Kernel<D, BS, NP, SM, SUB, T>: 32.
 * Per-warp entry point (BS = warp block 16 or 32). */
template __global__ quant_int8_fn<__half> QuantInt8Kernel<64, 16, 1, false, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<64, 16, 1, false, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<64, 32, 1, false, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<64, 32, 1, false, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<128, 16, 1, false, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<128, 16, 1, false, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<128, 32, 1, false, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<128, 32, 1, false, false, bf16>;
/* Per-block entry points (BS = 64 or 128): plain, fuse-sub-mean, sm_scale. */
template __global__ quant_int8_fn<__half> QuantInt8Kernel<64, 64, 1, false, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<64, 64, 1, false, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<64, 64, 1, false, true, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<64, 64, 1, false, true, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<64, 64, 1, true, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<64, 64, 1, true, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<64, 128, 1, false, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<64, 128, 1, false, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<64, 128, 1, false, true, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<64, 128, 1, false, true, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<64, 128, 1, true, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<64, 128, 1, true, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<128, 64, 1, false, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<128, 64, 1, false, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<128, 64, 1, false, true, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<128, 64, 1, false, true, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<128, 64, 1, true, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<128, 64, 1, true, false, bf16>;
/* (D, BS) = (128, 128): 2 tokens per thread. */
template __global__ quant_int8_fn<__half> QuantInt8Kernel<128, 128, 2, false, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<128, 128, 2, false, false, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<128, 128, 2, false, true, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<128, 128, 2, false, true, bf16>;
template __global__ quant_int8_fn<__half> QuantInt8Kernel<128, 128, 2, true, false, __half>;
template __global__ quant_int8_fn<bf16> QuantInt8Kernel<128, 128, 2, true, false, bf16>;

/* SubMeanKernel<D, BS, NP, T>: 4 (BS = 128 for D = 64, 64 for D = 128). */
template __global__ sub_mean_fn<__half> SubMeanKernel<64, 128, 1, __half>;
template __global__ sub_mean_fn<bf16> SubMeanKernel<64, 128, 1, bf16>;
template __global__ sub_mean_fn<__half> SubMeanKernel<128, 64, 1, __half>;
template __global__ sub_mean_fn<bf16> SubMeanKernel<128, 64, 1, bf16>;

/* TransposePadPermuteKernel<D, 64, true, T>: 4. */
template __global__ transpose_fn<__half> TransposePadPermuteKernel<64, 64, true, __half>;
template __global__ transpose_fn<bf16> TransposePadPermuteKernel<64, 64, true, bf16>;
template __global__ transpose_fn<__half> TransposePadPermuteKernel<128, 64, true, __half>;
template __global__ transpose_fn<bf16> TransposePadPermuteKernel<128, 64, true, bf16>;

/* MeanScaleKernel<64, SUB, T>: 4. */
template __global__ mean_scale_fn<__half> MeanScaleKernel<64, false, __half>;
template __global__ mean_scale_fn<bf16> MeanScaleKernel<64, false, bf16>;
template __global__ mean_scale_fn<__half> MeanScaleKernel<64, true, __half>;
template __global__ mean_scale_fn<bf16> MeanScaleKernel<64, true, bf16>;
