/* check_tool_abi.c: `sageshim abi ORIGINAL REPLACEMENT`: exit 0 when every
 * kernel can be substituted, 1 when one cannot, 2 on unreadable input. */
#include "testutil.h"
#include "toolrun.h"

static struct tool_result run_abi(const char *original, const char *replacement,
                                  const char *options)
{
    /* fixture_path() reuses one buffer: hand the shell the directory. */
    setenv("FIX", fixture_path(""), 1);
    char script[1024];
    snprintf(script, sizeof script, "\"$SAGESHIM\" abi %s %s %s", original, replacement, options);
    return run_shell(script);
}

START_TEST(identical_file_is_compatible)
{
    struct tool_result r = run_abi("$FIX/kernels_none.fatbin", "$FIX/kernels_none.fatbin", "");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "ok add_c"));
    ck_assert_ptr_nonnull(strstr(r.out, "ok _Z5mixedcsd3BigPi"));
    ck_assert_ptr_null(strstr(r.out, "FAIL "));
    /* kernels_none holds sm_80, sm_89, sm_90(a) and sm_120 code. */
    ck_assert_ptr_nonnull(strstr(r.out, "sm_80:"));
    ck_assert_ptr_nonnull(strstr(r.out, "sm_120:"));
    ck_assert_ptr_nonnull(strstr(r.out, "compatible"));
    tool_result_free(&r);
}
END_TEST

START_TEST(same_kernels_compressed_differently_are_compatible)
{
    struct tool_result r = run_abi("$FIX/kernels_none.fatbin", "$FIX/kernels_size.fatbin",
                                   "--sm 90");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "sm_90:"));
    ck_assert_ptr_null(strstr(r.out, "sm_80:"));
    tool_result_free(&r);
}
END_TEST

START_TEST(replacement_lacking_kernels_is_incompatible)
{
    /* cluster.cu's kernels are not in kernels.cu. */
    struct tool_result r = run_abi("$FIX/cluster.fatbin", "$FIX/kernels_none.fatbin", "");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "FAIL _Z14cluster_kernelPf"));
    ck_assert_ptr_nonnull(strstr(r.out, "FAIL _Z13ranked_kernelPfi"));
    ck_assert_ptr_nonnull(strstr(r.out, "INCOMPATIBLE"));
    tool_result_free(&r);
}
END_TEST

START_TEST(replacement_without_code_for_the_arch_is_incompatible)
{
    /* An sm_80 original against a replacement with only sm_90a code. */
    struct tool_result r = run_abi("$FIX/kernels_sm80.cubin", "$FIX/kernels_sm90a.cubin", "");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "FAIL add_c"));
    tool_result_free(&r);
}
END_TEST

START_TEST(multi_container_module_pairs_containers_by_kernels)
{
    /* libext.so: one container per translation unit; stripping keeps them. */
    struct tool_result r = run_abi("$FIX/libext.so", "$FIX/libext_stripped.so", "--sm 90,120");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "ok _Z8ext_fillPffi"));
    ck_assert_ptr_nonnull(strstr(r.out, "ok _Z8ext_axpyIfEvPT_PKS0_S0_l"));
    tool_result_free(&r);
}
END_TEST

START_TEST(unreadable_input_exits_2)
{
    struct tool_result r = run_abi("/nonexistent/orig.so", "$FIX/kernels_none.fatbin", "");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/orig.so"));
    tool_result_free(&r);
    r = run_abi("$FIX/kernels_none.fatbin", "/etc/hostname", "");
    ck_assert_int_eq(r.status, 2);
    tool_result_free(&r);
}
END_TEST

START_TEST(bad_sm_list_is_a_usage_error)
{
    struct tool_result r = run_abi("$FIX/kernels_none.fatbin", "$FIX/kernels_none.fatbin",
                                   "--sm ninety");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--sm"));
    tool_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_abi");
    TCase *tc = tcase_create("abi");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, identical_file_is_compatible);
    tcase_add_test(tc, same_kernels_compressed_differently_are_compatible);
    tcase_add_test(tc, replacement_lacking_kernels_is_incompatible);
    tcase_add_test(tc, replacement_without_code_for_the_arch_is_incompatible);
    tcase_add_test(tc, multi_container_module_pairs_containers_by_kernels);
    tcase_add_test(tc, unreadable_input_exits_2);
    tcase_add_test(tc, bad_sm_list_is_a_usage_error);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
