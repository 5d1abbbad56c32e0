/* check_hostile: hostile and broken input end to end, under the tests/shim
 * harness.  In every case the preload library says what is wrong in one
 * clear log line and the program goes on with the original code.
 *
 * Fixtures (tests/hardening/module.mk), all from tests/shim/watched.cu:
 *   small/, large/ .../_qattn_sm90...so   the watched image with a container
 *                  header claiming 256 bytes / 64 MiB more than it has
 *   bundle/            the corrected fatbin (sanity: it is used)
 *   bundle_truncated/  cut in half, under the cut file's own hash
 *   bundle_swapped/    the original fatbin under the corrected one's hash
 *   bundle_noparam/    shim_scale without its `int n` */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "sageshim.h"
#include "testutil.h"

#define WATCHED_BASE "_qattn_sm90.cpython-311-x86_64-linux-gnu.so"
#define LIE_SMALL "tests/hardening/small/sageattention/" WATCHED_BASE
#define LIE_LARGE "tests/hardening/large/sageattention/" WATCHED_BASE

static void file_sha(const char *rel, char hex[65])
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(harness_path(rel), &bytes, &len, &err), 0);
    ss_sha256_hex(bytes, len, hex);
    free(bytes);
}

static const char *bundle_config(const char *bundle)
{
    static char text[PATH_MAX + 64];
    char abs[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(harness_path(bundle), abs));
    snprintf(text, sizeof text, "[sageshim]\nbundle = %s\n", abs);
    return text;
}

/* Run client_runtime on `module` and shim_scale, in r (prepared or not). */
static void run(const char *module, int preload, const char *config, const char *const *env,
                struct harness_result *r, int prepared)
{
    const char *args[] = { harness_path(module), HARNESS_KERNEL_SCALE, NULL };
    struct harness_opts opts = { .preload = preload, .config = config, .env = env };
    const char *client = harness_path("tests/shim/client_runtime");
    if (prepared)
        ck_assert_int_eq(harness_run_in(client, args, &opts, r), 0);
    else
        ck_assert_int_eq(harness_run(client, args, &opts, r), 0);
}

/* The image the fake driver got was the original file, launched once. */
static void assert_original_ran(const struct harness_result *r)
{
    char orig[65], line[2048], got[80];
    file_sha("tests/shim/watched_orig.fatbin", orig);
    ck_assert_msg(r->status == 0, "status %d\nout: %s\nlog: %s", r->status, r->out, r->shim_log);
    ck_assert_msg(harness_line(r->fake_log, " entry_sha256=", 0, line, sizeof line), "%s",
                  r->fake_log);
    ck_assert_str_eq(harness_field(line, "sha256", got, sizeof got), orig);
    ck_assert_int_eq(harness_count_prefix(r->fake_log, "launch name=shim_scale"), 1);
}

/* ---- images whose sizes lie ---- */

/* The driver (here the fake) is handed exactly what it would have got
 * without the preload library, and the library says why it kept it. */
static void lying_image(const char *module)
{
    struct harness_result with, without;
    run(module, 1, bundle_config("tests/hardening/bundle"), NULL, &with, 0);
    run(module, 0, NULL, NULL, &without, 0);
    ck_assert_msg(with.status == 1 && without.status == 1, "status %d / %d", with.status,
                  without.status);
    ck_assert_str_eq(with.fake_log, without.fake_log);
    ck_assert_str_eq(with.out, without.out);
    ck_assert_msg(harness_count(with.shim_log, "keep original " WATCHED_BASE
                                               " (cuLibraryLoadData): parse error at offset") == 1,
                  "%s", with.shim_log);
    harness_free(&with);
    harness_free(&without);
}

START_TEST(image_claiming_a_little_more_is_kept)
{
    lying_image(LIE_SMALL);
}
END_TEST

START_TEST(image_claiming_unmapped_bytes_is_kept)
{
    lying_image(LIE_LARGE);
}
END_TEST

/* ---- broken bundles ---- */

