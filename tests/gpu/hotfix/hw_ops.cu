/* hw_ops.cu: single PTX instructions applied elementwise, for
 * tests/gpu/hotfix/reference.py.
 *
 * The reference model of the `_fused` kernels is PyTorch float32 arithmetic
 * except for the reciprocal, which the spec (§2.2) defines as whatever the
 * hardware's rcp.approx.ftz.f32 returns: hf_rcp is that instruction.  The
 * three conversions are modelled in PyTorch (reference.py); hf_cvt_s8,
 * hf_cvt_e4m3 and hf_cvt_f16 let check_hotfix.py verify those models against
 * the instructions the spec names.  Launched on the legacy default stream
 * (the caller synchronizes); n is at most 2^31 - 1. */
#include <cstdint>

#define HF_EXPORT extern "C" __attribute__((visibility("default")))

static __device__ float rcp_approx_ftz(float x)
{
    float r;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}

__global__ void rcp_kernel(const float *in, float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        out[i] = rcp_approx_ftz(in[i]);
}

/* cvt.rni.sat.s8.f32: the destination may be a wider register (PTX ISA,
 * "operand size exceeding instruction-type size"); the low byte is the s8. */
__global__ void cvt_s8_kernel(const float *in, int8_t *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        int r;
        asm("cvt.rni.sat.s8.f32 %0, %1;" : "=r"(r) : "f"(in[i]));
        out[i] = (int8_t)r;
    }
}

/* cvt.rn.satfinite.e4m3x2.f32 d, a, b puts a in the upper byte and b in the
 * lower one; elements 2k and 2k+1 go to bytes 2k and 2k+1 (n even). */
__global__ void cvt_e4m3_kernel(const float *in, uint16_t *out, int pairs)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < pairs) {
        unsigned short r;
        asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;"
            : "=h"(r)
            : "f"(in[2 * i + 1]), "f"(in[2 * i]));
        out[i] = r;
    }
}

__global__ void cvt_f16_kernel(const float *in, uint16_t *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        unsigned short r;
        asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r) : "f"(in[i]));
        out[i] = r;
    }
}

static unsigned blocks(int n)
{
    return (unsigned)((n + 255) / 256);
}

HF_EXPORT void hf_rcp(const float *in, float *out, int n)
{
    if (n > 0)
        rcp_kernel<<<blocks(n), 256>>>(in, out, n);
}

HF_EXPORT void hf_cvt_s8(const float *in, int8_t *out, int n)
{
    if (n > 0)
        cvt_s8_kernel<<<blocks(n), 256>>>(in, out, n);
}

HF_EXPORT void hf_cvt_e4m3(const float *in, uint16_t *out, int n)
{
    if (n > 1)
        cvt_e4m3_kernel<<<blocks(n / 2), 256>>>(in, out, n / 2);
}

HF_EXPORT void hf_cvt_f16(const float *in, uint16_t *out, int n)
{
    if (n > 0)
        cvt_f16_kernel<<<blocks(n), 256>>>(in, out, n);
}
