/* check_secure: the preload library in a setgid program, end to end.
 *
 * The kernel sets AT_SECURE when a program runs with another effective
 * group than its real one.  The test copies $BUILD/tests/hardening/secure/
 * client (tests/shim/client_linked with the preload library and the fake
 * driver as DT_NEEDED through an absolute DT_RPATH: a secure program ignores
 * LD_PRELOAD and LD_LIBRARY_PATH) into the run's directory, gives it group
 * nogroup (65534) and the setgid bit, and runs it as root.  The library then
 * reads only <its dir>/../etc/sageshim.conf, which each test writes, and
 * logs to stderr: the harness's SAGESHIM_LOG and SAGESHIM_CONF are ignored.
 *
 * Needs root (chgrp to a group it is not in); skipped otherwise. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "sageshim.h"
#include "testutil.h"

#define NOGROUP 65534

static int can_run(void)
{
    if (geteuid() == 0)
        return 1;
    fprintf(stderr, "check_secure: not root, skipped\n");
    return 0;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(from, &bytes, &len, &err), 0);
    FILE *f = fopen(to, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    free(bytes);
    ck_assert_int_eq(chmod(to, mode), 0);
}

static const char *absolute(const char *rel)
{
    static char abs[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(harness_path(rel), abs));
    return abs;
}

/* The config the secure library finds, with `mode`. */
static void write_secure_config(const char *text, mode_t mode)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", harness_path("tests/hardening/secure/etc"));
    mkdir(path, 0755);
    strncat(path, "/sageshim.conf", sizeof path - strlen(path) - 1);
    unlink(path);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* Copy the client into r->dir, setgid nogroup when `setgid`, and run it on
 * the watched module with SAGESHIM_MODE=off in its environment. */
static void run_client(int setgid, struct harness_result *r)
{
    char client[PATH_MAX];
    snprintf(client, sizeof client, "%s/client", r->dir);
    copy_file(harness_path("tests/hardening/secure/client"), client, 0755);
    if (setgid) {
        ck_assert_int_eq(chown(client, 0, NOGROUP), 0);
        ck_assert_int_eq(chmod(client, 02755), 0);
    }
    /* debug: mode off says so only at that level. */
    const char *env[] = { "SAGESHIM_MODE=off", "SAGESHIM_LOG_LEVEL=debug", NULL };
    const char *args[] = { absolute(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE, NULL };
    struct harness_opts opts = { .preload = 0, .env = env };
    ck_assert_int_eq(harness_run_in(client, args, &opts, r), 0);
    ck_assert_msg(r->status == 0, "status %d\nout: %s\nerr: %s", r->status, r->out, r->err);
}

static const char *redirect_config(const char *bundle)
{
    static char text[PATH_MAX + 64];
    snprintf(text, sizeof text, "[sageshim]\nmode = redirect\nbundle = %s\n", bundle);
    return text;
}

START_TEST(setgid_program_ignores_the_environment)
{
    if (!can_run())
        return;
    write_secure_config(redirect_config(absolute("tests/hardening/bundle")), 0644);
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    run_client(1, &r);
    ck_assert_msg(harness_count(r.err, "secure execution (setuid/setgid program): "
                                       "SAGESHIM_CONF, SAGESHIM_MODE, SAGESHIM_LOG, "
                                       "SAGESHIM_LOG_LEVEL ignored") == 1,
                  "%s", r.err);
    /* SAGESHIM_MODE=off was not obeyed: the image was redirected. */
    ck_assert_msg(harness_count(r.err, "redirect _qattn_sm90") == 1, "%s", r.err);
    ck_assert_msg(harness_count(r.err, "mode off") == 0, "%s", r.err);
    /* SAGESHIM_LOG was not obeyed either. */
    ck_assert_str_eq(r.shim_log, "");
    harness_free(&r);
}
END_TEST

START_TEST(same_program_without_setgid_obeys_it)
{
    if (!can_run())
        return;
    write_secure_config(redirect_config(absolute("tests/hardening/bundle")), 0644);
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    run_client(0, &r);
    ck_assert_msg(harness_count(r.shim_log, "mode off") == 1, "%s", r.shim_log);
    ck_assert_msg(harness_count(r.err, "secure execution") == 0, "%s", r.err);
    harness_free(&r);
}
END_TEST

START_TEST(setgid_program_refuses_a_writable_config)
{
    if (!can_run())
        return;
    write_secure_config("[sageshim]\nmode = diagnose\n", 0666);
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    run_client(1, &r);
    ck_assert_msg(harness_count(r.err, "etc/sageshim.conf: refused in a setuid/setgid program: "
                                       "writable by others (mode 666); using defaults") == 1,
                  "%s", r.err);
    ck_assert_msg(harness_count(r.err, "mode=redirect config=(defaults)") == 1, "%s", r.err);
    /* The program itself ran the original code. */
    ck_assert_int_eq(harness_count_prefix(r.fake_log, "launch name=shim_scale"), 1);
    harness_free(&r);
    write_secure_config("", 0644);
}
END_TEST

START_TEST(setgid_program_refuses_a_writable_bundle_file)
{
    if (!can_run())
        return;
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char bundle[PATH_MAX], to[PATH_MAX + 64];
    snprintf(bundle, sizeof bundle, "%s/bundle", r.dir);
    ck_assert_int_eq(mkdir(bundle, 0755), 0);
    snprintf(to, sizeof to, "%s/MANIFEST", bundle);
    copy_file(harness_path("tests/hardening/bundle/MANIFEST"), to, 0644);
    snprintf(to, sizeof to, "%s/watched_fixed.fatbin", bundle);
    copy_file(harness_path("tests/hardening/bundle/watched_fixed.fatbin"), to, 0646);
    write_secure_config(redirect_config(bundle), 0644);
    run_client(1, &r);
    ck_assert_msg(harness_count(r.err, "watched_fixed.fatbin: refused in a setuid/setgid "
                                       "program: writable by others (mode 646); file refused") == 1,
                  "%s", r.err);
    ck_assert_msg(harness_count(r.err, "keep original _qattn_sm90") == 1, "%s", r.err);
    ck_assert_int_eq(harness_count_prefix(r.fake_log, "launch name=shim_scale"), 1);
    harness_free(&r);
    write_secure_config("", 0644);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secure");
    TCase *tc = tcase_create("setgid");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, setgid_program_ignores_the_environment);
    tcase_add_test(tc, same_program_without_setgid_obeys_it);
    tcase_add_test(tc, setgid_program_refuses_a_writable_config);
    tcase_add_test(tc, setgid_program_refuses_a_writable_bundle_file);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
