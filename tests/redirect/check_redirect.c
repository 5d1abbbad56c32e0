/* check_redirect: the whole preload library deciding loads, under the
 * tests/shim harness (fake libcuda.so.1 logging what reached "the driver").
 *
 * The watched module carries tests/shim/watched_orig.fatbin (sm_80, sm_89,
 * sm_90a, sm_120, compute_120).  Bundles (tests/redirect/module.mk):
 *   bundle/          watched_fixed.fatbin (same kernels, -DCORRECTED)
 *   bundle_abi/      watched_abi.fatbin: shim_scale's `int n` is `long n`
 *   bundle_badhash/  watched_fixed.fatbin under a MANIFEST hash of nothing
 * Expected hashes are read from those fatbin files here. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sageshim.h"
#include "testutil.h"

static const char *const clients[] = {
    "tests/shim/client_runtime",
    "tests/shim/client_linked",
    "tests/shim/client_dlsym",
};
#define NCLIENTS 3

#define WATCHED_BASE "_qattn_sm90.cpython-311-x86_64-linux-gnu.so"

static const char *config_for(const char *bundle, const char *extra)
{
    static char text[PATH_MAX + 256];
    char abs[PATH_MAX];
    const char *dir = harness_path(bundle);
    snprintf(text, sizeof text, "[sageshim]\nbundle = %s\n%s",
             realpath(dir, abs) ? abs : dir, extra ? extra : "");
    return text;
}

/* Run a client on the watched (or another) module and both kernels. */
static void run_client(int client, const char *module, const char *config,
                       const char *const *env, const char *const *extra_args,
                       struct harness_result *r)
{
    const char *args[16];
    int n = 0;
    for (int i = 0; extra_args && extra_args[i]; i++)
        args[n++] = extra_args[i];
    args[n++] = harness_path(module);
    args[n++] = HARNESS_KERNEL_SCALE;
    args[n++] = HARNESS_KERNEL_SHIFT;
    args[n] = NULL;
    struct harness_opts opts = { .preload = 1, .config = config, .env = env };
    ck_assert_int_eq(harness_run(harness_path(clients[client]), args, &opts, r), 0);
    ck_assert_msg(r->status == 0, "%s: status %d\nout: %s\nerr: %s\nshim: %s", clients[client],
                  r->status, r->out, r->err, r->shim_log);
}

/* The field of the n-th fake "load " line (the only lines with an
 * entry_sha256; "unload api=" would match "load api="). */
static const char *load_field(const struct harness_result *r, int n, const char *key, char *buf,
                              size_t len)
{
    char line[2048];
    ck_assert_msg(harness_line(r->fake_log, " entry_sha256=", n, line, sizeof line),
                  "no load line %d in:\n%s", n, r->fake_log);
    ck_assert_msg(harness_field(line, key, buf, len), "no %s in %s", key, line);
    return buf;
}

