/* check_doctor_plan: for the same config, devices and module, every line the
 * shim logs about a load (its plan, lib/plan/plan_format.c) is a line of
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
    { "tests/hotfix/long", "archs = 90, 89\n", "FAKECUDA_DEVICES=9.0,8.9",
      "_fused.cpython-312-x86_64-linux-gnu.so", "kept shim_scale: " },
    /* A GPU outside archs: the hotfix is left out (one handle serves both). */
    { "tests/hotfix/good", NULL, "FAKECUDA_DEVICES=9.0,8.6",
      "_fused.cpython-312-x86_64-linux-gnu.so", "device sm_86 is not in archs (90,120)" },
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


/* The long-sequence fix as doctor's own checked item, for the fixture site
 * (_fused and _qattn_sm90), each case with its last line and exit status:
 * the "Long sequences" line follows the verdict, never "fixed" where the
 * hotfix does not apply. */
struct verdict_case {
    const char *bundle;      /* the configured bundle */
    const char *extra;       /* more config */
    const char *devices;
    int status;
    const char *says[3];     /* pieces doctor prints */
};

static const struct verdict_case verdicts[] = {
    { "tests/hotfix/good", NULL, "FAKECUDA_DEVICES=9.0", 0,
      { "      hotfix: applies: 2 of 2 kernels replaced (test@hotfix hotfix_good.fatbin)\n",
        "#388): fixed by the hotfix", "\ndoctor: healthy\n" } },
    /* One kernel with fewer threads than the original admits. */
    { "tests/hotfix/threads", NULL, "FAKECUDA_DEVICES=9.0", 1,
      { "PROBLEM: hotfix of _fused does not apply in full: 1 of 2 kernels replaced; kept "
        "shim_scale: sm_90: max threads 128 < 1024", "#388): NOT fixed",
        "remedy: reinstall sageshim" } },
    /* Two GPUs: each one's reason is named. */
    { "tests/hotfix/long", "archs = 90, 89\n", "FAKECUDA_DEVICES=9.0,8.9", 1,
      { "        sm_90: 1 of 2 kernels replaceable; first kept: shim_scale: sm_90: param 2 "
        "size 8 != 4\n", "        sm_89: 1 of 2 kernels replaceable; first kept: shim_scale: "
        "sm_89: param 2 size 8 != 4\n", "#388): NOT fixed" } },
    /* A GPU outside archs: no hotfix in that process, and the remedy. */
    { "tests/hotfix/good", NULL, "FAKECUDA_DEVICES=9.0,8.6", 1,
      { "device sm_86 is not in archs (90,120); add it to `archs`",
        "not in archs (90,120): untouched", "#388): NOT fixed" } },
    /* No kernel replaced: the library's keep-original line, and a problem. */
    { "tests/hotfix/noarch", NULL, "FAKECUDA_DEVICES=12.0", 1,
      { "hotfix_noarch.fatbin: 0 of 2 kernels replaced; kept ",
        "PROBLEM: hotfix of _fused does not apply: 0 of 2 kernels replaced; kept ",
        "#388): NOT fixed" } },
    /* A bundle without hotfix lines, and no installed one. */
    { "tests/redirect/bundle", NULL, "FAKECUDA_DEVICES=9.0", 1,
      { "PROBLEM: hotfix of _fused not installed: no bundle has a hotfix line for it",
        "`make install`", "#388): NOT fixed" } },
    { "tests/hotfix/good", "hotfix = off\n", "FAKECUDA_DEVICES=9.0", 1,
      { "PROBLEM: hotfix of _fused not applied: hotfix = off", "remedy: hotfix = on",
        "#388): NOT fixed" } },
    { "tests/hotfix/good", "dry_run = yes\n", "FAKECUDA_DEVICES=9.0", 1,
      { "would hotfix _fused", "PROBLEM: hotfix of _fused not applied: dry_run = yes only logs "
        "it", "#388): NOT fixed" } },
};

