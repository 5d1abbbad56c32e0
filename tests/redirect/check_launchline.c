/* check_launchline: the diagnose line of a launch (shim/launchline.c) is the
 * text the documented printf formats give, for every field's extremes, and
 * is cut safely when the buffer is short. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"
#include "testutil.h"

/* The line as the README documents it, through snprintf. */
static void reference(char *out, size_t cap, const struct shim_launch_info *l, int dev,
                      const char *name, int redirected, int hotfixed)
{
    char cluster[64] = "";
    if (l->cluster[0] || l->cluster[1] || l->cluster[2])
        snprintf(cluster, sizeof cluster, " cluster=(%d,%d,%d)", l->cluster[0], l->cluster[1],
                 l->cluster[2]);
    if (l->result == 0)
        snprintf(out, cap, "launch dev=%d %s grid=(%u,%u,%u) block=(%u,%u,%u)%s smem=%u redirected=%s hotfix=%s result=0",
                 dev, name, l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1],
                 l->block[2], cluster, l->shared_bytes, redirected ? "yes" : "no",
                 hotfixed ? "yes" : "no");
    else
        snprintf(out, cap, "launch FAILED result=%d dev=%d %s grid=(%u,%u,%u) block=(%u,%u,%u)%s smem=%u redirected=%s hotfix=%s",
                 l->result, dev, name, l->grid[0], l->grid[1], l->grid[2], l->block[0],
                 l->block[1], l->block[2], cluster, l->shared_bytes, redirected ? "yes" : "no",
                 hotfixed ? "yes" : "no");
}

/* Both hotfix values for each call: the field is independent of the others. */
static void expect_same(const struct shim_launch_info *l, int dev, const char *name,
                        int redirected)
{
    for (int hotfixed = 0; hotfixed < 2; hotfixed++) {
        char want[1024], got[1024];
        reference(want, sizeof want, l, dev, name, redirected, hotfixed);
        size_t len = shim_format_launch(got, sizeof got, l, dev, name, redirected, hotfixed);
        ck_assert_str_eq(got, want);
        ck_assert_uint_eq(len, strlen(want));
    }
}

START_TEST(plain_launch_matches_the_format)
{
    struct shim_launch_info l = { .grid = { 132, 1, 1 }, .block = { 256, 1, 1 } };
    expect_same(&l, 0, "_Z12scale_kernelPf12scale_params", 1);
    expect_same(&l, 7, "add_c", 0);
}
END_TEST

START_TEST(extremes_match_the_format)
{
    struct shim_launch_info l = {
        .grid = { UINT_MAX, 65535, 0 },
        .block = { 1024, 0, UINT_MAX },
        .shared_bytes = UINT_MAX,
    };
    expect_same(&l, 15, "k", 1);
    expect_same(&l, -1, "k", 0);
    expect_same(&l, INT_MAX, "k", 0);
    expect_same(&l, INT_MIN, "k", 0);
}
END_TEST

START_TEST(cluster_launch_names_its_dims)
{
    struct shim_launch_info l = { .grid = { 2, 1, 1 }, .block = { 32, 1, 1 },
                                  .cluster = { 2, 1, 1 }, .shared_bytes = 65536 };
    expect_same(&l, 0, "cluster_scale_kernel", 1);
    l.cluster[0] = 0;
    l.cluster[2] = -3;   /* only one dimension set still counts */
    expect_same(&l, 0, "cluster_scale_kernel", 1);
}
END_TEST

START_TEST(failed_launch_leads_with_its_result)
{
    struct shim_launch_info l = { .grid = { 1, 1, 1 }, .block = { 2048, 1, 1 }, .result = 1 };
    expect_same(&l, 0, "k", 1);
    l.result = 719;   /* CUDA_ERROR_LAUNCH_FAILED */
    expect_same(&l, 3, "k", 0);
    l.result = INT_MIN;
    expect_same(&l, 3, "k", 0);
    char got[256];
    shim_format_launch(got, sizeof got, &l, 3, "k", 0, 0);
    ck_assert_ptr_nonnull(strstr(got, "launch FAILED result=-2147483648 dev=3 k "));
    ck_assert_ptr_null(strstr(got, "result=0"));
}
END_TEST

START_TEST(short_buffer_is_cut_and_terminated)
{
    struct shim_launch_info l = { .grid = { 123456, 1, 1 }, .block = { 256, 1, 1 } };
    char want[1024];
    reference(want, sizeof want, &l, 0, "a_long_kernel_name", 1, 1);
    for (size_t cap = 1; cap <= strlen(want) + 1; cap++) {
        char got[1024];
        memset(got, 'X', sizeof got);
        size_t len = shim_format_launch(got, cap, &l, 0, "a_long_kernel_name", 1, 1);
        ck_assert_uint_eq(len, cap - 1);
        ck_assert_int_eq(got[cap - 1], '\0');
        ck_assert_int_eq(got[cap], 'X');   /* nothing written past cap */
        ck_assert_int_eq(strncmp(got, want, cap - 1), 0);
    }
    ck_assert_uint_eq(shim_format_launch(NULL, 0, &l, 0, "k", 1, 0), 0);
}
END_TEST

START_TEST(missing_name_is_a_question_mark)
{
    struct shim_launch_info l = { .grid = { 1, 1, 1 }, .block = { 1, 1, 1 } };
    char got[256];
    shim_format_launch(got, sizeof got, &l, 0, NULL, 0, 1);
    ck_assert_str_eq(got, "launch dev=0 ? grid=(1,1,1) block=(1,1,1) smem=0 redirected=no hotfix=yes "
                          "result=0");
}
END_TEST

static Suite *launchline_suite(void)
{
    Suite *s = suite_create("launchline");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, plain_launch_matches_the_format);
    tcase_add_test(tc, extremes_match_the_format);
    tcase_add_test(tc, cluster_launch_names_its_dims);
    tcase_add_test(tc, failed_launch_leads_with_its_result);
    tcase_add_test(tc, short_buffer_is_cut_and_terminated);
    tcase_add_test(tc, missing_name_is_a_question_mark);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(launchline_suite());
}
