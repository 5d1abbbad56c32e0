/* sha256.c: SHA-256 as specified in FIPS 180-4, section 6.2: the portable
 * compression function, the padding, and the choice of implementation
 * (sha256_x86.c and sha256_arm.c use the CPU's SHA instructions; all three
 * take the round constants from sha256_k.c). */
#include "sha256.h"
#include "sha256_impl.h"

#include <stdatomic.h>
#include <string.h>

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void compress_block(uint32_t state[8], const uint8_t block[64])
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }

    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t choose = (e & f) ^ (~e & g);
        uint32_t t1 = h + sum1 + choose + ss_sha256_k[t] + w[t];
        uint32_t sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = sum0 + majority;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

static void portable_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    for (size_t i = 0; i < nblocks; i++)
        compress_block(state, data + 64 * i);
}

/* ---- which implementation ------------------------------------------------- */

/* SS_SHA256_BEST until the first hash asks: the CPU is probed once (cpuid
 * or the auxiliary vector, both cheap and safe at any time).  Two threads
 * may both probe; they store the same answer. */
static atomic_int current = SS_SHA256_BEST;

int ss_sha256_available(enum ss_sha256_impl impl)
{
    switch (impl) {
    case SS_SHA256_BEST:
    case SS_SHA256_PORTABLE:
        return 1;
    case SS_SHA256_X86_SHANI:
        return ss_sha256_x86_available();
    case SS_SHA256_ARMV8:
        return ss_sha256_arm_available();
    }
    return 0;
}

static enum ss_sha256_impl best(void)
{
    if (ss_sha256_x86_available())
        return SS_SHA256_X86_SHANI;
    if (ss_sha256_arm_available())
        return SS_SHA256_ARMV8;
    return SS_SHA256_PORTABLE;
}

static enum ss_sha256_impl in_use(void)
{
    int impl = atomic_load_explicit(&current, memory_order_relaxed);
    if (impl == SS_SHA256_BEST) {
        impl = (int)best();
        atomic_store_explicit(&current, impl, memory_order_relaxed);
    }
    return (enum ss_sha256_impl)impl;
}

int ss_sha256_use(enum ss_sha256_impl impl)
{
    if (!ss_sha256_available(impl))
        return -1;
    atomic_store_explicit(&current, impl == SS_SHA256_BEST ? (int)best() : (int)impl,
                          memory_order_relaxed);
    return 0;
}

const char *ss_sha256_impl_name(void)
{
    switch (in_use()) {
    case SS_SHA256_X86_SHANI:
        return "x86-64 SHA-NI";
    case SS_SHA256_ARMV8:
        return "ARMv8 SHA2";
    default:
        return "portable";
    }
}

static void blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    switch (in_use()) {
    case SS_SHA256_X86_SHANI:
        ss_sha256_x86_blocks(state, data, nblocks);
        return;
    case SS_SHA256_ARMV8:
        ss_sha256_arm_blocks(state, data, nblocks);
        return;
    default:
        portable_blocks(state, data, nblocks);
        return;
    }
}

/* ---- the hash ------------------------------------------------------------- */

void ss_sha256_init(struct ss_sha256 *s)
{
    /* FIPS 180-4, 5.3.3: square roots of the first 8 primes. */
    static const uint32_t initial[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(s->state, initial, sizeof initial);
    s->length = 0;
    s->used = 0;
}

void ss_sha256_update(struct ss_sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->length += len;
    /* Fill a partly used block first; whole blocks are then hashed where
     * they lie, without a copy; the rest waits in s->block. */
    if (s->used > 0 && len > 0) {
        size_t take = 64 - s->used;
        if (take > len)
            take = len;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
        if (s->used < 64)
            return;
        blocks(s->state, s->block, 1);
        s->used = 0;
    }
    if (len >= 64) {
        blocks(s->state, p, len / 64);
        p += len - len % 64;
        len %= 64;
    }
    if (len > 0) {
        memcpy(s->block, p, len);
        s->used = len;
    }
}

void ss_sha256_final(struct ss_sha256 *s, uint8_t digest[32])
{
    uint64_t bit_length = s->length * 8;

    /* Padding (5.1.1): a 1 bit, zeros, then the 64-bit length, so that the
     * total is a multiple of 64 bytes. */
    s->block[s->used++] = 0x80;
    if (s->used > 56) {
        memset(s->block + s->used, 0, 64 - s->used);
        blocks(s->state, s->block, 1);
        s->used = 0;
    }
    memset(s->block + s->used, 0, 56 - s->used);
    for (int i = 0; i < 8; i++)
        s->block[56 + i] = (uint8_t)(bit_length >> (56 - 8 * i));
    blocks(s->state, s->block, 1);

    for (int i = 0; i < 8; i++)
        store_be32(digest + 4 * i, s->state[i]);
    memset(s->block, 0, sizeof s->block);
    s->used = 0;
}

void ss_sha256_hex(const void *data, size_t len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    struct ss_sha256 s;
    uint8_t digest[32];

    ss_sha256_init(&s);
    ss_sha256_update(&s, data, len);
    ss_sha256_final(&s, digest);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
    hex[64] = '\0';
}
