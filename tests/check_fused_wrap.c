/* check_fused_wrap.c: the diagnose wrap check (lib/plan/fused_wrap.c) at the
 * thresholds of sageattention-fused.md §8, on launches built as the host
 * builds them (fused_launches.h).  Every expected value is derived from the
 * spec's formulas in the comment above its test. */
#include "fused_launches.h"

/* §8 row 1: the fused-QKV NHD view, read at token n with the term n*21,504,
 * first wraps at n = ceil(2^32/21,504) = 199,729 (199,728*21,504 =
 * 4,294,950,912 < 2^32 <= 199,729*21,504 = 4,294,972,416).  Token 199,729
 * exists from N = 199,730 on; N = 199,808 is §0.2's measured case.  Reads
 * stop below N, so the grid's last block (up to token 199,743 or, per-warp,
 * 199,807) does not count. */
START_TEST(fused_view_first_wraps_at_token_199729)
{
    const struct ss_fused_kernel *kernels[] = {
        pick(SS_FUSED_TRANSPOSE, 128, 64, 0, 0, 0, SS_FUSED_BF16),
        pick(SS_FUSED_QUANT_INT8, 128, 64, 1, 0, 0, SS_FUSED_BF16),
        pick(SS_FUSED_QUANT_INT8, 128, 32, 1, 0, 0, SS_FUSED_HALF),
        pick(SS_FUSED_SUB_MEAN, 128, 64, 1, 0, 0, SS_FUSED_BF16),
    };
    const int64_t n[] = {199728, 199729, 199730, 199808};
    const int expect[] = {0, 0, 1, 1};
    for (unsigned i = 0; i < 4; i++) {
        for (unsigned j = 0; j < 4; j++) {
            struct launch l;
            const struct ss_fused_kernel *k = kernels[i];
            struct tensor x = fused_view(1, n[j]);
            if (k->kind == SS_FUSED_TRANSPOSE)
                transpose(&l, k, x);
            else if (k->kind == SS_FUSED_SUB_MEAN)
                sub_mean(&l, k, x);
            else if (k->bs == 32)   /* per-warp (128, 32): G = ceil(N/128)*4 */
                quant(&l, k, x, (x.n + 127) / 128 * 4);
            else
                quant_block(&l, k, x);
            ck_assert_msg(wraps(&l) == expect[j], "%s N %lld", k->name, (long long)n[j]);
            if (expect[j])
                assert_term(&l, "token*x_sn of input x", 0);
        }
    }
}
END_TEST

/* NP = 2 (D = 128, BS = 128): the second half of a 128-token block adds
 * W(n_0*x_sn) + W(64*x_sn), n_0 = n - 64 (§3.5), so its tokens wrap only from
 * (n - 64)*x_sn >= 2^32: 199,793 on the fused view.  A launch still wraps
 * from N = 199,730, since 199,729 = 1560*128 + 49 is a first-half token.
 * With x_sn = 40*128 = 5,120 (contiguous, 40 heads) the first wrapping token
 * ceil(2^32/5,120) = 838,861 = 6553*128 + 77 is a second-half token: no
 * first-half token reaches 838,861 before 838,912 (block 6554), so NP = 2
 * wraps from N = 838,913, NP = 1 from N = 838,862. */
START_TEST(second_pack_wraps_64_tokens_later)
{
    const struct ss_fused_kernel *np2 = pick(SS_FUSED_QUANT_INT8, 128, 128, 2, 0, 1, SS_FUSED_BF16);
    const struct ss_fused_kernel *np1 = pick(SS_FUSED_QUANT_INT8, 128, 64, 1, 0, 1, SS_FUSED_BF16);
    struct launch l;
    quant_block(&l, np2, fused_view(1, 199729));
    ck_assert_int_eq(wraps(&l), 0);
    quant_block(&l, np2, fused_view(1, 199730));
    ck_assert_int_eq(wraps(&l), 1);
    quant_block(&l, np2, contiguous(1, 838912, 40, 128, 0));
    ck_assert_int_eq(wraps(&l), 0);
    quant_block(&l, np2, contiguous(1, 838913, 40, 128, 0));
    assert_term(&l, "token*x_sn of input x", 0);
    quant_block(&l, np1, contiguous(1, 838861, 40, 128, 0));
    ck_assert_int_eq(wraps(&l), 0);
    quant_block(&l, np1, contiguous(1, 838862, 40, 128, 0));
    ck_assert_int_eq(wraps(&l), 1);
    /* The pack term 64*x_sn itself, with a token stride of 2^26 no host
       passes: N = 64 has no second-pack token (rows 0..63, 63*2^26 < 2^32),
       N = 65 has token 64 = 0 + 64, its term 64*2^26 = 2^32. */
    for (int64_t n = 64; n <= 65; n++) {
        quant_block(&l, np2, contiguous(1, n, 1, 128, 0));
        set(&l, SS_QI_X_SN, TWO_32 / 64);
        ck_assert_int_eq(wraps(&l), n == 65);
    }
    assert_term(&l, "pack*x_sn of input x", 0);
}
END_TEST

