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
 *   2. each thread moves 8 elements from the load tile (row t mod 64) into
 *      the transposed tile (column t mod 64);
 *   3. thread t writes 16 bytes of channel t/8, columns 64g + 8*(t mod 8).
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
    T *transposed = tiles + C * D;

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
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
                     :: "r"(dst_shared), "l"(src), "r"(src_bytes) : "memory");
        asm volatile("cp.async.wait_all;" ::: "memory");
    }
    __syncthreads();

    {
        const unsigned row = t % C;
        for (unsigned i = 0; i < 8; i++) {
            unsigned column = t / C + i * (D / 8);
            transposed[column * C + row] = load_tile[row * D + column];
        }
    }
    __syncthreads();

    {
        const unsigned d = t / 8;
        const unsigned column = 8 * (t % 8);
        uint4 out = *reinterpret_cast<const uint4 *>(transposed + d * C + column);
        T *dst = y + (term(b, y_sb) + term(h, y_sh) + term(g, C) + column + term(d, y_sd));
        *reinterpret_cast<uint4 *>(dst) = out;
    }
}

#endif
