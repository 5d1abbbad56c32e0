/* arith.cuh: the floating-point operations of the _fused kernels, each one
 * PTX instruction written out (spec sageattention-fused.md §2.2).
 *
 * Why inline PTX rather than C operators: upstream's results come from a
 * --use_fast_math build in which every product and sum is rounded
 * separately.  Written as C, the compiler may contract a*b+c into an FMA
 * or fold x+0.0 into x (fast math allows both); add/sub/mul with an explicit
 * .rn are never contracted by ptxas, and asm is never folded by the front
 * end.  .ftz everywhere: subnormal operands and results become zeros of the
 * same sign, as in upstream's build. */
#ifndef SAGESHIM_FUSED_ARITH_CUH
#define SAGESHIM_FUSED_ARITH_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "e4m3_soft.h"

namespace sageshim_fused {

/* a (+) b, a (-) b, a (x) b */
__device__ __forceinline__ float add(float a, float b)
{
    float r;
    asm("add.rn.ftz.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}
__device__ __forceinline__ float sub(float a, float b)
{
    float r;
    asm("sub.rn.ftz.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}
__device__ __forceinline__ float mul(float a, float b)
{
    float r;
    asm("mul.rn.ftz.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}

/* RCP(y): what every division compiles to under fast math.  Never IEEE
 * division or __frcp_rn: rcp.approx is not always correctly rounded, and
 * the results must be upstream's. */
__device__ __forceinline__ float rcp(float y)
{
    float r;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(y));
    return r;
}

/* maxf / minf: a NaN operand loses to the other one. */
__device__ __forceinline__ float maxf(float a, float b)
{
    float r;
    asm("max.ftz.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}
__device__ __forceinline__ float minf(float a, float b)
{
    float r;
    asm("min.ftz.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}

/* |x|: the sign bit cleared (no flush needed: every use feeds maxf, which
 * flushes). */
__device__ __forceinline__ float absf(float x)
{
    return __uint_as_float(__float_as_uint(x) & 0x7FFFFFFFu);
}

/* U2F(n) */
__device__ __forceinline__ float u2f(unsigned n)
{
    float r;
    asm("cvt.rn.f32.u32 %0, %1;" : "=f"(r) : "r"(n));
    return r;
}

/* widen(x): binary16 or bfloat16 -> binary32, exact. */
__device__ __forceinline__ float widen(__half x)
{
    return __half2float(x);
}
__device__ __forceinline__ float widen(__nv_bfloat16 x)
{
    return __uint_as_float((uint32_t)__bfloat16_as_ushort(x) << 16);
}

/* CVT_S8(x): round to nearest even, clamp to [-128, 127], NaN -> 0.
 * Returns the byte in the low 8 bits. */
__device__ __forceinline__ uint32_t cvt_s8(float x)
{
    uint32_t r;
    asm("cvt.rni.sat.s8.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r & 0xFFu;
}

/* E4M3(lo), E4M3(hi) packed: lo in the low byte. */
__device__ __forceinline__ uint32_t e4m3x2(float lo, float hi)
{
#if __CUDA_ARCH__ >= 890
    unsigned short r;
    /* The first source goes to the upper byte. */
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(r) : "f"(hi), "f"(lo));
    return r;
#else
    /* No FP8 conversion below sm_89: the same rounding in software (see
     * kernels/README.md; upstream traps here instead). */
    return (uint32_t)ss_e4m3_from_f32_bits(__float_as_uint(lo)) |
           ((uint32_t)ss_e4m3_from_f32_bits(__float_as_uint(hi)) << 8);
#endif
}

/* F16RN of a pair: binary32 -> binary16, nearest even, no saturation.
 * lo lands in the low half. */
__device__ __forceinline__ uint32_t f16x2(float lo, float hi)
{
    uint32_t r;
    /* The first source goes to the upper half. */
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

}  // namespace sageshim_fused

#endif
