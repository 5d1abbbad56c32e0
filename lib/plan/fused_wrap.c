/* fused_wrap.c: would upstream's 32-bit index arithmetic wrap on this launch
 * of a `_fused` kernel?
 *
 * Upstream adds each product of an index and a stride to the base pointer
 * separately, each product reduced modulo 2^32 (spec §2.4); MeanScale's
 * index into mean and scale is one 32-bit sum (§6.5).  For every such term
 * we take its largest value over the threads of the launch that actually
 * touch memory (the launch mappings of §3.3-§6.3; token indices stop below
 * N where the kernel guards its accesses) and compare it, in 64 bits, with
 * 2^32.  The thresholds of §8 follow from exactly this. */
#include "fused.h"

#include <string.h>

#define TWO_32 ((uint64_t)1 << 32)

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* One term of an offset, `max` its largest value: the first that reaches
 * 2^32 is the one reported. */
static void term(struct ss_fused_wrap *w, const char *name, uint64_t max)
{
    if (max >= TWO_32 && !w->term) {
        w->term = name;
        w->value = max;
    }
}

/* The batch term.  The host narrows strides to 32 bits (§7), so a batch
 * stride >= 2^32 arrives reduced; what it was cannot be read, but when the
 * batch dimension encloses the others without a gap (every contiguous
 * tensor, the fused-QKV views) it was `whole`, the largest stride*size of
 * the other dimensions.  If `whole` is >= 2^32 and agrees with the
 * parameter in its low 32 bits, that is taken as the truncated stride:
 * batches >= 1 then land elsewhere whatever the kernel does. */
static void batch_term(struct ss_fused_wrap *w, const char *name, uint64_t b_max,
                       unsigned given, uint64_t whole)
{
    uint64_t stride = given;
    if (whole >= TWO_32 && (uint32_t)whole == given)
        stride = whole;
    if (b_max > 0 && stride != given)
        w->stride_truncated = 1;
    term(w, name, mul_sat(b_max, stride));
}

/* The largest token n = g*bs + r (g < blocks, r <= r_max) below n_tokens:
 * the last one a guarded access reaches.  0 when none is. */
static int last_token(uint64_t n_tokens, uint64_t blocks, uint64_t bs, uint64_t r_max,
                      uint64_t *n)
{
    if (n_tokens == 0)
        return 0;
    uint64_t last = n_tokens - 1;
    uint64_t g = last / bs < blocks - 1 ? last / bs : blocks - 1;
    uint64_t top = g * bs + r_max;
    *n = top < last ? top : last;
    return 1;
}

static unsigned arg(void *const *params, unsigned ordinal)
{
    unsigned v;
    memcpy(&v, params[ordinal], sizeof v);
    return v;
}

struct launch {
    uint64_t grid[3];
    uint64_t t_max;          /* largest threadIdx.x */
};

/* §3.3-§3.5: grid (G, H, B); thread t: token row r = t/(D/8) of block g,
 * n_0 = g*BS + r, pack k adds the separate term W(k*R*stride), R = BS/NP. */
static void quant_int8(const struct ss_fused_kernel *k, void *const *p,
                       const struct launch *l, struct ss_fused_wrap *w)
{
    uint64_t heads = l->grid[1], b_max = l->grid[2] - 1, h_max = heads - 1;
    uint64_t n = arg(p, SS_QI_N), r_max = l->t_max / (k->d / 8), R = k->bs / k->np;
    uint64_t n0;

    /* Every block writes its scale, blocks past N too (§3.4). */
    batch_term(w, "batch*s_sb of scale s", b_max, arg(p, SS_QI_S_SB),
               mul_sat(arg(p, SS_QI_S_SH), heads));
    term(w, "head*s_sh of scale s", h_max * arg(p, SS_QI_S_SH));
    /* The mean is read by every thread, token in range or not. */
    if (k->sub) {
        batch_term(w, "batch*mu_sb of mean mu", b_max, arg(p, SS_QI_MU_SB),
                   mul_sat(arg(p, SS_QI_MU_SH), heads));
        term(w, "head*mu_sh of mean mu", h_max * arg(p, SS_QI_MU_SH));
    }
    if (!last_token(n, l->grid[0], k->bs, r_max, &n0))
        return;
    /* The last pack a thread reaches: k*R < N holds for block 0, row 0. */
    uint64_t last_pack = 0;
    for (uint64_t kk = 1; kk < k->np; kk++)
        if (kk * R < n)
            last_pack = kk;
    unsigned x_sn = arg(p, SS_QI_X_SN), x_sh = arg(p, SS_QI_X_SH);
    unsigned q_sn = arg(p, SS_QI_Q_SN), q_sh = arg(p, SS_QI_Q_SH);
    batch_term(w, "batch*x_sb of input x", b_max, arg(p, SS_QI_X_SB),
               max_u64((uint64_t)x_sn * n, (uint64_t)x_sh * heads));
    term(w, "head*x_sh of input x", h_max * x_sh);
    term(w, "token*x_sn of input x", n0 * x_sn);
    term(w, "pack*x_sn of input x", last_pack * R * x_sn);
    batch_term(w, "batch*q_sb of output q", b_max, arg(p, SS_QI_Q_SB),
               max_u64((uint64_t)q_sn * n, (uint64_t)q_sh * heads));
    term(w, "head*q_sh of output q", h_max * q_sh);
    term(w, "token*q_sn of output q", n0 * q_sn);
    term(w, "pack*q_sn of output q", last_pack * R * q_sn);
}

