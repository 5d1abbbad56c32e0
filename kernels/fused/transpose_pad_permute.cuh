/* transpose_pad_permute.cuh: TransposePadPermuteKernel, V (B, N, H, D) or
 * (B, H, N, D) -> (B, D, H, P) or (B, H, D, P), P = 64*ceil(N/64), tokens
 * permuted inside each group of 16 and padded with zeros (spec
 * sageattention-fused.md §5).  Pure data movement.
 *
 * Block (g, h, b) moves tokens [64g, 64g + 64) of head h of batch b, with
 * 8*D threads:
 *   1. thread t copies 16 bytes (token 64g + r, r = t / (D/8), channels
 *      c .. c+7) asynchronously into row perm(r) of the load tile; tokens
 *      >= N are zero-filled, nothing is read for them;
 *   2. the load tile is transposed into the transposed tile, two tokens
 *      (one 32-bit word) at a time;
 *   3. thread t writes 16 bytes of channel t/8, columns 64g + 8*(t mod 8).
 * Steps 1 and 3 are the spec's thread mapping.  Step 2 is not: the spec's
 * (thread t reads load-tile row t mod 64) has the 32 threads of a warp read
 * 32 rows of one column, all in the same shared-memory bank, a 32-way
 * conflict that makes the kernel several times slower than memory.  Here a
 * warp reads 32 consecutive channels of one row, and the transposed tile is
 * stored with its 32-bit words permuted per row (word w of channel d at
 * w XOR (d mod 32)), so the writes hit 32 different banks too.  The result
 * does not depend on the mapping (§5.4).
 * Row perm(r) = 16*(r/16) + sigma(r mod 16), with
 *   sigma = (0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15),
 * the destination column of source row r (§5.4; not its inverse). */
#ifndef SAGESHIM_FUSED_TRANSPOSE_PAD_PERMUTE_CUH
#define SAGESHIM_FUSED_TRANSPOSE_PAD_PERMUTE_CUH

#include "arith.cuh"
#include "index.cuh"

namespace sageshim_fused {

/* sigma(r) = 2*(r/8) + 4*((r/2) mod 4) + (r mod 2), for r < 16. */
__device__ __forceinline__ unsigned permuted_row(unsigned r)
{
    unsigned in_group = r % 16;
    return 16 * (r / 16) + 2 * (in_group / 8) + 4 * ((in_group / 2) % 4) + in_group % 2;
}

/* Word k (0..3) of a 16-byte vector. */
__device__ __forceinline__ uint32_t word_of(uint4 v, unsigned k)
{
    return k == 0 ? v.x : k == 1 ? v.y : k == 2 ? v.z : v.w;
}

}  // namespace sageshim_fused

template <unsigned D, unsigned C, bool Z, typename T>
__global__ void TransposePadPermuteKernel(T *x, T *y, unsigned N,
                                          unsigned x_sb, unsigned x_sn, unsigned x_sh,
                                          unsigned y_sb, unsigned y_sd, unsigned y_sh)
{
    using namespace sageshim_fused;
    static_assert(C == 64 && Z, "built only with 64 tokens per block and zero fill");
    static_assert(sizeof(T) == 2, "16-bit elements");
    constexpr unsigned THREADS_PER_TOKEN = D / 8;

    /* Load tile [C][D] (token-major) and transposed tile [D][C]: 256*D
     * bytes, the original's static shared memory. */
    __shared__ __align__(16) T tiles[2 * C * D];
    T *load_tile = tiles;
    const unsigned short *load_bits = reinterpret_cast<const unsigned short *>(tiles);
    /* The transposed tile as words: row d holds C/2 = 32 words, word w
     * (tokens 2w, 2w + 1) at position w ^ (d % 32). */
    constexpr unsigned WORDS = C / 2;
    uint32_t *transposed = reinterpret_cast<uint32_t *>(tiles + C * D);

    const unsigned t = threadIdx.x;
    const unsigned g = blockIdx.x, h = blockIdx.y, b = blockIdx.z;

    {
        const unsigned r = t / THREADS_PER_TOKEN;
        const unsigned c = 8 * (t % THREADS_PER_TOKEN);
        const unsigned n = g * C + r;
        const T *src = x + (term(b, x_sb) + term(h, x_sh) + term(n, x_sn) + c);
        T *dst = load_tile + permuted_row(r) * D + c;
        /* Source size 0: the 16 bytes are zero-filled, the source is not read. */
        unsigned src_bytes = n < N ? 16 : 0;
        unsigned dst_shared = (unsigned)__cvta_generic_to_shared(dst);
        unsigned long long src_global = (unsigned long long)__cvta_generic_to_global(src);
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
                     :: "r"(dst_shared), "l"(src_global), "r"(src_bytes) : "memory");
        asm volatile("cp.async.wait_all;" ::: "memory");
    }
    __syncthreads();

    {
        /* 8*D threads, D*32 words: thread t does channel t % D, words
         * t / D + 8i.  A warp covers 32 consecutive channels. */
        const unsigned d = t % D;
        for (unsigned w = t / D; w < WORDS; w += 8) {
            uint32_t lo = load_bits[(2 * w) * D + d];
            uint32_t hi = load_bits[(2 * w + 1) * D + d];
            transposed[d * WORDS + (w ^ (d % 32))] = lo | hi << 16;
        }
    }
    __syncthreads();

    {
        /* Logical words 4q .. 4q+3 of row d (q = t mod 8) lie in the aligned
         * group q ^ (s / 4), s = d % 32, permuted inside it by s % 4. */
        const unsigned d = t / 8;
        const unsigned q = t % 8;
        const unsigned s = d % 32;
        uint4 group = *reinterpret_cast<const uint4 *>(transposed + d * WORDS + 4 * (q ^ (s / 4)));
        uint4 out;
        out.x = word_of(group, 0 ^ (s % 4));
        out.y = word_of(group, 1 ^ (s % 4));
        out.z = word_of(group, 2 ^ (s % 4));
        out.w = word_of(group, 3 ^ (s % 4));
        T *dst = y + (term(b, y_sb) + term(h, y_sh) + term(g, C) + 8 * q + term(d, y_sd));
        *reinterpret_cast<uint4 *>(dst) = out;
    }
}

#endif
