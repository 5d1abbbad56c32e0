/* check_lifetime: concurrency and lifetime under the preload library, with
 * the fake driver (tests/shim harness) and the corrected bundle
 * (tests/hardening/bundle).
 *   - loads, launches and unloads from many threads at once, each client
 *   - a program that forks (while another thread loads) and whose children
 *     launch, load again and exit (client_fork)
 *   - an extension dlopen'ed, loaded, unloaded and dlclose'd, again and
 *     again, also dlclose'd while its image is still loaded (client_reload)
 *   - two devices (9.0 and 8.9) with the current one switched */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "testutil.h"

#define WATCHED_BASE "_qattn_sm90.cpython-311-x86_64-linux-gnu.so"
#define THREADS "16"

static const char *const clients[] = {
    "tests/shim/client_runtime",
    "tests/shim/client_linked",
    "tests/shim/client_dlsym",
};

static const char *config(void)
{
    static char text[PATH_MAX + 64];
    char abs[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(harness_path("tests/hardening/bundle"), abs));
    snprintf(text, sizeof text, "[sageshim]\nbundle = %s\n", abs);
    return text;
}

static void run(const char *client, const char *const *args, const char *const *env,
                struct harness_result *r)
{
    struct harness_opts opts = { .preload = 1, .config = config(), .env = env, .timeout_s = 60 };
    ck_assert_int_eq(harness_run(harness_path(client), args, &opts, r), 0);
    ck_assert_msg(r->status == 0, "%s: status %d\nout: %s\nerr: %s\nshim: %s", client, r->status,
                  r->out, r->err, r->shim_log);
    ck_assert_str_eq(r->out, "ok\n");
}

START_TEST(many_threads_load_launch_and_unload)
{
    const char *apis[] = { "library", "module" };
    for (int a = 0; a < 2; a++) {
        const char *args[] = { "--api", apis[a], "--threads", THREADS,
                               harness_path(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE,
                               HARNESS_KERNEL_SHIFT, NULL };
        struct harness_result r;
        run(clients[_i], args, NULL, &r);
        /* Every thread's load was redirected, each kernel launched per thread. */
        ck_assert_int_eq(harness_count(r.shim_log, "redirect " WATCHED_BASE), atoi(THREADS));
        ck_assert_int_eq(harness_count_prefix(r.fake_log, "launch name=shim_scale"),
                         atoi(THREADS));
        ck_assert_int_eq(harness_count_prefix(r.fake_log, "launch name=" HARNESS_KERNEL_SHIFT),
                         atoi(THREADS));
        ck_assert_int_eq(harness_count_prefix(r.fake_log, "unload api="), atoi(THREADS));
        harness_free(&r);
    }
}
END_TEST

START_TEST(forked_children_keep_working)
{
    /* GCC 12's ASan allocator does not hold its own locks across fork(): a
     * child forked while the loading thread is inside malloc deadlocks in
     * ASan itself (glibc's malloc is fork-safe).  Under ASan the children
     * are forked without that thread; TSan and plain builds keep it. */
#ifdef __SANITIZE_ADDRESS__
    const char *args[] = { harness_path(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE,
                           "--no-background", NULL };
#else
    const char *args[] = { harness_path(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE, NULL };
#endif
    struct harness_result r;
    run("tests/hardening/client_fork", args, NULL, &r);
    /* Each of the 8 children (client_fork.c: FORKS) redirected its own
     * load, logged under its own pid. */
    int pids[64], npids = 0;
    char line[512];
    for (int i = 0; harness_line(r.shim_log, "redirect " WATCHED_BASE, i, line, sizeof line); i++) {
        ck_assert_int_eq(strncmp(line, "sageshim[", 9), 0);
        int pid = atoi(line + 9), seen = 0;
        for (int k = 0; k < npids; k++)
            seen |= pids[k] == pid;
        if (!seen && npids < 64)
            pids[npids++] = pid;
    }
    ck_assert_msg(npids == 1 + 8, "%d processes redirected:\n%s", npids, r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(extension_closed_and_reopened)
{
    const char *orders[] = { "unload-first", "dlclose-first" };
    for (int o = 0; o < 2; o++) {
        const char *args[] = { harness_path(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE, "5",
                               orders[o], NULL };
        struct harness_result r;
        run("tests/hardening/client_reload", args, NULL, &r);
        /* Each reopening is a new image at (maybe) a new address: redirected each time. */
        ck_assert_int_eq(harness_count(r.shim_log, "redirect " WATCHED_BASE), 5);
        ck_assert_int_eq(harness_count_prefix(r.fake_log, "launch name=shim_scale"),
                         o == 0 ? 5 : 10);
        ck_assert_int_eq(harness_count_prefix(r.fake_log, "unload api="), 5);
        harness_free(&r);
    }
}
END_TEST

START_TEST(two_devices_each_get_their_entry)
{
    /* watched.cu is built for sm_80, sm_89, sm_90a, sm_120: on 9.0 the
     * bundle's sm_90a stands in; on 8.9 the original's sm_89 is used. */
    const char *args[] = { "--threads", "4", harness_path(HARNESS_WATCHED_MODULE),
                           HARNESS_KERNEL_SCALE, NULL };
    const char *current[] = { "FAKECUDA_CURRENT=0", "FAKECUDA_CURRENT=1" };
    const char *entry[] = { "entry=sm_90a", "entry=sm_89" };
    for (int d = 0; d < 2; d++) {
        const char *env[] = { "FAKECUDA_DEVICES=9.0,8.9", current[d], NULL };
        struct harness_result r;
        run(clients[_i], args, env, &r);
        ck_assert_msg(harness_count(r.fake_log, entry[d]) >= 4, "%s", r.fake_log);
        ck_assert_int_eq(harness_count_prefix(r.fake_log, "launch name=shim_scale"), 4);
        harness_free(&r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lifetime");
    TCase *tc = tcase_create("lifetime");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, many_threads_load_launch_and_unload, 0, 3);
    tcase_add_test(tc, forked_children_keep_working);
    tcase_add_test(tc, extension_closed_and_reopened);
    tcase_add_loop_test(tc, two_devices_each_get_their_entry, 0, 3);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
