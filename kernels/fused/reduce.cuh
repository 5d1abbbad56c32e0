/* reduce.cuh: block reductions of QuantInt8Kernel and MeanScaleKernel, in
 * the exact shape of spec sageattention-fused.md §2.3.  For max and min the
 * shape does not change the result; for the sum (MeanScale's mean) it fixes
 * the association of every addition, so it is reproduced literally:
 *   stage 1: butterfly inside each warp (lane l takes op(own, lane l^m) for
 *            m = 16, 8, 4, 2, 1), lane 0 stores its warp's value;
 *   barrier;
 *   stage 2: warp 0 loads the per-warp values (identity beyond the number of
 *            warps) and runs the same butterfly; thread 0 holds the result.
 * The stages are separate functions so that a kernel doing several
 * reductions (each with its own 32-float buffer) shares one barrier. */
#ifndef SAGESHIM_FUSED_REDUCE_CUH
#define SAGESHIM_FUSED_REDUCE_CUH

#include "arith.cuh"

namespace sageshim_fused {

enum class reduce_op { max, min, sum };

template <reduce_op OP>
__device__ __forceinline__ float reduce_apply(float own, float other)
{
    if constexpr (OP == reduce_op::max)
        return maxf(own, other);
    else if constexpr (OP == reduce_op::min)
        return minf(own, other);
    else
        return add(own, other);
}

/* What stage 2 threads beyond the number of warps contribute:
 * -1e20 (0xE0AD78EC), +1e20 (0x60AD78EC), +0. */
template <reduce_op OP>
__device__ __forceinline__ float reduce_identity()
{
    if constexpr (OP == reduce_op::max)
        return __uint_as_float(0xE0AD78ECu);
    else if constexpr (OP == reduce_op::min)
        return __uint_as_float(0x60AD78ECu);
    else
        return 0.0f;
}

template <reduce_op OP>
__device__ __forceinline__ float warp_butterfly(float v)
{
    for (int m = 16; m >= 1; m /= 2)
        v = reduce_apply<OP>(v, __shfl_xor_sync(0xFFFFFFFFu, v, m));
    return v;
}

/* Stage 1; every thread of the block must call it.  buf: 32 floats of
 * shared memory private to this reduction. */
template <reduce_op OP>
__device__ __forceinline__ void reduce_stage1(float v, float *buf)
{
    v = warp_butterfly<OP>(v);
    if ((threadIdx.x & 31u) == 0)
        buf[threadIdx.x >> 5] = v;
}

/* Stage 2, after a barrier; called by warp 0 only (all 32 lanes).  The
 * "thread index < number of warps" test is made in float, as upstream's
 * build does (same outcome for every block size). */
template <reduce_op OP>
__device__ __forceinline__ float reduce_stage2(const float *buf)
{
    unsigned t = threadIdx.x;
    bool has_entry = u2f(t) < mul(u2f(blockDim.x), 0.03125f);
    float v = has_entry ? buf[t] : reduce_identity<OP>();
    return warp_butterfly<OP>(v);
}

}  // namespace sageshim_fused

#endif
