/* check_doctor_plan: for the same config, devices and module, every line the
 * shim logs about a load (its plan, lib/plan_format.c) is a line of
 * `sageshim doctor` - the two cannot drift apart.
 *
 * The shim runs under the tests/shim harness (client_runtime, which loads as
 * the CUDA runtime does: cuLibraryLoadData); doctor runs with the same fake
 * libcuda.so.1 (FAKECUDA_DEVICES) and the same SAGESHIM_CONF on the fixture
 * site tests/hotfix/site/sageattention (_fused and _qattn_sm90 modules). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "testutil.h"

#define SITE "tests/hotfix/site/sageattention"

static const char *config_for(const char *bundle, const char *extra)
{
    static char text[PATH_MAX + 512];
    char abs[PATH_MAX];
    const char *dir = harness_path(bundle);
    snprintf(text, sizeof text, "[sageshim]\nbundle = %s\n%s", realpath(dir, abs) ? abs : dir,
             extra ? extra : "");
    return text;
}

/* Lines of the shim's log naming `module`, without the "sageshim[pid]: "
 * prefix, each one found as a whole line (indented) in doctor's output.
 * Returns how many were compared. */
static int compare(const char *shim_log, const char *doctor_out, const char *module)
{
    int compared = 0;
    char line[4096];
    for (int i = 0; harness_line(shim_log, module, i, line, sizeof line); i++) {
        const char *text = strstr(line, "]: ");
        ck_assert_ptr_nonnull(text);
        text += 3;
        char want[4200];
        snprintf(want, sizeof want, "      %s\n", text);
        ck_assert_msg(strstr(doctor_out, want), "the shim logged\n  %s\nbut doctor printed:\n%s",
                      text, doctor_out);
        compared++;
    }
    return compared;
}

struct same_case {
    const char *bundle;
    const char *extra;
    const char *devices;
    const char *module;      /* file name under SITE */
    const char *expect;      /* a piece of the line both must have */
};

static const struct same_case cases[] = {
    { "tests/hotfix/good", NULL, "FAKECUDA_DEVICES=9.0",
      "_fused.cpython-312-x86_64-linux-gnu.so", "2 of 2 kernels replaced" },
    { "tests/hotfix/long", NULL, "FAKECUDA_DEVICES=9.0,8.9",
      "_fused.cpython-312-x86_64-linux-gnu.so", "kept shim_scale: " },
    { "tests/redirect/bundle", NULL, "FAKECUDA_DEVICES=8.9,9.0",
      "_qattn_sm90.cpython-312-x86_64-linux-gnu.so", "sm_90 -> bundle test@redirect" },
    { "tests/redirect/bundle_abi", NULL, "FAKECUDA_DEVICES=9.0",
      "_qattn_sm90.cpython-312-x86_64-linux-gnu.so", "ABI mismatch in shim_scale" },
    { "tests/redirect/bundle", "dry_run = yes\n", "FAKECUDA_DEVICES=12.0",
      "_qattn_sm90.cpython-312-x86_64-linux-gnu.so", "would redirect" },
    { "tests/hotfix/both", "hotfix_modules = */sageattention/_qattn_sm90*.so\n",
      "FAKECUDA_DEVICES=9.0", "_qattn_sm90.cpython-312-x86_64-linux-gnu.so",
      "test@both hotfix_good.fatbin: 2 of 2" },
};

START_TEST(doctor_prints_the_lines_the_shim_logs)
{
    const struct same_case *c = &cases[_i];
    const char *config = config_for(c->bundle, c->extra);
    const char *env[] = { c->devices, NULL };
    char module[512];
    snprintf(module, sizeof module, "%s/%s", SITE, c->module);

    struct harness_result shim;
    const char *client_args[] = { harness_path(module), HARNESS_KERNEL_SCALE, NULL };
    struct harness_opts with_shim = { .preload = 1, .config = config, .env = env };
    ck_assert_int_eq(harness_run(harness_path("tests/shim/client_runtime"), client_args,
                                 &with_shim, &shim), 0);
    ck_assert_msg(shim.status == 0, "%s%s", shim.out, shim.shim_log);

    struct harness_result doc;
    const char *doctor_args[] = { "doctor", harness_path(SITE), NULL };
    struct harness_opts plain = { .preload = 0, .config = config, .env = env };
    ck_assert_int_eq(harness_run(harness_path("sageshim"), doctor_args, &plain, &doc), 0);

    ck_assert_msg(harness_count(shim.shim_log, c->expect) == 1, "%s", shim.shim_log);
    ck_assert_msg(strstr(doc.out, c->expect), "%s", doc.out);
    ck_assert_int_gt(compare(shim.shim_log, doc.out, c->module), 0);
    harness_free(&shim);
    harness_free(&doc);
}
END_TEST

/* The refusal that is a problem for doctor is the shim's keep-original. */
START_TEST(a_refused_bundle_is_a_doctor_problem)
{
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    const char *doctor_args[] = { "doctor", harness_path(SITE), NULL };
    struct harness_opts plain = { .preload = 0, .config = config_for("tests/redirect/bundle_abi",
                                                                     NULL), .env = env };
    struct harness_result doc;
    ck_assert_int_eq(harness_run(harness_path("sageshim"), doctor_args, &plain, &doc), 0);
    ck_assert_int_eq(doc.status, 1);
    ck_assert_msg(strstr(doc.out, "PROBLEM: the bundle is refused for "), "%s", doc.out);
    harness_free(&doc);
}
END_TEST

/* `sageshim inspect DIR` on a bundle: its hotfix and the kernels it covers. */
START_TEST(inspect_shows_a_bundles_hotfix_and_its_kernels)
{
    const char *args[] = { "inspect", harness_path("tests/hotfix/scaleonly"), NULL };
    struct harness_opts plain = { .preload = 0 };
    struct harness_result r;
    ck_assert_int_eq(harness_run(harness_path("sageshim"), args, &plain, &r), 0);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "  hotfix hotfix_scaleonly.fatbin: for modules "
                                "*/sageattention/_fused*.so, 1 kernels, intact\n"),
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "    covers shim_scale (sm_80,sm_89,sm_90a,"), "%s", r.out);
    ck_assert_ptr_null(strstr(r.out, "shim_shift"));
    harness_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("doctor_plan");
    TCase *tc = tcase_create("doctor_plan");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, doctor_prints_the_lines_the_shim_logs, 0,
                        sizeof cases / sizeof cases[0]);
    tcase_add_test(tc, a_refused_bundle_is_a_doctor_problem);
    tcase_add_test(tc, inspect_shows_a_bundles_hotfix_and_its_kernels);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