START_TEST(the_good_bundle_is_used)
{
    struct harness_result r;
    run(HARNESS_WATCHED_MODULE, 1, bundle_config("tests/hardening/bundle"), NULL, &r, 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(harness_count(r.shim_log, "redirect " WATCHED_BASE) == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(truncated_bundle_file_is_refused)
{
    struct harness_result r;
    run(HARNESS_WATCHED_MODULE, 1, bundle_config("tests/hardening/bundle_truncated"), NULL, &r, 0);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.shim_log, "watched_fixed.fatbin: not a usable fatbin (") == 1 &&
                      harness_count(r.shim_log, "runs past the end of the input") == 1,
                  "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "keep original " WATCHED_BASE) == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(swapped_bundle_file_is_refused)
{
    struct harness_result r;
    run(HARNESS_WATCHED_MODULE, 1, bundle_config("tests/hardening/bundle_swapped"), NULL, &r, 0);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.shim_log, "watched_fixed.fatbin: sha256 mismatch") == 1, "%s",
                  r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "keep original " WATCHED_BASE) == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* A MANIFEST of 1 MiB of damaged lines (issue 20): 8 problems and one line
 * for the rest in the log, not ~70,000; its good line is still used. */
START_TEST(damaged_manifest_problems_are_capped)
{
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char bundle[PATH_MAX], path[PATH_MAX + 32], config[PATH_MAX + 64];
    snprintf(bundle, sizeof bundle, "%s/bundle", r.dir);
    ck_assert_int_eq(mkdir(bundle, 0755), 0);
    uint8_t *bytes = NULL, *manifest = NULL;
    size_t len = 0, manifest_len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(harness_path("tests/hardening/bundle/watched_fixed.fatbin"),
                                  &bytes, &len, &err), 0);
    snprintf(path, sizeof path, "%s/watched_fixed.fatbin", bundle);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    free(bytes);
    ck_assert_int_eq(ss_read_file(harness_path("tests/hardening/bundle/MANIFEST"), &manifest,
                                  &manifest_len, &err), 0);
    snprintf(path, sizeof path, "%s/MANIFEST", bundle);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    int bad = 0;
    for (size_t written = 0; written + manifest_len + 16 < 1024 * 1024; bad++)
        written += (size_t)fprintf(f, "garbage %06d\n", bad);
    ck_assert_uint_eq(fwrite(manifest, 1, manifest_len, f), manifest_len);
    ck_assert_int_eq(fclose(f), 0);
    free(manifest);
    snprintf(config, sizeof config, "[sageshim]\nbundle = %s\n", bundle);
    run(HARNESS_WATCHED_MODULE, 1, config, NULL, &r, 1);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(harness_count(r.shim_log, "unknown directive"), 8);
    char more[128];
    snprintf(more, sizeof more, "MANIFEST: %d more problems not shown", bad - 8);
    ck_assert_msg(harness_count(r.shim_log, more) == 1, "%s", r.shim_log);
    ck_assert_int_lt((int)strlen(r.shim_log), 8192);
    ck_assert_msg(harness_count(r.shim_log, "redirect " WATCHED_BASE) == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(bundle_kernel_missing_a_parameter_is_refused)
{
    struct harness_result r;
    run(HARNESS_WATCHED_MODULE, 1, bundle_config("tests/hardening/bundle_noparam"), NULL, &r, 0);
    assert_original_ran(&r);
    /* watched.cu: shim_scale(float *, float, int); the bundle's lacks the int. */
    ck_assert_msg(harness_count(r.shim_log, "keep original " WATCHED_BASE
                                            " (cuLibraryLoadData): ABI mismatch in shim_scale: "
                                            "3 params != 2") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* ---- broken config files ---- */

static void run_with_conf_path(const char *path, struct harness_result *r)
{
    char setting[PATH_MAX + 32];
    snprintf(setting, sizeof setting, "SAGESHIM_CONF=%s", path);
    const char *env[] = { setting, NULL };
    run(HARNESS_WATCHED_MODULE, 1, NULL, env, r, 1);
}

START_TEST(config_that_is_a_directory)
{
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/conf.d", r.dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    run_with_conf_path(path, &r);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.shim_log, "conf.d: SAGESHIM_CONF: not a regular file, ignored") == 1,
                  "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "mode=redirect config=(defaults)") == 1, "%s",
                  r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(config_that_is_empty)
{
    struct harness_result r;
    run(HARNESS_WATCHED_MODULE, 1, "", NULL, &r, 0);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.shim_log, "config:") == 0, "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "mode=redirect") == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(config_of_binary_garbage)
{
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/garbage.conf", r.dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    /* Every byte value, NUL, ESC and newlines included, in a fixed order. */
    unsigned x = 12345;
    for (int i = 0; i < 4096; i++) {
        x = x * 1103515245u + 12345u;
        fputc((int)((x >> 16) & 0xff), f);
    }
    fclose(f);
    run_with_conf_path(path, &r);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.shim_log, "garbage.conf:") >= 1, "%s", r.shim_log);
    /* At most 8 problems, then one line counting the rest. */
    ck_assert_int_le(harness_count(r.shim_log, "garbage.conf:"), 8);
    ck_assert_msg(harness_count(r.shim_log, "more problems not shown") == 1, "%s", r.shim_log);
    /* Quoted garbage cannot split lines or reach a terminal as escapes. */
    for (const char *p = r.shim_log; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 || *p == '\n', "control byte %#x in the log",
                      (unsigned char)*p);
    int lines = 0;
    for (const char *p = r.shim_log; *p; p++)
        if (*p == '\n' && p[1] && strncmp(p + 1, "sageshim[", 9) != 0)
            lines++;
    ck_assert_msg(lines == 0, "a line not starting with sageshim[:\n%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(config_with_unknown_keys_and_repeated_sections)
{
    struct harness_result r;
    run(HARNESS_WATCHED_MODULE, 1,
        "[sageshim]\nmode = diagnose\ncolour = blue\n"
        "[sageshim]\nlog_level = debug\n"
        "[elsewhere]\nx = 1\n",
        NULL, &r, 0);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.shim_log, ":3: unknown key 'colour'") == 1, "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, ":6: unknown section '[elsewhere]'") == 1, "%s",
                  r.shim_log);
    /* The repeated section goes on where the first left off. */
    ck_assert_msg(harness_count(r.shim_log, "mode=diagnose") == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* ---- the log file ---- */

START_TEST(unwritable_log_falls_back_to_stderr_with_one_line)
{
    struct harness_result r;
    const char *env[] = { "SAGESHIM_LOG=/nonexistent/dir/sageshim.log", NULL };
    run(HARNESS_WATCHED_MODULE, 1, "", env, &r, 0);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.err, "cannot open log /nonexistent/dir/sageshim.log: No such "
                                       "file or directory; logging to stderr") == 1,
                  "%s", r.err);
    /* Later lines go to stderr (the start-up line: the bundle is missing,
     * which is said at debug level only). */
    ck_assert_msg(harness_count(r.err, "]: mode=redirect") == 1, "%s", r.err);
    harness_free(&r);
}
END_TEST

/* A config problem is said on the console as well as in a log file; when
 * the log file could not be opened the log is the console: once there. */
START_TEST(config_problem_with_unwritable_log_is_said_once)
{
    struct harness_result r;
    const char *env[] = { "SAGESHIM_LOG=/nonexistent/dir/sageshim.log", NULL };
    run(HARNESS_WATCHED_MODULE, 1, "[sageshim]\ncolour = blue\n", env, &r, 0);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.err, ":2: unknown key 'colour'") == 1, "%s", r.err);
    harness_free(&r);
}
END_TEST

START_TEST(log_path_that_is_a_symlink_is_not_followed)
{
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char link[PATH_MAX], target[PATH_MAX], setting[PATH_MAX + 32];
    snprintf(link, sizeof link, "%s/link.log", r.dir);
    snprintf(target, sizeof target, "%s/target", r.dir);
    ck_assert_int_eq(symlink(target, link), 0);
    snprintf(setting, sizeof setting, "SAGESHIM_LOG=%s", link);
    const char *env[] = { setting, NULL };
    run(HARNESS_WATCHED_MODULE, 1, "", env, &r, 1);
    assert_original_ran(&r);
    ck_assert_msg(harness_count(r.err, "link.log: Too many levels of symbolic links; logging "
                                       "to stderr") == 1,
                  "%s", r.err);
    ck_assert_int_eq(access(target, F_OK), -1);
    harness_free(&r);
}
END_TEST

START_TEST(existing_log_is_appended_to_not_truncated)
{
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char path[PATH_MAX], setting[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/kept.log", r.dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("an earlier line\n", f);
    fclose(f);
    snprintf(setting, sizeof setting, "SAGESHIM_LOG=%s", path);
    const char *env[] = { setting, NULL };
    run(HARNESS_WATCHED_MODULE, 1, "", env, &r, 1);
    assert_original_ran(&r);
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(path, &bytes, &len, &err), 0);
    ck_assert_msg(len > 16 && memcmp(bytes, "an earlier line\nsageshim[", 25) == 0, "%.*s",
                  (int)len, (const char *)bytes);
    free(bytes);
    harness_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostile");
    TCase *images = tcase_create("images");
    tcase_set_timeout(images, 60);
    tcase_add_test(images, image_claiming_a_little_more_is_kept);
    tcase_add_test(images, image_claiming_unmapped_bytes_is_kept);
    suite_add_tcase(s, images);

    TCase *bundles = tcase_create("bundles");
    tcase_set_timeout(bundles, 60);
    tcase_add_test(bundles, the_good_bundle_is_used);
    tcase_add_test(bundles, truncated_bundle_file_is_refused);
    tcase_add_test(bundles, swapped_bundle_file_is_refused);
    tcase_add_test(bundles, damaged_manifest_problems_are_capped);
    tcase_add_test(bundles, bundle_kernel_missing_a_parameter_is_refused);
    suite_add_tcase(s, bundles);

    TCase *configs = tcase_create("configs");
    tcase_set_timeout(configs, 60);
    tcase_add_test(configs, config_that_is_a_directory);
    tcase_add_test(configs, config_that_is_empty);
    tcase_add_test(configs, config_of_binary_garbage);
    tcase_add_test(configs, config_with_unknown_keys_and_repeated_sections);
    suite_add_tcase(s, configs);

    TCase *log = tcase_create("log");
    tcase_set_timeout(log, 60);
    tcase_add_test(log, unwritable_log_falls_back_to_stderr_with_one_line);
    tcase_add_test(log, config_problem_with_unwritable_log_is_said_once);
    tcase_add_test(log, log_path_that_is_a_symlink_is_not_followed);
    tcase_add_test(log, existing_log_is_appended_to_not_truncated);
    suite_add_tcase(s, log);
    return run_suite(s);
}
