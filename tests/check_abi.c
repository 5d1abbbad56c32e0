/* check_abi: ss_abi_compare on cubins/PTX of tests/fixtures/kernels.cu and
 * the ABI_* builds of kernels.cu (each differs from the original in one way, listed
 * stated at its top), following fatbin-format §7. */
#include "reader/abi.h"
#include "kernel_fixtures.h"

static struct ss_entry orig, repl;
static struct ss_abi_report report;

static void clear_all(void)
{
    ss_abi_report_free(&report);
    ss_entry_clear_kernels(&orig);
    ss_entry_clear_kernels(&repl);
}

/* Load both fixtures (cubin or PTX by name) and compare them. */
static void compare_files(const char *original, const char *replacement)
{
    if (strstr(original, ".ptx"))
        load_ptx(original, &orig);
    else
        load_cubin(original, &orig);
    if (strstr(replacement, ".ptx"))
        load_ptx(replacement, &repl);
    else
        load_cubin(replacement, &repl);
    ck_assert_int_eq(ss_abi_compare(&orig, &repl, &report), 0);
}

static const struct ss_abi_verdict *verdict(const char *kernel)
{
    for (size_t i = 0; i < report.nverdicts; i++)
        if (strcmp(report.verdicts[i].kernel, kernel) == 0)
            return &report.verdicts[i];
    ck_abort_msg("no verdict for %s", kernel);
    return NULL;
}

static void assert_verdict(const char *kernel, enum ss_abi_level level, const char *reason)
{
    const struct ss_abi_verdict *v = verdict(kernel);
    ck_assert_msg(v->level == level, "%s: %s (%s), expected %s", kernel,
                  ss_abi_level_name(v->level), v->reason, ss_abi_level_name(level));
    ck_assert_msg(strstr(v->reason, reason) != NULL, "%s: reason \"%s\" lacks \"%s\"",
                  kernel, v->reason, reason);
}

/* Every verdict except `except` (may be NULL) is OK. */
static void assert_others_ok(const char *except)
{
    for (size_t i = 0; i < report.nverdicts; i++) {
        const struct ss_abi_verdict *v = &report.verdicts[i];
        if (except && strcmp(v->kernel, except) == 0)
            continue;
        ck_assert_msg(v->level == SS_ABI_OK, "%s: %s %s", v->kernel,
                      ss_abi_level_name(v->level), v->reason);
        ck_assert_str_eq(v->reason, "");
    }
}

START_TEST(identical_rebuild_is_ok)
{
    compare_files("kernels_sm90a.cubin", "abi_rebuild_sm90a.cubin");
    ck_assert_uint_eq(report.nverdicts, 11);
    assert_others_ok(NULL);
    ck_assert_int_eq(report.compatible, 1);
    ck_assert_str_eq(report.summary, "11 kernels: 11 ok, 0 warn, 0 FAIL");
    /* The static kernel is matched by its name. */
    ck_assert_int_eq(verdict("_Z12local_kernelPi")->level, SS_ABI_OK);
}
END_TEST

START_TEST(extern_c_size_change_fails)
{
    /* add_c's `int n` became `long n`: same name, parameter 2 grows. */
    compare_files("kernels_sm90a.cubin", "abi_add_long_sm90a.cubin");
    assert_verdict("add_c", SS_ABI_FAIL, "param 2 size 4 != 8");
    assert_others_ok("add_c");
    ck_assert_int_eq(report.compatible, 0);
    ck_assert_ptr_nonnull(strstr(report.summary, "1 FAIL"));
    ck_assert_ptr_nonnull(strstr(report.summary, "add_c: param 2 size 4 != 8"));
}
END_TEST

START_TEST(extern_c_size_change_fails_in_ptx)
{
    compare_files("kernels_90a.ptx", "abi_add_long_90a.ptx");
    assert_verdict("add_c", SS_ABI_FAIL, "param 2 size 4 != 8");
    assert_others_ok("add_c");
    ck_assert_int_eq(report.compatible, 0);
}
END_TEST

START_TEST(lost_parameter_means_missing_kernel)
{
    /* mixed(char, short, double, Big) has another mangled name. */
    compare_files("kernels_sm90a.cubin", "abi_mixed_lost_sm90a.cubin");
    assert_verdict("_Z5mixedcsd3BigPi", SS_ABI_FAIL, "missing");
    assert_others_ok("_Z5mixedcsd3BigPi");
    ck_assert_int_eq(report.compatible, 0);
}
END_TEST

