/* sub_mean.cuh: SubMeanKernel, y = x - mean as binary16 (spec
 * sageattention-fused.md §4).
 *
 * Thread t of block (g, h, b): token n = g*BS + t / (D/8), channels
 * c .. c+7, c = 8*(t mod D/8).  The difference is one rounding in the
 * input's own format (fp16: sub.rn.f16x2, subnormals kept; bf16:
 * sub.rn.bf16x2 on sm_90+, fma.rn.bf16x2 with -1 below, the same values),
 * then bf16 results are widened exactly and rounded to binary16.  No
 * float32 arithmetic, no shared memory.  Tokens >= N are not written. */
#ifndef SAGESHIM_FUSED_SUB_MEAN_CUH
#define SAGESHIM_FUSED_SUB_MEAN_CUH

#include <type_traits>

#include "arith.cuh"
#include "index.cuh"

namespace sageshim_fused {

/* x - m for two elements, as the binary16 pair written to y. */
__device__ __forceinline__ uint32_t sub_mean_pair(__half2 x, __half2 m)
{
    __half2 d = __hsub2_rn(x, m);
    return *reinterpret_cast<uint32_t *>(&d);
}
__device__ __forceinline__ uint32_t sub_mean_pair(__nv_bfloat162 x, __nv_bfloat162 m)
{
    __nv_bfloat162 d = __hsub2_rn(x, m);
    return f16x2(widen(d.x), widen(d.y));
}

}  // namespace sageshim_fused

template <unsigned D, unsigned BS, unsigned NP, typename T>
__global__ void SubMeanKernel(T *x, T *mu, __half *y, unsigned N,
                              unsigned x_sb, unsigned x_sn, unsigned x_sh,
                              unsigned mu_sb, unsigned mu_sh,
                              unsigned y_sb, unsigned y_sn, unsigned y_sh)
{
    using namespace sageshim_fused;
    static_assert(NP == 1, "SubMeanKernel is built with one token per thread");
    /* __half2 or __nv_bfloat162 */
    using T2 = typename std::conditional<std::is_same<T, __half>::value, __half2,
                                         __nv_bfloat162>::type;
    constexpr unsigned THREADS_PER_TOKEN = D / 8;

    const unsigned t = threadIdx.x;
    const unsigned g = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    const unsigned n = g * BS + t / THREADS_PER_TOKEN;
    const unsigned c = 8 * (t % THREADS_PER_TOKEN);
    if (n >= N)
        return;

    uint4 xs = *reinterpret_cast<const uint4 *>(
        x + (term(b, x_sb) + term(h, x_sh) + term(n, x_sn) + c));
    uint4 ms = *reinterpret_cast<const uint4 *>(mu + (term(b, mu_sb) + term(h, mu_sh) + c));
    const T2 *xp = reinterpret_cast<const T2 *>(&xs);
    const T2 *mp = reinterpret_cast<const T2 *>(&ms);

    /* Four 4-byte stores, as upstream: y needs only 4-byte alignment. */
    uint32_t *out = reinterpret_cast<uint32_t *>(
        y + (term(b, y_sb) + term(h, y_sh) + term(n, y_sn) + c));
    for (int i = 0; i < 4; i++)
        out[i] = sub_mean_pair(xp[i], mp[i]);
}

#endif