/* §8, contiguous HND (1, 56, N, 128): head h's term h*128*N; head 55 wraps
 * from N = ceil(2^32/7,040) = 610,081 (7,040*610,080 = 4,294,963,200).
 * N = 600,064 spans more than 2^32 elements but no term reaches it (§0.2). */
START_TEST(contiguous_hnd_head_55_wraps_from_610081)
{
    const struct ss_fused_kernel *qk = pick(SS_FUSED_QUANT_INT8, 128, 64, 1, 1, 0, SS_FUSED_HALF);
    const struct ss_fused_kernel *sm = pick(SS_FUSED_SUB_MEAN, 128, 64, 1, 0, 0, SS_FUSED_HALF);
    struct launch l;
    quant_block(&l, qk, contiguous(1, 600064, 56, 128, 1));
    ck_assert_int_eq(wraps(&l), 0);
    quant_block(&l, qk, contiguous(1, 610080, 56, 128, 1));
    ck_assert_int_eq(wraps(&l), 0);
    quant_block(&l, qk, contiguous(1, 610081, 56, 128, 1));
    assert_term(&l, "head*x_sh of input x", 0);
    quant_block(&l, qk, contiguous(1, 610112, 56, 128, 1));
    ck_assert_int_eq(wraps(&l), 1);
    sub_mean(&l, sm, contiguous(1, 610080, 56, 128, 1));
    ck_assert_int_eq(wraps(&l), 0);
    sub_mean(&l, sm, contiguous(1, 610081, 56, 128, 1));
    ck_assert_int_eq(wraps(&l), 1);
}
END_TEST

/* §8, the transposed V (1, 56, 128, P), HND: h*128*P wraps for head 55 from
 * P >= 610,081, i.e. P = 610,112 = 64*9533, N >= 610,049; N = 610,048 keeps
 * P = 610,048.  The input's own head term 7,040*N is still below 2^32 there,
 * so Transpose wraps on the write side. */
START_TEST(transposed_hnd_wraps_from_n_610049)
{
    const struct ss_fused_kernel *tp = pick(SS_FUSED_TRANSPOSE, 128, 64, 0, 0, 0, SS_FUSED_HALF);
    const struct ss_fused_kernel *ms = pick(SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 0, SS_FUSED_BF16);
    struct launch l;
    transpose(&l, tp, contiguous(1, 600064, 56, 128, 1));
    ck_assert_int_eq(wraps(&l), 0);
    transpose(&l, tp, contiguous(1, 610048, 56, 128, 1));
    ck_assert_int_eq(wraps(&l), 0);
    transpose(&l, tp, contiguous(1, 610049, 56, 128, 1));
    assert_term(&l, "head*y_sh of output y", 0);
    mean_scale(&l, ms, 1, 610048, 56, 128, 1);
    ck_assert_int_eq(wraps(&l), 0);
    mean_scale(&l, ms, 1, 610049, 56, 128, 1);
    assert_term(&l, "head*x_sh of input x", 0);
}
END_TEST

/* §8, the transposed V (1, 128, 56, P), NHD: d*56*P wraps for channel 127
 * from P >= ceil(2^32/7,112) = 603,905: P = 603,968, N >= 603,905
 * (7,112*603,904 = 4,294,965,248 < 2^32). */
START_TEST(transposed_nhd_wraps_from_n_603905)
{
    const struct ss_fused_kernel *ms = pick(SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 1, SS_FUSED_HALF);
    struct launch l;
    mean_scale(&l, ms, 1, 603904, 56, 128, 0);
    ck_assert_int_eq(wraps(&l), 0);
    mean_scale(&l, ms, 1, 603905, 56, 128, 0);
    assert_term(&l, "channel*x_sd of input x", 0);
}
END_TEST

/* §8 batch rows, §7: with B >= 2 the batch term b*x_sb counts.
 * Contiguous NHD (B, N, 56, 128): x_sb = 7,168*N >= 2^32 from N = 599,187
 * (the host passes 7,168*599,187 - 2^32 = 5,120, yet the kernel is wrong for
 * batch 1); B = 1 never uses it.  B = 3, N = 300,000: x_sb = 2,150,400,000
 * fits, but 2*x_sb = 4,300,800,000 wraps (a kernel can repair that).  The
 * fused view's x_sb = 21,504*N >= 2^32 from N = 199,729, one token before its
 * token term; the transposed V's 7,168*P from P = 599,232 (N >= 599,169). */
