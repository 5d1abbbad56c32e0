/* check_diagnose: diagnose mode under the tests/shim harness - one line per
 * launch of a watched kernel, the summary at exit, and the warning for
 * SageAttention's quantization kernels running without its attention module.
 *
 * tests/redirect/module.mk builds an observed module,
 * tests/redirect/site/sageattention/_fused.cpython-311-x86_64-linux-gnu.so,
 * carrying the same image as the watched one (kernels shim_scale and
 * shim_shift<4>); the default config observes "*_fused*.so". */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "testutil.h"

static const char *const clients[] = {
    "tests/shim/client_runtime",
    "tests/shim/client_linked",
    "tests/shim/client_dlsym",
};
#define NCLIENTS 3

#define WATCHED_BASE "_qattn_sm90.cpython-311-x86_64-linux-gnu.so"
#define FUSED_MODULE "tests/redirect/site/sageattention/_fused.cpython-311-x86_64-linux-gnu.so"
#define FUSED_BASE "_fused.cpython-311-x86_64-linux-gnu.so"
#define SCALE_LAUNCH "launch dev=0 shim_scale grid=(2,1,1) block=(64,1,1) smem=0 redirected="
#define SHIFT_LAUNCH "launch dev=0 _Z10shim_shiftILi4EEvPii grid=(2,1,1) block=(64,1,1) smem=0 " \
                     "redirected="
#define ATTENTION_WARNING \
    "WARNING: SageAttention's quantization kernels ran but its attention module launched nothing"

static const char *config_for(const char *mode)
{
    static char text[PATH_MAX + 256];
    char abs[PATH_MAX];
    const char *dir = harness_path("tests/redirect/bundle");
    snprintf(text, sizeof text, "[sageshim]\nmode = %s\nbundle = %s\n", mode,
             realpath(dir, abs) ? abs : dir);
    return text;
}

static void run_client(int client, const char *module, const char *mode, const char *devices,
                       const char *launch, struct harness_result *r)
{
    const char *args[] = { "--launch", launch, harness_path(module), HARNESS_KERNEL_SCALE,
                           HARNESS_KERNEL_SHIFT, NULL };
    const char *env[] = { devices, NULL };
    struct harness_opts opts = { .preload = 1, .config = config_for(mode), .env = env };
    ck_assert_int_eq(harness_run(harness_path(clients[client]), args, &opts, r), 0);
    ck_assert_msg(r->status == 0, "%s: status %d\nout: %s\nshim: %s", clients[client], r->status,
                  r->out, r->shim_log);
}

