/* sha256_x86.c: SHA-256 compression with the x86-64 SHA extensions
 * (Intel SDM vol. 2: SHA256RNDS2, SHA256MSG1, SHA256MSG2).
 *
 * The function carries its own target attribute, so the file needs no
 * special compiler flags and the rest of the library runs on any x86-64;
 * it is only called when cpuid says the CPU has SHA, SSSE3 and SSE4.1.
 *
 * How the instructions hold the state: SHA256RNDS2 does two rounds on
 * {A,B,E,F} and {C,D,G,H}, one register each (A and C in the top lane, F
 * and H in the bottom one), taking W[t]+K[t] and W[t+1]+K[t+1] from the two
 * low lanes of xmm0, and returns the new {A,B,E,F}.  After two rounds the
 * old {A,B,E,F} are the new {C,D,G,H}, so the two registers swap roles
 * every two rounds.  Message words are kept four to a register, W[t] in the
 * bottom lane.  SHA256MSG1 adds sigma0 of the next word to each of four
 * words; adding W[t-7..t-4] and letting SHA256MSG2 add sigma1 of W[t-2]
 * (recursively within the four) gives W[t..t+3] (FIPS 180-4, 6.2.2 step 1). */
#include "sha256_impl.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>

int ss_sha256_x86_available(void)
{
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return 0;
    int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return 0;
    int sha = (ebx >> 29) & 1;
    return sha && ssse3 && sse41;
}

__attribute__((target("sha,sse4.1,ssse3")))
void ss_sha256_x86_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    /* Bytes of each 32-bit word reversed: the message is big-endian. */
    const __m128i byteswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    /* _mm_set_epi32 takes the top lane first. */
    __m128i abef = _mm_set_epi32((int)state[0], (int)state[1], (int)state[4], (int)state[5]);
    __m128i cdgh = _mm_set_epi32((int)state[2], (int)state[3], (int)state[6], (int)state[7]);

    for (size_t n = 0; n < nblocks; n++, data += 64) {
        const __m128i abef_in = abef, cdgh_in = cdgh;
        __m128i w[4];   /* W[4i..4i+3] in w[i % 4] */
        for (int i = 0; i < 4; i++)
            w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), byteswap);
        for (int i = 0; i < 16; i++) {
            if (i >= 4) {
                /* W[4i..4i+3] from the 16 words before: w[i % 4] holds the
                 * oldest four, W[4i-16..4i-13]. */
                __m128i older = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
                /* W[4i-7..4i-4]: the top three of W[4i-8..] and the bottom one of W[4i-4..]. */
                older = _mm_add_epi32(older, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
                w[i & 3] = _mm_sha256msg2_epu32(older, w[(i + 3) & 3]);
            }
            __m128i wk = _mm_add_epi32(w[i & 3],
                                       _mm_loadu_si128((const __m128i *)(ss_sha256_k + 4 * i)));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);   /* rounds 4i, 4i+1 */
            wk = _mm_shuffle_epi32(wk, 0x0e);               /* the top two lanes down */
            abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);   /* rounds 4i+2, 4i+3 */
        }
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }

    state[0] = (uint32_t)_mm_extract_epi32(abef, 3);
    state[1] = (uint32_t)_mm_extract_epi32(abef, 2);
    state[4] = (uint32_t)_mm_extract_epi32(abef, 1);
    state[5] = (uint32_t)_mm_extract_epi32(abef, 0);
    state[2] = (uint32_t)_mm_extract_epi32(cdgh, 3);
    state[3] = (uint32_t)_mm_extract_epi32(cdgh, 2);
    state[6] = (uint32_t)_mm_extract_epi32(cdgh, 1);
    state[7] = (uint32_t)_mm_extract_epi32(cdgh, 0);
}

#else

int ss_sha256_x86_available(void)
{
    return 0;
}

void ss_sha256_x86_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    (void)state;
    (void)data;
    (void)nblocks;
}

#endif
