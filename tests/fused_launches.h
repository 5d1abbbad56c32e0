/* fused_launches.h: launches of the _fused kernels built as upstream's host
 * builds them (sageattention-fused.md §3.3-§6.3: grid, block, sizes and
 * strides, each narrowed to 32 bits as in §7), for check_fused_wrap.c. */
#ifndef SAGESHIM_FUSED_LAUNCHES_H
#define SAGESHIM_FUSED_LAUNCHES_H

#include "plan/fused.h"
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#define TWO_32 4294967296LL   /* 2^32 = 4,294,967,296 */

/* The kernel of these template values (found by value, not by name). */
static const struct ss_fused_kernel *pick(enum ss_fused_kind kind, unsigned d, unsigned bs,
                                          unsigned np, int sm, int sub, enum ss_fused_type t)
{
    for (size_t i = 0; i < SS_FUSED_NKERNELS; i++) {
        const struct ss_fused_kernel *k = &ss_fused_kernels[i];
        if (k->kind == kind && k->d == d && k->bs == bs && k->np == np && k->sm == sm &&
            k->sub == sub && k->type == t)
            return k;
    }
    ck_abort_msg("no kernel kind %d D %u BS %u NP %u SM %d SUB %d", kind, d, bs, np, sm, sub);
    return NULL;
}

/* A launch: one 8-byte slot per parameter, kernel_params pointing at them. */
struct launch {
    const struct ss_fused_kernel *k;
    uint64_t slot[16];
    void *params[16];
    unsigned grid[3], block[3];
};

static void begin(struct launch *l, const struct ss_fused_kernel *k)
{
    memset(l, 0, sizeof *l);
    l->k = k;
    for (unsigned i = 0; i < 16; i++) {
        l->slot[i] = 0x7f0000001000ull + 0x100 * i;   /* pointers: any address */
        l->params[i] = &l->slot[i];
    }
    l->block[1] = l->block[2] = 1;
}

/* An int64 size or stride as the host passes it: its low 32 bits (§7). */
static void set(struct launch *l, unsigned ordinal, int64_t value)
{
    uint32_t v = (uint32_t)(uint64_t)value;
    ck_assert_uint_eq(l->k->layout->params[ordinal].size, 4);
    memcpy(&l->slot[ordinal], &v, sizeof v);
}

static int wraps(struct launch *l)
{
    return ss_fused_launch_wraps(l->k->name, l->params, l->grid, l->block);
}

static void grid(struct launch *l, int64_t x, int64_t y, int64_t z, unsigned threads)
{
    l->grid[0] = (unsigned)x, l->grid[1] = (unsigned)y, l->grid[2] = (unsigned)z;
    l->block[0] = threads;
}

/* An input as torch describes it, in logical (B, N, H, D) order. */
struct tensor { int64_t b, n, h, d, sb, sn, sh; int hnd; };

/* V (or Q, K) of a fused QKV projection (B, N, 3, 56, 128), NHD: token
 * stride 3*56*128 = 21,504, batch stride 21,504*N. */
static struct tensor fused_view(int64_t b, int64_t n)
{
    return (struct tensor){b, n, 56, 128, 21504 * n, 21504, 128, 0};
}

static struct tensor contiguous(int64_t b, int64_t n, int64_t h, int64_t d, int hnd)
{
    if (hnd)
        return (struct tensor){b, n, h, d, h * n * d, d, n * d, 1};
    return (struct tensor){b, n, h, d, n * h * d, h * d, d, 0};
}

/* §3.3: q contiguous like x, s (B, H, G), mu (B, H, D); per-warp entry
 * points pass G = ceil(N/block_size) * (block_size/BS). */