START_TEST(redirects_on_a_9_0_device)
{
    char orig[65], fixed90[65], got[80];
    harness_file_sha("tests/shim/watched_orig.fatbin", orig);
    harness_entry_sha("tests/shim/watched_fixed.fatbin", 90, SS_VARIANT_A, fixed90);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", NULL), env, NULL,
               &r);
    ck_assert_str_ne(load_field(&r, 0, "sha256", got, sizeof got), orig);
    ck_assert_str_eq(load_field(&r, 0, "entry_sha256", got, sizeof got), fixed90);
    ck_assert_str_eq(load_field(&r, 0, "entry", got, sizeof got), "sm_90a");
    ck_assert_msg(harness_count(r.shim_log, "redirect " WATCHED_BASE " (cuLibraryLoadData): "
                                            "sm_90 -> bundle test@redirect watched_fixed.fatbin "
                                            "sm_90a, 2 kernels ABI ok; other entries kept") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(keeps_the_original_on_an_8_9_device)
{
    char orig[65], orig89[65], got[80];
    harness_file_sha("tests/shim/watched_orig.fatbin", orig);
    harness_entry_sha("tests/shim/watched_orig.fatbin", 89, SS_VARIANT_PLAIN, orig89);
    const char *env[] = { "FAKECUDA_DEVICES=8.9", NULL };
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", NULL), env, NULL,
               &r);
    ck_assert_str_eq(load_field(&r, 0, "sha256", got, sizeof got), orig);
    ck_assert_str_eq(load_field(&r, 0, "entry_sha256", got, sizeof got), orig89);
    ck_assert_msg(harness_count(r.shim_log, "keep original " WATCHED_BASE " (cuLibraryLoadData): "
                                            "no device of archs 9.0,12.0 (devices: 8.9)") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* One merged image: the 8.9 device still runs the original's sm_89 bytes,
 * the 9.0 device runs the bundle's sm_90a. */
START_TEST(mixed_devices_get_one_merged_image)
{
    char orig[65], orig89[65], fixed90[65], got[80], merged[80];
    harness_file_sha("tests/shim/watched_orig.fatbin", orig);
    harness_entry_sha("tests/shim/watched_orig.fatbin", 89, SS_VARIANT_PLAIN, orig89);
    harness_entry_sha("tests/shim/watched_fixed.fatbin", 90, SS_VARIANT_A, fixed90);
    struct harness_result r;

    const char *on_89[] = { "FAKECUDA_DEVICES=8.9,9.0", "FAKECUDA_CURRENT=0", NULL };
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", NULL), on_89, NULL,
               &r);
    load_field(&r, 0, "sha256", merged, sizeof merged);
    ck_assert_str_ne(merged, orig);
    ck_assert_str_eq(load_field(&r, 0, "entry_sha256", got, sizeof got), orig89);
    harness_free(&r);

    const char *on_90[] = { "FAKECUDA_DEVICES=8.9,9.0", "FAKECUDA_CURRENT=1", NULL };
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", NULL), on_90, NULL,
               &r);
    ck_assert_str_eq(load_field(&r, 0, "sha256", got, sizeof got), merged);
    ck_assert_str_eq(load_field(&r, 0, "entry_sha256", got, sizeof got), fixed90);
    harness_free(&r);
}
END_TEST

START_TEST(refuses_an_abi_incompatible_bundle)
{
    char orig[65], got[80];
    harness_file_sha("tests/shim/watched_orig.fatbin", orig);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle_abi", NULL), env,
               NULL, &r);
    ck_assert_str_eq(load_field(&r, 0, "sha256", got, sizeof got), orig);
    ck_assert_msg(harness_count(r.shim_log, "keep original " WATCHED_BASE " (cuLibraryLoadData): "
                                            "ABI mismatch in shim_scale: param 2 size 4 != 8") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(refuses_a_bundle_file_with_the_wrong_hash)
{
    char orig[65], got[80];
    harness_file_sha("tests/shim/watched_orig.fatbin", orig);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle_badhash", NULL), env,
               NULL, &r);
    ck_assert_str_eq(load_field(&r, 0, "sha256", got, sizeof got), orig);
    ck_assert_msg(harness_count(r.shim_log, "watched_fixed.fatbin: sha256 mismatch") == 1, "%s",
                  r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "keep original " WATCHED_BASE) == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(mode_off_passes_everything_through)
{
    char orig[65], got[80];
    harness_file_sha("tests/shim/watched_orig.fatbin", orig);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", "SAGESHIM_MODE=off", NULL };
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", NULL), env, NULL,
               &r);
    ck_assert_str_eq(load_field(&r, 0, "sha256", got, sizeof got), orig);
    /* Silent at the default level, once at debug. */
    ck_assert_str_eq(r.shim_log, "");
    harness_free(&r);
    const char *debug_env[] = { "FAKECUDA_DEVICES=9.0", "SAGESHIM_MODE=off",
                                "SAGESHIM_LOG_LEVEL=debug", NULL };
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", NULL), debug_env,
               NULL, &r);
    ck_assert_str_eq(load_field(&r, 0, "sha256", got, sizeof got), orig);
    ck_assert_int_eq(harness_count(r.shim_log, "mode off: passing everything through"), 1);
    ck_assert_int_eq(harness_count(r.shim_log, WATCHED_BASE), 0);
    harness_free(&r);
}
END_TEST