START_TEST(removed_kernel_fails)
{
    compare_files("kernels_sm90a.cubin", "abi_removed_sm90a.cubin");
    ck_assert_uint_eq(report.nverdicts, 11);
    assert_verdict("_Z6palignc3A64d", SS_ABI_FAIL, "missing");
    assert_others_ok("_Z6palignc3A64d");
    ck_assert_int_eq(report.compatible, 0);
}
END_TEST

START_TEST(extra_kernel_in_replacement_is_fine)
{
    /* The other way round: the replacement has one kernel more. */
    compare_files("abi_removed_sm90a.cubin", "kernels_sm90a.cubin");
    ck_assert_uint_eq(report.nverdicts, 10);
    assert_others_ok(NULL);
    ck_assert_int_eq(report.compatible, 1);
}
END_TEST

START_TEST(smaller_launch_bounds_fail)
{
    /* __launch_bounds__(256, 2) -> (128, 2): 256-thread blocks would fail. */
    compare_files("kernels_sm90a.cubin", "abi_bounds_sm90a.cubin");
    assert_verdict("_Z10tma_kernel14CUtensorMap_stPfi", SS_ABI_FAIL,
                   "max_threads (256,1,1) -> (128,1,1)");
    assert_others_ok("_Z10tma_kernel14CUtensorMap_stPfi");
    ck_assert_int_eq(report.compatible, 0);
}
END_TEST

START_TEST(larger_launch_bounds_warn)
{
    compare_files("abi_bounds_sm90a.cubin", "kernels_sm90a.cubin");
    assert_verdict("_Z10tma_kernel14CUtensorMap_stPfi", SS_ABI_WARN,
                   "max_threads (128,1,1) -> (256,1,1)");
    ck_assert_int_eq(report.compatible, 1);
    ck_assert_str_eq(report.summary, "11 kernels: 10 ok, 1 warn, 0 FAIL");
}
END_TEST

START_TEST(other_arch_offsets_only_warn)
{
    /* sm_80 original, sm_90a replacement: CUtensorMap and A64 move with the
     * parameter base (§4.7), sizes agree; smem_static gains the 0x400. */
    compare_files("kernels_sm80.cubin", "kernels_sm90a.cubin");
    assert_verdict("_Z10tma_kernel14CUtensorMap_stPfi", SS_ABI_WARN,
                   "offsets differ (ok for void** launches)");
    assert_verdict("_Z6palignc3A64d", SS_ABI_WARN, "offsets differ");
    assert_verdict("_Z11smem_staticPf", SS_ABI_WARN, "static smem 0xfa0 -> 0x13a0");
    assert_verdict("add_c", SS_ABI_OK, "");
    ck_assert_int_eq(report.compatible, 1);
}
END_TEST

START_TEST(ptx_against_cubin_offsets_only_warn)
{
    compare_files("kernels_sm90a.cubin", "kernels_90a.ptx");
    assert_verdict("_Z10tma_kernel14CUtensorMap_stPfi", SS_ABI_WARN, "offsets differ");
    assert_verdict("_Z5mixedcsd3BigPi", SS_ABI_OK, "");
    /* PTX says nothing of shared memory: not compared. */
    assert_verdict("_Z11smem_staticPf", SS_ABI_OK, "");
    ck_assert_int_eq(report.compatible, 1);
}
END_TEST

START_TEST(same_arch_offsets_must_match)
{
    /* Two sm_90a cubins of one toolkit: a moved offset or total breaks
     * packed-buffer launches, so it is an error here. */
    load_cubin("kernels_sm90a.cubin", &orig);
    load_cubin("abi_rebuild_sm90a.cubin", &repl);
    struct ss_kernel *k = (struct ss_kernel *)kernel_named(&repl, "_Z5mixedcsd3BigPi");
    k->params[4].offset = 56;
    k = (struct ss_kernel *)kernel_named(&repl, "add_c");
    k->param_size = 0x18;
    ck_assert_int_eq(ss_abi_compare(&orig, &repl, &report), 0);
    assert_verdict("_Z5mixedcsd3BigPi", SS_ABI_FAIL, "param 4 offset 48 != 56");
    assert_verdict("add_c", SS_ABI_FAIL, "param size 0x14 != 0x18");

    /* The same edits across toolkit generations only warn. */
    ss_abi_report_free(&report);
    repl.cubin.toolkit = 129;
    ck_assert_int_eq(ss_abi_compare(&orig, &repl, &report), 0);
    assert_verdict("_Z5mixedcsd3BigPi", SS_ABI_WARN, "offsets differ");
    assert_verdict("add_c", SS_ABI_WARN, "offsets differ");
}
END_TEST

