/* check_cuda12_redirect: the preload library redirecting between toolkit
 * generations, under the tests/shim harness (fake libcuda.so.1).
 *
 * tests/cuda12/watched_tma.cu (shim_scale, shim_shift<4>, shim_tma taking a
 * CUtensorMap by value) is built twice (tests/cuda12/module.mk, under
 * $BUILD/tests/cuda12):
 *   site/sageattention/<module>     12.x original: sm_80 + sm_90a, LZ4
 *   bundle13/                       13.0 -DCORRECTED, sm_90a
 *   site13/sageattention/<module>   13.0 original: sm_80 + sm_90a
 *   bundle12/                       12.x -DCORRECTED, sm_90a, LZ4
 * shim_tma's CUtensorMap moves from offset 48 (12.x, alignas(64)) to 112
 * (13.0, alignas(128)) on sm_90a: a warning, not a refusal.  Skipped (and
 * said so) when the 12.x toolchain could not be had. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sageshim.h"
#include "testutil.h"

#define MODULE_BASE "_qattn_sm90.cpython-311-x86_64-linux-gnu.so"
#define MODULE12 "tests/cuda12/site/sageattention/" MODULE_BASE
#define MODULE13 "tests/cuda12/site13/sageattention/" MODULE_BASE
#define TMA_KERNEL "_Z8shim_tma14CUtensorMap_stPfi"

static const char *const clients[] = {
    "tests/shim/client_runtime",
    "tests/shim/client_linked",
    "tests/shim/client_dlsym",
};

static const char *config_for(const char *bundle)
{
    static char text[PATH_MAX + 64];
    char abs[PATH_MAX];
    const char *dir = harness_path(bundle);
    snprintf(text, sizeof text, "[sageshim]\nbundle = %s\n", realpath(dir, abs) ? abs : dir);
    return text;
}

static void run_client(int client, const char *module, const char *bundle, const char *devices,
                       struct harness_result *r)
{
    const char *args[] = { harness_path(module), HARNESS_KERNEL_SCALE, HARNESS_KERNEL_SHIFT,
                           NULL };
    const char *env[] = { devices, NULL };
    struct harness_opts opts = { .preload = 1, .config = config_for(bundle), .env = env };
    ck_assert_int_eq(harness_run(harness_path(clients[client]), args, &opts, r), 0);
    ck_assert_msg(r->status == 0, "%s: status %d\nout: %s\nerr: %s\nshim: %s", clients[client],
                  r->status, r->out, r->err, r->shim_log);
}

/* The entry the fake driver picked in its first "load" line. */
static const char *loaded_entry(const struct harness_result *r, const char *key, char *buf,
                                size_t len)
{
    char line[2048];
    ck_assert_msg(harness_line(r->fake_log, " entry_sha256=", 0, line, sizeof line),
                  "no load line in:\n%s", r->fake_log);
    ck_assert_msg(harness_field(line, key, buf, len), "no %s in %s", key, line);
    return buf;
}

/* Redirected on 9.0 to the other generation's sm_90a, with the warning. */
static void expect_redirect(int client, const char *module, const char *bundle,
                            const char *bundle_fatbin, const char *bundle_file)
{
    char want[65], got[80], line[512];
    harness_entry_sha(bundle_fatbin, 90, SS_VARIANT_A, want);
    struct harness_result r;
    run_client(client, module, bundle, "FAKECUDA_DEVICES=9.0", &r);
    ck_assert_str_eq(loaded_entry(&r, "entry_sha256", got, sizeof got), want);
    ck_assert_str_eq(loaded_entry(&r, "entry", got, sizeof got), "sm_90a");
    snprintf(line, sizeof line,
             "redirect " MODULE_BASE " (cuLibraryLoadData): sm_90 -> bundle test@cuda12 %s "
             "sm_90a, 3 kernels ABI ok",
             bundle_file);
    ck_assert_msg(harness_count(r.shim_log, line) == 1, "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "ABI warning in " TMA_KERNEL ": offsets differ") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}

START_TEST(original_12_redirected_to_bundle_13)
{
    expect_redirect(_i, MODULE12, "tests/cuda12/bundle13",
                    "tests/cuda12/bundle13/watched13_fixed.fatbin", "watched13_fixed.fatbin");
}
END_TEST

START_TEST(original_13_redirected_to_bundle_12)
{
    expect_redirect(_i, MODULE13, "tests/cuda12/bundle12",
                    "tests/cuda12/bundle12/watched12_fixed.fatbin", "watched12_fixed.fatbin");
}
END_TEST

/* An 8.0 device keeps running the 12.x original's own sm_80 cubin. */
START_TEST(original_12_kept_on_an_8_0_device)
{
    char want[65], got[80];
    harness_entry_sha("tests/cuda12/watched12_orig.fatbin", 80, SS_VARIANT_PLAIN, want);
    struct harness_result r;
    run_client(_i, MODULE12, "tests/cuda12/bundle13", "FAKECUDA_DEVICES=8.0", &r);
    ck_assert_str_eq(loaded_entry(&r, "entry_sha256", got, sizeof got), want);
    ck_assert_msg(harness_count(r.shim_log, "keep original " MODULE_BASE) == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

static const char *skip_reason(void)
{
    static char reason[512];
    FILE *f = fopen(harness_path("tests/cuda12/SKIPPED"), "r");
    if (!f)
        return NULL;
    if (!fgets(reason, sizeof reason, f))
        strcpy(reason, "CUDA 12.x toolchain not available");
    fclose(f);
    reason[strcspn(reason, "\n")] = '\0';
    return reason;
}

int main(void)
{
    const char *reason = skip_reason();
    if (reason) {
        printf("skipped: %s\n", reason);
        return 0;
    }
    Suite *s = suite_create("cuda12_redirect");
    TCase *tc = tcase_create("harness");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, original_12_redirected_to_bundle_13, 0, 3);
    tcase_add_loop_test(tc, original_13_redirected_to_bundle_12, 0, 3);
    tcase_add_loop_test(tc, original_12_kept_on_an_8_0_device, 0, 3);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
