/* e4m3_soft.h: binary32 -> OCP FP8 E4M3 ("e4m3fn") in integer arithmetic,
 * with the results of PTX cvt.rn.satfinite.e4m3x2.f32 (spec
 * sageattention-fused.md §2.2): round to nearest, ties to even; finite
 * results beyond +-448 and +-infinity saturate to +-448; NaN gives 0x7F.
 *
 * Used by MeanScaleKernel on targets below sm_89, which have no FP8
 * conversion instruction (upstream traps there, §6.6).  Plain C as well as
 * CUDA, so that tests/check_fused_build.c checks this very code against a
 * brute-force reference. */
#ifndef SAGESHIM_E4M3_SOFT_H
#define SAGESHIM_E4M3_SOFT_H

#include <stdint.h>

#ifdef __CUDACC__
#define SS_E4M3_FN __host__ __device__ __forceinline__ static
#else
#define SS_E4M3_FN static inline
#endif

/* bits: a binary32 bit pattern.  Returns the E4M3 byte. */
SS_E4M3_FN uint8_t ss_e4m3_from_f32_bits(uint32_t bits)
{
    uint32_t sign = (bits >> 24) & 0x80u;
    uint32_t mag = bits & 0x7FFFFFFFu;
    if (mag > 0x7F800000u)              /* NaN */
        return 0x7F;
    if (mag >= 0x43E00000u)             /* >= 448, infinity included */
        return (uint8_t)(sign | 0x7Eu);
    if (mag >= 0x3C800000u) {
        /* [2^-6, 448): a normal E4M3 number.  Keep the exponent and the top
         * three mantissa bits, round on the 20 bits below; a carry out of
         * the mantissa moves to the next binade, as it should.  The E4M3
         * exponent bias is 7, binary32's 127: subtract 120 from the field. */
        uint32_t kept = mag >> 20;
        uint32_t rest = mag & 0xFFFFFu;
        if (rest > 0x80000u || (rest == 0x80000u && (kept & 1u)))
            kept++;
        return (uint8_t)(sign | (kept - (120u << 3)));
    }
    /* Below 2^-6: E4M3 subnormals m * 2^-9, m = 0..7 (m = 8 is 2^-6, whose
     * code 0x08 is the smallest normal: the same formula).  The value is
     * significand * 2^(E - 23) with E = field - 127, so m = significand
     * / 2^shift rounded, shift = 23 - 9 - E = 141 - field. */
    uint32_t field = mag >> 23;
    uint32_t significand = (mag & 0x7FFFFFu) | (field ? 0x800000u : 0u);
    uint32_t shift = 141u - (field ? field : 1u);
    if (shift >= 32u)
        return (uint8_t)sign;
    uint32_t m = significand >> shift;
    uint32_t rest = significand & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (m & 1u)))
        m++;
    return (uint8_t)(sign | m);
}

#undef SS_E4M3_FN

#endif