/* §4.3-§4.5: grid (ceil(N/BS), H, B); token n = g*BS + t/(D/8). */
static void sub_mean(const struct ss_fused_kernel *k, void *const *p,
                     const struct launch *l, struct ss_fused_wrap *w)
{
    uint64_t heads = l->grid[1], b_max = l->grid[2] - 1, h_max = heads - 1;
    uint64_t n = arg(p, SS_SM_N), last;

    if (!last_token(n, l->grid[0], k->bs, l->t_max / (k->d / 8), &last))
        return;
    unsigned x_sn = arg(p, SS_SM_X_SN), x_sh = arg(p, SS_SM_X_SH);
    unsigned y_sn = arg(p, SS_SM_Y_SN), y_sh = arg(p, SS_SM_Y_SH);
    unsigned mu_sh = arg(p, SS_SM_MU_SH);
    batch_term(w, "batch*x_sb of input x", b_max, arg(p, SS_SM_X_SB),
               max_u64((uint64_t)x_sn * n, (uint64_t)x_sh * heads));
    term(w, "head*x_sh of input x", h_max * x_sh);
    term(w, "token*x_sn of input x", last * x_sn);
    batch_term(w, "batch*mu_sb of mean mu", b_max, arg(p, SS_SM_MU_SB),
               mul_sat(mu_sh, heads));
    term(w, "head*mu_sh of mean mu", h_max * mu_sh);
    batch_term(w, "batch*y_sb of output y", b_max, arg(p, SS_SM_Y_SB),
               max_u64((uint64_t)y_sn * n, (uint64_t)y_sh * heads));
    term(w, "head*y_sh of output y", h_max * y_sh);
    term(w, "token*y_sn of output y", last * y_sn);
}

/* §5.3-§5.5: grid (P/64, H, B).  Reads: token 64g + t/(D/8), skipped (zero
 * fill) from N on.  Writes: channel d = t/8 of every column. */
static void transpose(const struct ss_fused_kernel *k, void *const *p,
                      const struct launch *l, struct ss_fused_wrap *w)
{
    uint64_t heads = l->grid[1], b_max = l->grid[2] - 1, h_max = heads - 1;
    uint64_t n = arg(p, SS_TP_N), last;
    unsigned y_sd = arg(p, SS_TP_Y_SD), y_sh = arg(p, SS_TP_Y_SH);

    /* y is (B, D, H, P) for NHD, (B, H, D, P) for HND: the larger of
       y_sd*D and y_sh*H is its batch stride. */
    batch_term(w, "batch*y_sb of output y", b_max, arg(p, SS_TP_Y_SB),
               max_u64((uint64_t)y_sd * k->d, (uint64_t)y_sh * heads));
    term(w, "head*y_sh of output y", h_max * y_sh);
    term(w, "channel*y_sd of output y", (l->t_max / 8) * y_sd);
    if (!last_token(n, l->grid[0], k->bs, l->t_max / (k->d / 8), &last))
        return;
    unsigned x_sn = arg(p, SS_TP_X_SN), x_sh = arg(p, SS_TP_X_SH);
    batch_term(w, "batch*x_sb of input x", b_max, arg(p, SS_TP_X_SB),
               max_u64((uint64_t)x_sn * n, (uint64_t)x_sh * heads));
    term(w, "head*x_sh of input x", h_max * x_sh);
    term(w, "token*x_sn of input x", last * x_sn);
}