START_TEST(required_block_size)
{
    load_cubin("kernels_sm90a.cubin", &orig);
    load_cubin("abi_rebuild_sm90a.cubin", &repl);
    struct ss_kernel *k = (struct ss_kernel *)kernel_named(&repl, "add_c");
    k->req_ntid[0] = 128;
    k->req_ntid[1] = k->req_ntid[2] = 1;
    ck_assert_int_eq(ss_abi_compare(&orig, &repl, &report), 0);
    assert_verdict("add_c", SS_ABI_FAIL, "req_ntid (0,0,0) -> (128,1,1)");

    /* Dropping a requirement only warns. */
    ss_abi_report_free(&report);
    ck_assert_int_eq(ss_abi_compare(&repl, &orig, &report), 0);
    assert_verdict("add_c", SS_ABI_WARN, "req_ntid (128,1,1) -> (0,0,0)");
}
END_TEST

START_TEST(cluster_changes_warn)
{
    load_cubin("cluster_sm90a.cubin", &orig);
    load_cubin("cluster_sm90a.cubin", &repl);
    struct ss_kernel *k = (struct ss_kernel *)kernel_named(&repl, "_Z14cluster_kernelPf");
    k->cluster_dims[0] = 4;
    k = (struct ss_kernel *)kernel_named(&repl, "_Z13ranked_kernelPfi");
    k->max_cluster_rank = 8;
    ck_assert_int_eq(ss_abi_compare(&orig, &repl, &report), 0);
    assert_verdict("_Z14cluster_kernelPf", SS_ABI_WARN, "cluster_dims (2,1,1) -> (4,1,1)");
    assert_verdict("_Z13ranked_kernelPfi", SS_ABI_WARN, "max_cluster_rank 4 -> 8");
    ck_assert_int_eq(report.compatible, 1);
}
END_TEST

START_TEST(unread_entries_fail)
{
    load_cubin("kernels_sm90a.cubin", &orig);
    memset(&repl, 0, sizeof repl);     /* e.g. a payload that failed to decompress */
    ck_assert_int_eq(ss_abi_compare(&orig, &repl, &report), 0);
    ck_assert_uint_eq(report.nverdicts, 1);
    ck_assert_int_eq(report.verdicts[0].level, SS_ABI_FAIL);
    ck_assert_ptr_nonnull(strstr(report.verdicts[0].reason, "replacement"));
    ck_assert_int_eq(report.compatible, 0);
}
END_TEST

START_TEST(level_names)
{
    ck_assert_str_eq(ss_abi_level_name(SS_ABI_OK), "ok");
    ck_assert_str_eq(ss_abi_level_name(SS_ABI_WARN), "warn");
    ck_assert_str_eq(ss_abi_level_name(SS_ABI_FAIL), "FAIL");
}
END_TEST

static Suite *abi_suite(void)
{
    Suite *s = suite_create("abi");
    TCase *tc = tcase_create("variants");
    tcase_add_checked_fixture(tc, NULL, clear_all);
    tcase_add_test(tc, identical_rebuild_is_ok);
    tcase_add_test(tc, extern_c_size_change_fails);
    tcase_add_test(tc, extern_c_size_change_fails_in_ptx);
    tcase_add_test(tc, lost_parameter_means_missing_kernel);
    tcase_add_test(tc, removed_kernel_fails);
    tcase_add_test(tc, extra_kernel_in_replacement_is_fine);
    tcase_add_test(tc, smaller_launch_bounds_fail);
    tcase_add_test(tc, larger_launch_bounds_warn);
    tcase_add_test(tc, other_arch_offsets_only_warn);
    tcase_add_test(tc, ptx_against_cubin_offsets_only_warn);
    tcase_add_test(tc, same_arch_offsets_must_match);
    tcase_add_test(tc, required_block_size);
    tcase_add_test(tc, cluster_changes_warn);
    tcase_add_test(tc, unread_entries_fail);
    tcase_add_test(tc, level_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(abi_suite());
}