START_TEST(each_launch_of_a_redirected_kernel_is_logged)
{
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, "diagnose", "FAKECUDA_DEVICES=9.0", "plain", &r);
    ck_assert_msg(harness_count(r.shim_log, SCALE_LAUNCH "yes hotfix=no result=0") == 1, "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, SHIFT_LAUNCH "yes hotfix=no result=0") == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* Callers that do not name kernels with cuLibraryGetKernel: the CUDA 12.9
 * runtime (the library's module, then cuModuleGetFunction), and enumeration
 * (cuLibraryEnumerateKernels + cuKernelGetName).  Their launches must be
 * logged all the same. */
static void check_named_another_way(const char *how, const char *fake_line)
{
    const char *args[] = { harness_path(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE,
                           HARNESS_KERNEL_SHIFT, NULL };
    const char *env[] = { "FAKECUDA_DEVICES=9.0", how, NULL };
    struct harness_opts opts = { .preload = 1, .config = config_for("diagnose"), .env = env };
    struct harness_result r;
    ck_assert_int_eq(harness_run(harness_path("tests/shim/client_runtime"), args, &opts, &r), 0);
    ck_assert_msg(r.status == 0, "status %d\nout: %s\nshim: %s", r.status, r.out, r.shim_log);
    ck_assert_msg(harness_count(r.fake_log, fake_line) == 2, "%s", r.fake_log);
    ck_assert_msg(harness_count(r.shim_log, SCALE_LAUNCH "yes hotfix=no result=0") == 1, "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, SHIFT_LAUNCH "yes hotfix=no result=0") == 1, "%s", r.shim_log);
    harness_free(&r);
}

START_TEST(launches_of_kernels_found_through_the_module_are_logged)
{
    check_named_another_way("CLIENT_VIA_MODULE=1", "kernel name=");
}
END_TEST

START_TEST(launches_of_enumerated_kernels_are_logged)
{
    check_named_another_way("CLIENT_ENUMERATE=1", "enumerate count=");
}
END_TEST

START_TEST(cluster_launches_show_the_cluster)
{
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, "diagnose", "FAKECUDA_DEVICES=9.0", "ex", &r);
    ck_assert_msg(harness_count(r.shim_log, "launch dev=0 shim_scale grid=(2,1,1) block=(64,1,1) "
                                            "cluster=(2,1,1) smem=0 redirected=yes hotfix=no result=0") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(kept_originals_launch_unredirected)
{
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, "diagnose", "FAKECUDA_DEVICES=8.9", "plain", &r);
    ck_assert_msg(harness_count(r.shim_log, SCALE_LAUNCH "no hotfix=no result=0") == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* Which devices the shim acts on, and which it leaves alone (issue 18). */
START_TEST(summary_says_which_devices_are_targets)
{
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, "diagnose", "FAKECUDA_DEVICES=9.0,8.6", "plain", &r);
    ck_assert_msg(harness_count(r.shim_log, "summary: devices in archs (redirect, hotfix, long "
                                            "inputs in pieces): 0 (sm_90); untouched: 1 "
                                            "(sm_86)") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(summary_names_the_module_and_counts_launches)
{
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, "diagnose", "FAKECUDA_DEVICES=9.0", "plain", &r);
    ck_assert_msg(harness_count(r.shim_log, "summary: " WATCHED_BASE " (watched): 1 load, "
                                            "1 redirected; launched on devices: 0") == 1,
                  "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "summary:   decision: redirect " WATCHED_BASE) == 1,
                  "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "summary:   shim_scale: 1 launches dev0=1, "
                                            "redirected=yes") == 1,
                  "%s", r.shim_log);
    ck_assert_int_eq(harness_count(r.shim_log, ATTENTION_WARNING), 0);
    harness_free(&r);
}
END_TEST

START_TEST(quantization_without_attention_is_a_warning)
{
    struct harness_result r;
    run_client(_i, FUSED_MODULE, "diagnose", "FAKECUDA_DEVICES=9.0", "plain", &r);
    ck_assert_msg(harness_count(r.shim_log, "summary: " FUSED_BASE " (observed): 1 load, "
                                            "0 redirected") == 1,
                  "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, ATTENTION_WARNING ": the attention output is "
                                            "uninitialized. Likely cause: the shadowed sm90 op "
                                            "in sageattention/sm90_compile.py") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(redirect_mode_logs_no_launches)
{
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, "redirect", "FAKECUDA_DEVICES=9.0", "plain", &r);
    ck_assert_int_eq(harness_count(r.shim_log, "launch dev="), 0);
    ck_assert_int_eq(harness_count(r.shim_log, "summary:"), 0);
    ck_assert_int_eq(harness_count(r.fake_log, "launch name=shim_scale"), 1);
    harness_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("diagnose");
    TCase *tc = tcase_create("diagnose");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, each_launch_of_a_redirected_kernel_is_logged, 0, NCLIENTS);
    tcase_add_test(tc, launches_of_kernels_found_through_the_module_are_logged);
    tcase_add_test(tc, launches_of_enumerated_kernels_are_logged);
    tcase_add_loop_test(tc, cluster_launches_show_the_cluster, 0, NCLIENTS);
    tcase_add_loop_test(tc, kept_originals_launch_unredirected, 0, NCLIENTS);
    tcase_add_loop_test(tc, summary_says_which_devices_are_targets, 0, 1);
    tcase_add_loop_test(tc, summary_names_the_module_and_counts_launches, 0, NCLIENTS);
    tcase_add_loop_test(tc, quantization_without_attention_is_a_warning, 0, NCLIENTS);
    tcase_add_loop_test(tc, redirect_mode_logs_no_launches, 0, NCLIENTS);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