START_TEST(the_long_sequence_fix_is_a_checked_item)
{
    const struct verdict_case *c = &verdicts[_i];
    const char *env[] = { c->devices, NULL };
    const char *doctor_args[] = { "doctor", harness_path(SITE), NULL };
    struct harness_opts plain = { .preload = 0, .config = config_for(c->bundle, c->extra),
                                  .env = env };
    struct harness_result doc;
    ck_assert_int_eq(harness_run(harness_path("sageshim"), doctor_args, &plain, &doc), 0);
    ck_assert_msg(doc.status == c->status, "%s", doc.out);
    for (int i = 0; i < 3 && c->says[i]; i++)
        ck_assert_msg(strstr(doc.out, c->says[i]), "no '%s' in:\n%s", c->says[i], doc.out);
    if (c->status)
        ck_assert_ptr_null(strstr(doc.out, "fixed by the hotfix"));
    harness_free(&doc);
}
END_TEST

/* A tampered hotfix file: said as such (not "no hotfix line", nor "no
 * usable fatbin: nothing can be redirected"), one problem, the long-sequence line not "fixed". */
START_TEST(a_tampered_hotfix_is_named)
{
    struct harness_result doc;
    ck_assert_int_eq(harness_prepare(&doc), 0);
    char script[8192];
    snprintf(script, sizeof script,
             "cp -r '%s' '%s/b' && printf 'X' | dd of='%s/b/hotfix_good.fatbin' bs=1 seek=300 "
             "conv=notrunc 2>/dev/null", harness_path("tests/hotfix/good"), doc.dir, doc.dir);
    ck_assert_int_eq(system(script), 0);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    const char *doctor_args[] = { "doctor", harness_path(SITE), NULL };
    struct harness_opts plain = { .preload = 0, .config = "[sageshim]\nbundle = %DIR%/b\n",
                                  .env = env };
    ck_assert_int_eq(harness_run_in(harness_path("sageshim"), doctor_args, &plain, &doc), 0);
    ck_assert_msg(doc.status == 1, "%s", doc.out);
    ck_assert_msg(strstr(doc.out, "    hotfix hotfix_good.fatbin: for modules "
                                  "*/sageattention/_fused*.so, 2 kernels, archs 80,89,90,120: "
                                  "TAMPERED or damaged, refused: sha256 mismatch"), "%s", doc.out);
    ck_assert_msg(strstr(doc.out, "      hotfix: TAMPERED: "), "%s", doc.out);
    ck_assert_msg(strstr(doc.out, "\ndoctor: 1 problem found\n"), "%s", doc.out);
    ck_assert_ptr_null(strstr(doc.out, "hotfixes: none"));
    ck_assert_ptr_null(strstr(doc.out, "nothing can be redirected"));
    ck_assert_ptr_null(strstr(doc.out, "fixed by the hotfix"));
    harness_free(&doc);
}
END_TEST

/* The Bundle section counts a hotfix file as one, with its kernels. */
START_TEST(a_hotfix_bundle_is_counted_as_hotfix_files)
{
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    const char *doctor_args[] = { "doctor", harness_path(SITE), NULL };
    struct harness_opts plain = { .preload = 0, .config = config_for("tests/hotfix/good", NULL),
                                  .env = env };
    struct harness_result doc;
    ck_assert_int_eq(harness_run(harness_path("sageshim"), doctor_args, &plain, &doc), 0);
    ck_assert_msg(strstr(doc.out, ": label test@hotfix; 0 fatbin files (0 intact), 1 hotfix file "
                                  "(1 intact, 2 kernels)\n"), "%s", doc.out);
    ck_assert_msg(strstr(doc.out, "archs 80,89,90,120: intact\n"), "%s", doc.out);
    ck_assert_ptr_null(strstr(doc.out, "0 of 0 fatbins"));
    harness_free(&doc);
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
    tcase_add_loop_test(tc, the_long_sequence_fix_is_a_checked_item, 0,
                        sizeof verdicts / sizeof verdicts[0]);
    tcase_add_test(tc, a_tampered_hotfix_is_named);
    tcase_add_test(tc, a_hotfix_bundle_is_counted_as_hotfix_files);
    tcase_add_test(tc, inspect_shows_a_bundles_hotfix_and_its_kernels);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
