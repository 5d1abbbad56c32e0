/* index.cuh: how the _fused kernels turn indices and strides into element
 * offsets.  The one place that differs between the corrected kernels and
 * the test stand-in of the original (spec sageattention-fused.md §2.4).
 *
 * Every offset is written as a sum of terms, each term an index times a
 * stride.  Corrected build: each product is formed in 64 bits, so no term
 * wraps.  Stand-in (-DSAGESHIM_FUSED_INDEX32=1): each product is formed in
 * 32-bit unsigned arithmetic, W(x) = x mod 2^32, then zero-extended and
 * added in 64 bits, exactly as upstream does; MeanScale's mean/scale index
 * is one wrapping 32-bit expression (§6.5). */
#ifndef SAGESHIM_FUSED_INDEX_CUH
#define SAGESHIM_FUSED_INDEX_CUH

#ifndef SAGESHIM_FUSED_INDEX32
#define SAGESHIM_FUSED_INDEX32 0
#endif

namespace sageshim_fused {

typedef unsigned long long offset_t;

/* One term of an element offset: index * stride. */
__device__ __forceinline__ offset_t term(unsigned index, unsigned stride)
{
#if SAGESHIM_FUSED_INDEX32
    return (offset_t)(index * stride);
#else
    return (offset_t)index * (offset_t)stride;
#endif
}

/* MeanScale's index into mean and scale: b*s_b + h*s_h + d. */
__device__ __forceinline__ offset_t row_index(unsigned b, unsigned s_b, unsigned h,
                                              unsigned s_h, unsigned d)
{
#if SAGESHIM_FUSED_INDEX32
    return (offset_t)(b * s_b + h * s_h + d);
#else
    return term(b, s_b) + term(h, s_h) + d;
#endif
}

}  // namespace sageshim_fused

#endif