START_TEST(batch_term_counts_from_two_batches)
{
    const struct ss_fused_kernel *qk = pick(SS_FUSED_QUANT_INT8, 128, 64, 1, 0, 0, SS_FUSED_BF16);
    const struct ss_fused_kernel *tp = pick(SS_FUSED_TRANSPOSE, 128, 64, 0, 0, 0, SS_FUSED_BF16);
    const struct ss_fused_kernel *ms = pick(SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 0, SS_FUSED_HALF);
    struct launch l;
    quant_block(&l, qk, contiguous(2, 599186, 56, 128, 0));
    ck_assert_int_eq(wraps(&l), 0);
    quant_block(&l, qk, contiguous(1, 599187, 56, 128, 0));
    ck_assert_int_eq(wraps(&l), 0);
    quant_block(&l, qk, contiguous(2, 599187, 56, 128, 0));
    assert_term(&l, "batch*x_sb of input x", 1);
    quant_block(&l, qk, contiguous(2, 300000, 56, 128, 0));
    ck_assert_int_eq(wraps(&l), 0);
    quant_block(&l, qk, contiguous(3, 300000, 56, 128, 0));
    assert_term(&l, "batch*x_sb of input x", 0);
    transpose(&l, tp, fused_view(2, 199728));
    ck_assert_int_eq(wraps(&l), 0);
    transpose(&l, tp, fused_view(2, 199729));
    assert_term(&l, "batch*x_sb of input x", 1);
    mean_scale(&l, ms, 2, 599168, 56, 128, 0);
    ck_assert_int_eq(wraps(&l), 0);
    mean_scale(&l, ms, 2, 599169, 56, 128, 0);
    assert_term(&l, "batch*x_sb of input x", 1);
}
END_TEST

/* §6.5: MeanScale's scale index b*s_sb + h*s_sh + d is one 32-bit sum.  A
 * launch no host makes isolates it: B = H = 2, s_sb = 2^31,
 * s_sh = 2^31 - 64, so each product fits but the sum is 2^32 - 64 + d: below
 * 2^32 with D = 64 (d <= 63), 2^32 with D = 65. */
START_TEST(mean_scale_index_wraps_as_one_sum)
{
    const struct ss_fused_kernel *ms = pick(SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 0, SS_FUSED_BF16);
    struct launch l;
    for (int64_t d = 64; d <= 65; d++) {
        mean_scale(&l, ms, 2, 64, 2, d, 1);
        set(&l, SS_MS_S_SB, TWO_32 / 2), set(&l, SS_MS_S_SH, TWO_32 / 2 - 64);
        ck_assert_int_eq(wraps(&l), d == 65);
    }
    assert_term(&l, "of scale s", 0);
}
END_TEST

/* Only the grid's tokens count (a grid no host makes: too small for N =
 * 1,300,000).  Contiguous NHD (1, N, 56, 64): x_sn = q_sn = 3,584 first
 * wraps at token ceil(2^32/3,584) = 1,198,373; 18,724 blocks of 64 end at
 * token 1,198,335, 18,725 at 1,198,399. */
START_TEST(only_the_grids_tokens_count)
{
    const struct ss_fused_kernel *qk = pick(SS_FUSED_QUANT_INT8, 64, 64, 1, 0, 0, SS_FUSED_HALF);
    struct launch l;
    quant_block(&l, qk, contiguous(1, 1300000, 56, 64, 0));
    l.grid[0] = 18724;
    ck_assert_int_eq(wraps(&l), 0);
    l.grid[0] = 18725;
    assert_term(&l, "token*x_sn of input x", 0);
}
END_TEST

START_TEST(unknown_kernel_or_missing_parameters_answer_minus_one)
{
    const struct ss_fused_kernel *tp = pick(SS_FUSED_TRANSPOSE, 64, 64, 0, 0, 0, SS_FUSED_HALF);
    struct launch l;
    struct ss_fused_wrap why;
    transpose(&l, tp, contiguous(1, 1200000, 56, 64, 0)); /* 1,199,999*3,584 >= 2^32 */
    ck_assert_int_eq(wraps(&l), 1);
    ck_assert_int_eq(ss_fused_launch_wraps("_Z6kernelPf", l.params, l.grid, l.block), -1);
    ck_assert_int_eq(ss_fused_launch_wraps(NULL, l.params, l.grid, l.block), -1);
    ck_assert_int_eq(ss_fused_launch_check(tp->name, NULL, l.grid, l.block, &why), -1);
    ck_assert_ptr_null(why.term);
    ck_assert_int_eq(ss_fused_launch_wraps(tp->name, l.params, NULL, l.block), -1);
    ck_assert_int_eq(ss_fused_launch_wraps(tp->name, l.params, l.grid, NULL), -1);
    l.params[SS_TP_Y_SH] = NULL;
    ck_assert_int_eq(wraps(&l), -1);
    /* An empty grid runs no thread. */
    transpose(&l, tp, contiguous(1, 1200000, 56, 64, 0));
    l.grid[2] = 0;
    ck_assert_int_eq(wraps(&l), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fused_wrap");
    TCase *tc = tcase_create("thresholds");
    tcase_add_test(tc, fused_view_first_wraps_at_token_199729);
    tcase_add_test(tc, second_pack_wraps_64_tokens_later);
    tcase_add_test(tc, contiguous_hnd_head_55_wraps_from_610081);
    tcase_add_test(tc, transposed_hnd_wraps_from_n_610049);
    tcase_add_test(tc, transposed_nhd_wraps_from_n_603905);
    tcase_add_test(tc, batch_term_counts_from_two_batches);
    tcase_add_test(tc, mean_scale_index_wraps_as_one_sum);
    tcase_add_test(tc, only_the_grids_tokens_count);
    tcase_add_test(tc, unknown_kernel_or_missing_parameters_answer_minus_one);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