/* §6.3-§6.5: grid (H, B, D), one row per block; thread t reads and writes
 * 8-element chunks t + i*n_t of columns [0, 64*ceil(N/64)); the mean and
 * scale index is one 32-bit sum. */
static void mean_scale(const struct ss_fused_kernel *k, void *const *p,
                       const struct launch *l, struct ss_fused_wrap *w)
{
    uint64_t h_max = l->grid[0] - 1, b_max = l->grid[1] - 1, d_max = l->grid[2] - 1;
    uint64_t heads = l->grid[0], channels = l->grid[2];
    uint64_t n = arg(p, SS_MS_N);
    uint64_t p64 = (n + 63) / 64 * 64, chunk = 8 * (l->t_max + 1);

    term(w, "batch*s_sb+head*s_sh+channel of scale s",
         add_sat(add_sat(mul_sat(b_max, arg(p, SS_MS_S_SB)), h_max * arg(p, SS_MS_S_SH)),
                 d_max));
    if (k->sub)
        term(w, "batch*mu_sb+head*mu_sh+channel of mean mu",
             add_sat(add_sat(mul_sat(b_max, arg(p, SS_MS_MU_SB)),
                             h_max * arg(p, SS_MS_MU_SH)), d_max));
    if (p64 == 0)
        return;
    uint64_t i_max = (p64 + chunk - 1) / chunk - 1;
    unsigned x_sd = arg(p, SS_MS_X_SD), x_sh = arg(p, SS_MS_X_SH);
    unsigned q_sd = arg(p, SS_MS_Q_SD), q_sh = arg(p, SS_MS_Q_SH);
    /* x and q are (B, D, H, P) or (B, H, D, P), contiguous. */
    batch_term(w, "batch*x_sb of input x", b_max, arg(p, SS_MS_X_SB),
               max_u64((uint64_t)x_sd * channels, (uint64_t)x_sh * heads));
    term(w, "head*x_sh of input x", h_max * x_sh);
    term(w, "channel*x_sd of input x", d_max * x_sd);
    term(w, "chunk*8*n_t of input x", i_max * chunk);
    batch_term(w, "batch*q_sb of output q", b_max, arg(p, SS_MS_Q_SB),
               max_u64((uint64_t)q_sd * channels, (uint64_t)q_sh * heads));
    term(w, "head*q_sh of output q", h_max * q_sh);
    term(w, "channel*q_sd of output q", d_max * q_sd);
}

int ss_fused_launch_check(const char *mangled_name, void *const *kernel_params,
                          const unsigned grid[3], const unsigned block[3],
                          struct ss_fused_wrap *why)
{
    struct ss_fused_wrap w = {NULL, 0, 0};
    if (why)
        *why = w;
    const struct ss_fused_kernel *k = ss_fused_find(mangled_name);
    if (!k || !kernel_params || !grid || !block)
        return -1;
    for (unsigned i = 0; i < k->layout->nparams; i++)
        if (!kernel_params[i])
            return -1;
    /* An empty grid or block runs no thread (the launch is refused). */
    if (!grid[0] || !grid[1] || !grid[2] || !block[0] || !block[1] || !block[2])
        return 0;
    struct launch l = {{grid[0], grid[1], grid[2]}, block[0] - 1};
    switch (k->kind) {
    case SS_FUSED_QUANT_INT8: quant_int8(k, kernel_params, &l, &w); break;
    case SS_FUSED_SUB_MEAN:   sub_mean(k, kernel_params, &l, &w); break;
    case SS_FUSED_TRANSPOSE:  transpose(k, kernel_params, &l, &w); break;
    case SS_FUSED_MEAN_SCALE: mean_scale(k, kernel_params, &l, &w); break;
    }
    if (why)
        *why = w;
    return w.term != NULL;
}

int ss_fused_launch_wraps(const char *mangled_name, void *const *kernel_params,
                          const unsigned grid[3], const unsigned block[3])
{
    return ss_fused_launch_check(mangled_name, kernel_params, grid, block, NULL);
}