START_TEST(unwatched_modules_are_untouched)
{
    char orig[65], got[80];
    harness_file_sha("tests/shim/watched_orig.fatbin", orig);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    struct harness_result r;
    run_client(_i, HARNESS_UNWATCHED_MODULE, config_for("tests/redirect/bundle", NULL), env, NULL,
               &r);
    ck_assert_str_eq(load_field(&r, 0, "sha256", got, sizeof got), orig);
    ck_assert_int_eq(harness_count(r.shim_log, "keep original"), 0);
    ck_assert_int_eq(harness_count(r.shim_log, "redirect unwatched"), 0);
    /* The exit line proves the unwatched image was never parsed. */
    ck_assert_int_eq(harness_count(r.shim_log, "exit: 1 images seen, 0 watched and parsed, "
                                               "1 unwatched not parsed"), 1);
    harness_free(&r);
}
END_TEST

START_TEST(dry_run_loads_the_original)
{
    char orig[65], got[80];
    harness_file_sha("tests/shim/watched_orig.fatbin", orig);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", "dry_run = yes\n"),
               env, NULL, &r);
    ck_assert_str_eq(load_field(&r, 0, "sha256", got, sizeof got), orig);
    ck_assert_msg(harness_count(r.shim_log, "would redirect " WATCHED_BASE " (cuLibraryLoadData): "
                                            "sm_90 -> bundle") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* Eight threads load, launch and unload at once: every load redirected. */
START_TEST(concurrent_loads_are_all_redirected)
{
    char fixed90[65], got[80];
    harness_entry_sha("tests/shim/watched_fixed.fatbin", 90, SS_VARIANT_A, fixed90);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    const char *threads[] = { "--threads", "8", NULL };
    struct harness_result r;
    run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", NULL), env, threads,
               &r);
    ck_assert_int_eq(harness_count(r.fake_log, " entry_sha256="), 8);
    for (int n = 0; n < 8; n++)
        ck_assert_str_eq(load_field(&r, n, "entry_sha256", got, sizeof got), fixed90);
    ck_assert_int_eq(harness_count(r.shim_log, "redirect " WATCHED_BASE), 8);
    ck_assert_int_eq(harness_count(r.fake_log, "unload api="), 8);
    harness_free(&r);
}
END_TEST

/* The other in-memory load calls and the bare-container image. */
START_TEST(every_in_memory_load_call_is_redirected)
{
    static const char *const apis[] = { "module", "moduleex", "fatbinary" };
    static const char *const names[] = { "cuModuleLoadData", "cuModuleLoadDataEx",
                                         "cuModuleLoadFatBinary" };
    char fixed90[65], got[80], want[160];
    harness_entry_sha("tests/shim/watched_fixed.fatbin", 90, SS_VARIANT_A, fixed90);
    const char *env[] = { "FAKECUDA_DEVICES=9.0", NULL };
    for (int a = 0; a < 3; a++) {
        for (int image = 0; image < 2; image++) {
            const char *extra[] = { "--api", apis[a], "--image", image ? "container" : "wrapper",
                                    NULL };
            struct harness_result r;
            run_client(_i, HARNESS_WATCHED_MODULE, config_for("tests/redirect/bundle", NULL), env,
                       extra, &r);
            ck_assert_str_eq(load_field(&r, 0, "entry_sha256", got, sizeof got), fixed90);
            snprintf(want, sizeof want, "redirect " WATCHED_BASE " (%s): sm_90 -> ", names[a]);
            ck_assert_msg(harness_count(r.shim_log, want) == 1, "%s\n%s", want, r.shim_log);
            harness_free(&r);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("redirect");
    TCase *tc = tcase_create("redirect");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, redirects_on_a_9_0_device, 0, NCLIENTS);
    tcase_add_loop_test(tc, keeps_the_original_on_an_8_9_device, 0, NCLIENTS);
    tcase_add_loop_test(tc, mixed_devices_get_one_merged_image, 0, NCLIENTS);
    tcase_add_loop_test(tc, refuses_an_abi_incompatible_bundle, 0, NCLIENTS);
    tcase_add_loop_test(tc, refuses_a_bundle_file_with_the_wrong_hash, 0, NCLIENTS);
    tcase_add_loop_test(tc, mode_off_passes_everything_through, 0, NCLIENTS);
    tcase_add_loop_test(tc, unwatched_modules_are_untouched, 0, NCLIENTS);
    tcase_add_loop_test(tc, dry_run_loads_the_original, 0, NCLIENTS);
    tcase_add_loop_test(tc, concurrent_loads_are_all_redirected, 0, NCLIENTS);
    tcase_add_loop_test(tc, every_in_memory_load_call_is_redirected, 0, NCLIENTS);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
