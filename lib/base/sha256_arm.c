/* sha256_arm.c: SHA-256 compression with the ARMv8 SHA2 instructions (Arm
 * ARM: SHA256H, SHA256H2, SHA256SU0, SHA256SU1; the ACLE intrinsics
 * vsha256hq_u32 and friends).
 *
 * The function carries its own target attribute, so the file needs no
 * special compiler flags and the rest of the library runs on any aarch64;
 * it is only called when the kernel's HWCAP says the CPU has SHA2.
 *
 * How the instructions hold the state: {a,b,c,d} and {e,f,g,h} in one
 * register each, a and e in lane 0.  SHA256H does four rounds and returns
 * the new {a,b,c,d}; SHA256H2 returns the new {e,f,g,h} and needs the
 * {a,b,c,d} from before those rounds.  Message words are kept four to a
 * register, W[t] in lane 0: SHA256SU0 adds sigma0 of the next word to each
 * of four words, SHA256SU1 adds W[t-7..t-4] and sigma1 of W[t-2]
 * (recursively within the four), giving W[t..t+3] (FIPS 180-4, 6.2.2). */
#include "sha256_impl.h"

#if defined(__aarch64__) && defined(__ORDER_LITTLE_ENDIAN__) \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && (defined(__GNUC__) || defined(__clang__))

#include <arm_neon.h>
#include <sys/auxv.h>

#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1UL << 6)   /* the kernel's asm/hwcap.h */
#endif

int ss_sha256_arm_available(void)
{
    return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
}

/* "+crypto" (SHA2 and AES), which GCC and Clang both take: GCC 12's
 * arm_neon.h defines the SHA2 intrinsics under "+crypto", and with "+sha2"
 * alone they fail to inline ("target specific option mismatch"). */
__attribute__((target("+crypto")))
void ss_sha256_arm_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    uint32x4_t abcd = vld1q_u32(state);
    uint32x4_t efgh = vld1q_u32(state + 4);

    for (size_t n = 0; n < nblocks; n++, data += 64) {
        const uint32x4_t abcd_in = abcd, efgh_in = efgh;
        uint32x4_t w[4];   /* W[4i..4i+3] in w[i % 4] */
        for (int i = 0; i < 4; i++)   /* big-endian words */
            w[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 16 * i)));
        for (int i = 0; i < 16; i++) {
            if (i >= 4)   /* w[i % 4] holds the oldest four, W[4i-16..4i-13] */
                w[i & 3] = vsha256su1q_u32(vsha256su0q_u32(w[i & 3], w[(i + 1) & 3]),
                                           w[(i + 2) & 3], w[(i + 3) & 3]);
            uint32x4_t wk = vaddq_u32(w[i & 3], vld1q_u32(ss_sha256_k + 4 * i));
            uint32x4_t abcd_before = abcd;
            abcd = vsha256hq_u32(abcd, efgh, wk);
            efgh = vsha256h2q_u32(efgh, abcd_before, wk);
        }
        abcd = vaddq_u32(abcd, abcd_in);
        efgh = vaddq_u32(efgh, efgh_in);
    }
    vst1q_u32(state, abcd);
    vst1q_u32(state + 4, efgh);
}

#else

int ss_sha256_arm_available(void)
{
    return 0;
}

void ss_sha256_arm_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    (void)state;
    (void)data;
    (void)nblocks;
}

#endif
