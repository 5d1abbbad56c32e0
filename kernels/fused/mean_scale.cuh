/* mean_scale.cuh: MeanScaleKernel, per-channel scale (and mean) of the
 * transposed V and its FP8 E4M3 quantization (spec
 * sageattention-fused.md §6).
 *
 * Block (h, b, d) = (blockIdx.x, blockIdx.y, blockIdx.z) handles row X of
 * x (fixed b, h, d; contiguous last axis).  Thread t owns the 8-element
 * chunks t + i*n_t, i = 0, 1, ..., n_t = blockDim.x (256).
 *   pass 1 over [0, P16): max, min (and, if SUB, a sum in chunk order);
 *   block reductions (reduce.cuh; the sum's tree fixes the mean's bits);
 *   thread 0: mu = sum (x) RCP(P16) (SUB), A = max(|max - mu|, |min - mu|),
 *             s = A (x) RCP(smax);
 *   pass 2 over [0, P64): q = E4M3((X - mu) (x) (RCP(A) (x) smax)).
 * P16 = 16*ceil(N/16), P64 = PAD*ceil(N/PAD).  Every column of [0, P64) is
 * written, padding included. */
#ifndef SAGESHIM_FUSED_MEAN_SCALE_CUH
#define SAGESHIM_FUSED_MEAN_SCALE_CUH

#include "arith.cuh"
#include "index.cuh"
#include "reduce.cuh"

template <unsigned PAD, bool SUB, typename T>
__global__ void MeanScaleKernel(T *x, signed char *q, float *mu, float *s, float smax,
                                unsigned N, unsigned x_sb, unsigned x_sd, unsigned x_sh,
                                unsigned q_sb, unsigned q_sd, unsigned q_sh,
                                unsigned mu_sb, unsigned mu_sh, unsigned s_sb, unsigned s_sh)
{
    using namespace sageshim_fused;

    /* Private 32-float buffers for the max, min (and sum) reductions, then
     * the broadcast A (and mean): 260 bytes, or 392 with SUB, the
     * original's static shared memory. */
    constexpr unsigned REDUCTIONS = SUB ? 3 : 2;
    __shared__ float shared_floats[32 * REDUCTIONS + (SUB ? 2 : 1)];
    float *max_buf = shared_floats;
    float *min_buf = shared_floats + 32;
    float *sum_buf = shared_floats + 64;          /* SUB only */
    float *broadcast = shared_floats + 32 * REDUCTIONS;

    const unsigned t = threadIdx.x;
    const unsigned h = blockIdx.x, b = blockIdx.y, d = blockIdx.z;
    const unsigned threads = blockDim.x;
    const unsigned stride = 8 * threads;          /* S: elements per round of chunks */
    const unsigned p16 = 16 * ((N + 15) / 16);
    const unsigned p_pad = PAD * ((N + PAD - 1) / PAD);

    const offset_t x_row = term(b, x_sb) + term(h, x_sh) + term(d, x_sd) + 8 * t;
    const offset_t q_row = term(b, q_sb) + term(h, q_sh) + term(d, q_sd) + 8 * t;

    /* Pass 1.  The chunk count I1 = P16/S + [P16 mod S > 8t]. */
    float hi = __uint_as_float(0xC9742400u);      /* -1e6 */
    float lo = __uint_as_float(0x49742400u);      /* +1e6 */
    float sum = 0.0f;
    const int chunks1 = (int)(p16 / stride + (p16 % stride > 8 * t ? 1 : 0));
    for (int i = 0; i < chunks1; i++) {
        uint4 raw = *reinterpret_cast<const uint4 *>(x + (x_row + term((unsigned)i, stride)));
        const T *e = reinterpret_cast<const T *>(&raw);
        for (int j = 0; j < 8; j++) {
            float u = widen(e[j]);
            hi = maxf(hi, u);
            lo = minf(lo, u);
            if constexpr (SUB)
                sum = add(sum, u);
        }
    }

    reduce_stage1<reduce_op::max>(hi, max_buf);
    reduce_stage1<reduce_op::min>(lo, min_buf);
    if constexpr (SUB)
        reduce_stage1<reduce_op::sum>(sum, sum_buf);
    __syncthreads();
    if (t < 32) {
        float block_max = reduce_stage2<reduce_op::max>(max_buf);
        float block_min = reduce_stage2<reduce_op::min>(min_buf);
        float mean = 0.0f;
        float a;
        if constexpr (SUB) {
            float block_sum = reduce_stage2<reduce_op::sum>(sum_buf);
            mean = mul(block_sum, rcp(u2f(p16)));
            a = maxf(absf(sub(block_max, mean)), absf(sub(block_min, mean)));
        } else {
            a = maxf(absf(block_max), absf(block_min));
        }
        if (t == 0) {
            if constexpr (SUB) {
                mu[row_index(b, mu_sb, h, mu_sh, d)] = mean;
                broadcast[1] = mean;
            }
            s[row_index(b, s_sb, h, s_sh, d)] = mul(a, rcp(smax));
            broadcast[0] = a;
        }
    }
    __syncthreads();
    const float rho = mul(rcp(broadcast[0]), smax);
    float mean = 0.0f;
    if constexpr (SUB)
        mean = broadcast[1];

    /* Pass 2: I2 = P64/S + [P64 mod S > 8t] chunks, every padding column
     * included. */
    const int chunks2 = (int)(p_pad / stride + (p_pad % stride > 8 * t ? 1 : 0));
    for (int i = 0; i < chunks2; i++) {
        uint4 raw = *reinterpret_cast<const uint4 *>(x + (x_row + term((unsigned)i, stride)));
        const T *e = reinterpret_cast<const T *>(&raw);
        float yv[8];
        for (int j = 0; j < 8; j++) {
            float u = widen(e[j]);
            if constexpr (SUB)
                u = sub(u, mean);
            yv[j] = mul(u, rho);
        }
        uint2 packed;
        packed.x = e4m3x2(yv[0], yv[1]) | e4m3x2(yv[2], yv[3]) << 16;
        packed.y = e4m3x2(yv[4], yv[5]) | e4m3x2(yv[6], yv[7]) << 16;
        *reinterpret_cast<uint2 *>(q + (q_row + term((unsigned)i, stride))) = packed;
    }
}

#endif