static void quant(struct launch *l, const struct ss_fused_kernel *k, struct tensor x, int64_t g)
{
    struct tensor q = contiguous(x.b, x.n, x.h, x.d, x.hnd);
    begin(l, k);
    set(l, SS_QI_N, x.n);
    set(l, SS_QI_X_SB, x.sb), set(l, SS_QI_X_SN, x.sn), set(l, SS_QI_X_SH, x.sh);
    set(l, SS_QI_MU_SB, k->sub ? x.h * x.d : 0), set(l, SS_QI_MU_SH, k->sub ? x.d : 0);
    set(l, SS_QI_Q_SB, q.sb), set(l, SS_QI_Q_SN, q.sn), set(l, SS_QI_Q_SH, q.sh);
    set(l, SS_QI_S_SB, x.h * g), set(l, SS_QI_S_SH, g);
    grid(l, g, x.h, x.b, k->bs * (k->d / 8) / k->np);
}

static void quant_block(struct launch *l, const struct ss_fused_kernel *k, struct tensor x)
{
    quant(l, k, x, (x.n + k->bs - 1) / k->bs);
}

/* §4.3: y fp16, contiguous like x; grid (ceil(N/BS), H, B), 1,024 threads. */
static void sub_mean(struct launch *l, const struct ss_fused_kernel *k, struct tensor x)
{
    struct tensor y = contiguous(x.b, x.n, x.h, x.d, x.hnd);
    begin(l, k);
    set(l, SS_SM_N, x.n);
    set(l, SS_SM_X_SB, x.sb), set(l, SS_SM_X_SN, x.sn), set(l, SS_SM_X_SH, x.sh);
    set(l, SS_SM_MU_SB, x.h * x.d), set(l, SS_SM_MU_SH, x.d);
    set(l, SS_SM_Y_SB, y.sb), set(l, SS_SM_Y_SN, y.sn), set(l, SS_SM_Y_SH, y.sh);
    grid(l, (x.n + k->bs - 1) / k->bs, x.h, x.b, 1024);
}

/* §5.3: y (B, D, H, P) for NHD, (B, H, D, P) for HND, P = 64*ceil(N/64);
 * grid (P/64, H, B), 8*D threads. */
static void transpose(struct launch *l, const struct ss_fused_kernel *k, struct tensor x)
{
    int64_t p = (x.n + 63) / 64 * 64;
    begin(l, k);
    set(l, SS_TP_N, x.n);
    set(l, SS_TP_X_SB, x.sb), set(l, SS_TP_X_SN, x.sn), set(l, SS_TP_X_SH, x.sh);
    set(l, SS_TP_Y_SB, x.d * x.h * p);
    set(l, SS_TP_Y_SD, x.hnd ? p : x.h * p), set(l, SS_TP_Y_SH, x.hnd ? x.d * p : p);
    grid(l, p / 64, x.h, x.b, 8 * x.d);
}

/* §6.3: x and q the transposed V of §5 (same strides), mu and s (B, H, D);
 * grid (H, B, D), 256 threads. */
static void mean_scale(struct launch *l, const struct ss_fused_kernel *k, int64_t b, int64_t n,
                       int64_t h, int64_t d, int hnd)
{
    int64_t p = (n + 63) / 64 * 64, sd = hnd ? p : h * p, sh = hnd ? d * p : p;
    begin(l, k);
    set(l, SS_MS_N, n);
    set(l, SS_MS_X_SB, d * h * p), set(l, SS_MS_X_SD, sd), set(l, SS_MS_X_SH, sh);
    set(l, SS_MS_Q_SB, d * h * p), set(l, SS_MS_Q_SD, sd), set(l, SS_MS_Q_SH, sh);
    set(l, SS_MS_MU_SB, k->sub ? h * d : 0), set(l, SS_MS_MU_SH, k->sub ? d : 0);
    set(l, SS_MS_S_SB, h * d), set(l, SS_MS_S_SH, d);
    grid(l, h, b, d, 256);
}

/* The first wrapping term's name contains `part`. */
static void assert_term(struct launch *l, const char *part, int truncated)
{
    struct ss_fused_wrap why;
    ck_assert_int_eq(ss_fused_launch_check(l->k->name, l->params, l->grid, l->block, &why), 1);
    ck_assert_ptr_nonnull(why.term);
    ck_assert_msg(strstr(why.term, part), "term \"%s\", expected \"%s\"", why.term, part);
    ck_assert_uint_ge(why.value, (uint64_t)TWO_32);
    ck_assert_int_eq(why.stride_truncated, truncated);
}

#endif
