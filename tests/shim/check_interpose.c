/* check_interpose.c: the preload library's interposition, seen from the
 * fake driver: what reaches the driver is unchanged where it must be, every
 * way of reaching the driver goes through the shim and still works, and
 * dlsym answers that are not ours stay exactly what they were. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/sha256.h"
#include "reader/image.h"
#include "testutil.h"

static const char *const clients[] = {"client_runtime", "client_dlsym", "client_linked"};
#define NCLIENTS (sizeof clients / sizeof clients[0])

/* How a client is run: shim or not, and SAGESHIM_MODE (NULL: the default). */
struct setup {
    int preload;
    const char *mode;
};

static void run(const char *client, struct setup setup, const char *const *args,
                struct harness_result *r)
{
    char mode[64];
    const char *env[] = {mode, NULL};
    snprintf(mode, sizeof mode, "SAGESHIM_MODE=%s", setup.mode ? setup.mode : "");
    char program[256];
    snprintf(program, sizeof program, "tests/shim/%s", client);
    struct harness_opts opts = {.preload = setup.preload, .env = setup.mode ? env : NULL};
    ck_assert_int_eq(harness_run(harness_path(program), args, &opts, r), 0);
}

/* The sha256 of watched_orig.fatbin, the container both fixture modules
 * carry: what the driver must see when nothing is redirected. */
static const char *original_sha(void)
{
    static char hex[65];
    harness_file_sha("tests/shim/watched_orig.fatbin", hex);
    return hex;
}

static void assert_ok(const struct harness_result *r)
{
    ck_assert_msg(r->status == 0, "status %d, out: %s err: %s", r->status, r->out, r->err);
    ck_assert_str_eq(r->out, "ok\n");
}

/* One load of the original bytes, both kernels found, launched and the
 * library unloaded. */
static void assert_original_sequence(const struct harness_result *r, const char *expected_sha)
{
    char line[1024], sha[80], entry[32];
    assert_ok(r);
    ck_assert_int_eq(harness_count_prefix(r->fake_log, "load api="), 1);
    ck_assert_ptr_nonnull(harness_line(r->fake_log, "\nload api=", 0, line, sizeof line));
    ck_assert_str_eq(harness_field(line, "sha256", sha, sizeof sha), expected_sha);
    ck_assert_str_eq(harness_field(line, "entry", entry, sizeof entry), "sm_90a");
    ck_assert_int_eq(harness_count(r->fake_log, "kernel name=" HARNESS_KERNEL_SCALE " "), 1);
    ck_assert_int_eq(harness_count(r->fake_log, "kernel name=" HARNESS_KERNEL_SHIFT " "), 1);
    ck_assert_int_eq(harness_count(r->fake_log, "launch name="), 2);
    ck_assert_int_eq(harness_count(r->fake_log, "unload api="), 1);
}

static void check_untouched(const char *module, struct setup setup)
{
    const char *args[] = {harness_path(module), HARNESS_KERNEL_SCALE, HARNESS_KERNEL_SHIFT,
                          NULL};
    const char *expected = original_sha();
    for (size_t i = 0; i < NCLIENTS; i++) {
        struct harness_result bare, shimmed;
        run(clients[i], (struct setup){0, NULL}, args, &bare);
        run(clients[i], setup, args, &shimmed);
        assert_original_sequence(&bare, expected);
        assert_original_sequence(&shimmed, expected);
        harness_free(&bare);
        harness_free(&shimmed);
    }
}

START_TEST(mode_off_passes_the_watched_module_through)
{
    check_untouched(HARNESS_WATCHED_MODULE, (struct setup){1, "off"});
}
END_TEST

START_TEST(unwatched_module_is_untouched_in_redirect_mode)
{
    check_untouched(HARNESS_UNWATCHED_MODULE, (struct setup){1, NULL});
}
END_TEST

START_TEST(unwatched_module_is_untouched_in_diagnose_mode)
{
    check_untouched(HARNESS_UNWATCHED_MODULE, (struct setup){1, "diagnose"});
}
END_TEST

/* Every load API, through every client, with the shim in each mode. */
START_TEST(every_load_api_works_through_the_shim)
{
    static const char *const apis[] = {"library", "module", "moduleex", "fatbinary", "file",
                                       "modfile"};
    static const char *const modes[] = {"off", "redirect", "diagnose"};
    for (size_t m = 0; m < 3; m++)
        for (size_t a = 0; a < sizeof apis / sizeof apis[0]; a++)
            for (size_t c = 0; c < NCLIENTS; c++) {
                int file = strcmp(apis[a], "file") == 0 || strcmp(apis[a], "modfile") == 0;
                const char *module = file ? harness_path("tests/shim/watched_orig.fatbin")
                                          : harness_path(HARNESS_UNWATCHED_MODULE);
                const char *args[] = {"--api", apis[a], module, HARNESS_KERNEL_SHIFT, NULL};
                struct harness_result r;
                run(clients[c], (struct setup){1, modes[m]}, args, &r);
                assert_ok(&r);
                ck_assert_int_eq(harness_count_prefix(r.fake_log, "load api="), 1);
                ck_assert_int_eq(harness_count(r.fake_log, "launch name=" HARNESS_KERNEL_SHIFT),
                                 1);
                ck_assert_int_eq(harness_count(r.fake_log, "unload api="), 1);
                harness_free(&r);
            }
}
END_TEST

/* The runtime asks for launches with flags = 2: the per-thread variant must
 * be what runs, whether the shim hands out its wrapper (diagnose) or not. */
START_TEST(per_thread_launch_reaches_the_per_thread_variant)
{
    static const char *const modes[] = {"off", "redirect", "diagnose"};
    for (size_t m = 0; m < 3; m++) {
        const char *plain[] = {harness_path(HARNESS_UNWATCHED_MODULE), HARNESS_KERNEL_SCALE,
                               NULL};
        const char *ex[] = {"--launch", "ex", harness_path(HARNESS_UNWATCHED_MODULE),
                            HARNESS_KERNEL_SCALE, NULL};
        struct harness_result r;
        run("client_runtime", (struct setup){1, modes[m]}, plain, &r);
        assert_ok(&r);
        ck_assert_int_eq(harness_count(r.fake_log, "api=cuLaunchKernel_ptsz"), 1);
        harness_free(&r);

        run("client_runtime", (struct setup){1, modes[m]}, ex, &r);
        assert_ok(&r);
        ck_assert_int_eq(harness_count(r.fake_log, "api=cuLaunchKernelEx_ptsz cluster=2,1,1"),
                         1);
        harness_free(&r);
    }
}
END_TEST

/* Programs linked with -lcuda call the shim's exports; launches still reach
 * the legacy-stream functions they named. */
START_TEST(linked_launches_reach_the_named_function)
{
    static const char *const modes[] = {"redirect", "diagnose"};
    for (size_t m = 0; m < 2; m++) {
        const char *plain[] = {harness_path(HARNESS_UNWATCHED_MODULE), HARNESS_KERNEL_SCALE,
                               NULL};
        const char *ex[] = {"--launch", "ex", harness_path(HARNESS_UNWATCHED_MODULE),
                            HARNESS_KERNEL_SCALE, NULL};
        struct harness_result r;
        run("client_linked", (struct setup){1, modes[m]}, plain, &r);
        assert_ok(&r);
        ck_assert_int_eq(harness_count(r.fake_log, "api=cuLaunchKernel\n"), 0);
        ck_assert_int_eq(harness_count(r.fake_log, "smem=0 api=cuLaunchKernel"), 1);
        ck_assert_int_eq(harness_count(r.fake_log, "_ptsz"), 0);
        harness_free(&r);

        run("client_linked", (struct setup){1, modes[m]}, ex, &r);
        assert_ok(&r);
        ck_assert_int_eq(harness_count(r.fake_log, "api=cuLaunchKernelEx cluster=2,1,1"), 1);
        harness_free(&r);
    }
}
END_TEST

/* client_runtime checks cuGetProcAddress itself: the 4-argument form at
 * 11030 and the 5-argument form at 12000 both answer and work, a request
 * below a function's first version keeps VERSION_NOT_SUFFICIENT, and the
 * per-thread launch differs from the legacy one. */
START_TEST(proc_address_versions_are_kept)
{
    static const char *const modes[] = {"off", "redirect", "diagnose"};
    const char *args[] = {harness_path(HARNESS_UNWATCHED_MODULE), HARNESS_KERNEL_SCALE, NULL};
    struct harness_result r;
    run("client_runtime", (struct setup){0, NULL}, args, &r);
    assert_ok(&r);
    harness_free(&r);
    for (size_t m = 0; m < 3; m++) {
        run("client_runtime", (struct setup){1, modes[m]}, args, &r);
        assert_ok(&r);
        harness_free(&r);
    }
}
END_TEST

static void check_probe(struct setup setup, const char *wrapped)
{
    struct harness_result r;
    run("probe_dlsym", setup, NULL, &r);
    ck_assert_msg(r.status == 0, "status %d: %s%s", r.status, r.out, r.err);
    ck_assert_int_eq(harness_count(r.out, "DIFFERENT"), 0);
    ck_assert_int_eq(harness_count(r.out, " same"), 6);
    ck_assert_int_eq(harness_count(r.out, wrapped), 1);
    harness_free(&r);
}

/* RTLD_NEXT from the program, RTLD_DEFAULT, cudnn*, unwrapped cu* names and
 * missing names are answered as without the shim; driver functions are
 * wrapped only when the shim is active. */
START_TEST(dlsym_answers_other_names_unchanged)
{
    check_probe((struct setup){0, NULL}, "wrapped=no");
    check_probe((struct setup){1, "off"}, "wrapped=no");
    check_probe((struct setup){1, "redirect"}, "wrapped=yes");
    check_probe((struct setup){1, "diagnose"}, "wrapped=yes");
}
END_TEST

/* Written out here, not taken from the build: the list is the contract. */
START_TEST(exports_only_the_intended_symbols)
{
    static const char *const intended[] = {
        "cuGetProcAddress",   "cuGetProcAddress_v2",   "cuKernelGetFunction",
        "cuLaunchKernel",     "cuLaunchKernelEx",      "cuLibraryGetKernel",
        "cuLibraryLoadData",  "cuLibraryLoadFromFile", "cuLibraryUnload",
        "cuModuleGetFunction", "cuModuleLoad",         "cuModuleLoadData",
        "cuModuleLoadDataEx", "cuModuleLoadFatBinary", "cuModuleUnload",
        "cuLibraryGetModule", "cuLibraryEnumerateKernels", "cuLaunchKernel_ptsz",
        "cuLaunchKernelEx_ptsz", "dlsym",
    };
    char command[4200];
    snprintf(command, sizeof command, "nm -D --defined-only '%s'",
             harness_path("libsageshim.so"));
    FILE *nm = popen(command, "r");
    ck_assert_ptr_nonnull(nm);
    char line[512];
    size_t seen = 0;
    while (fgets(line, sizeof line, nm)) {
        char address[64], type[8], name[256];
        if (sscanf(line, "%63s %7s %255s", address, type, name) != 3)
            continue;
        name[strcspn(name, "@")] = '\0';
        int known = 0;
        for (size_t i = 0; i < sizeof intended / sizeof intended[0]; i++)
            known |= strcmp(name, intended[i]) == 0;
        ck_assert_msg(known, "unexpected export %s", name);
        seen++;
    }
    ck_assert_int_eq(pclose(nm), 0);
    ck_assert_uint_eq(seen, sizeof intended / sizeof intended[0]);
}
END_TEST

/* Every wrapped call is reachable the three ways: kernels found through the
 * library's module or by enumeration, launched per-thread-default-stream,
 * are named and counted in diagnose mode for each client, the one linked
 * with -lcuda included (shim/hooks.def exports those calls too). */
START_TEST(kernels_found_any_way_are_counted_through_every_client)
{
    static const char *const all_clients[] = {"client_runtime", "client_dlsym", "client_linked",
                                              "client_linked_ptds"};
    static const char *const ways[] = {"CLIENT_VIA_MODULE=1", "CLIENT_ENUMERATE=1"};
    static const char *const launches[] = {"plain", "ex"};
    for (size_t c = 0; c < sizeof all_clients / sizeof all_clients[0]; c++)
        for (size_t w = 0; w < 2; w++)
            for (size_t l = 0; l < 2; l++) {
                const char *args[] = {"--launch", launches[l],
                                      harness_path(HARNESS_WATCHED_MODULE),
                                      HARNESS_KERNEL_SCALE, HARNESS_KERNEL_SHIFT, NULL};
                const char *env[] = {"SAGESHIM_MODE=diagnose", ways[w], NULL};
                struct harness_opts opts = {.preload = 1, .env = env};
                char program[64];
                snprintf(program, sizeof program, "tests/shim/%s", all_clients[c]);
                struct harness_result r;
                ck_assert_int_eq(harness_run(harness_path(program), args, &opts, &r), 0);
                assert_ok(&r);
                ck_assert_msg(harness_count(r.shim_log, "launch dev=0 shim_scale ") == 1 &&
                                  harness_count(r.shim_log,
                                                "launch dev=0 " HARNESS_KERNEL_SHIFT " ") == 1,
                              "%s %s %s:\n%s", all_clients[c], ways[w], launches[l],
                              r.shim_log);
                /* The variant the client asked for reached the driver. */
                int ptsz = c != 1 && c != 2;
                ck_assert_int_eq(harness_count(r.fake_log, "_ptsz"), ptsz ? 2 : 0);
                harness_free(&r);
            }
}
END_TEST

/* Eight threads load, get, launch and unload at once, through each client. */
START_TEST(concurrent_loads_from_eight_threads)
{
    static const char *const modes[] = {"redirect", "diagnose"};
    const char *watched[] = {"--threads", "8", harness_path(HARNESS_WATCHED_MODULE),
                             HARNESS_KERNEL_SCALE, HARNESS_KERNEL_SHIFT, NULL};
    const char *unwatched[] = {"--threads", "8", "--api", "module",
                               harness_path(HARNESS_UNWATCHED_MODULE), HARNESS_KERNEL_SCALE,
                               NULL};
    for (size_t m = 0; m < 2; m++)
        for (size_t c = 0; c < NCLIENTS; c++) {
            struct harness_result r;
            run(clients[c], (struct setup){1, modes[m]}, watched, &r);
            assert_ok(&r);
            ck_assert_int_eq(harness_count_prefix(r.fake_log, "load api=cuLibraryLoadData"), 8);
            ck_assert_int_eq(harness_count(r.fake_log, "launch name="), 16);
            ck_assert_int_eq(harness_count(r.fake_log, "unload api=cuLibraryUnload"), 8);
            harness_free(&r);

            run(clients[c], (struct setup){1, modes[m]}, unwatched, &r);
            assert_ok(&r);
            ck_assert_int_eq(harness_count_prefix(r.fake_log, "load api=cuModuleLoadData"), 8);
            ck_assert_int_eq(harness_count(r.fake_log, "unload api=cuModuleUnload"), 8);
            harness_free(&r);
        }
}
END_TEST

/* A kernel the image does not have: the driver's error reaches the caller. */
START_TEST(driver_errors_pass_through)
{
    const char *args[] = {harness_path(HARNESS_UNWATCHED_MODULE), "no_such_kernel", NULL};
    for (size_t c = 0; c < NCLIENTS; c++) {
        struct harness_result r;
        run(clients[c], (struct setup){1, "diagnose"}, args, &r);
        ck_assert_int_eq(r.status, 1);
        ck_assert_int_eq(harness_count(r.out, "(no_such_kernel) = 500"), 1);
        ck_assert_int_eq(harness_count(r.fake_log, "unload api="), 1);
        harness_free(&r);
    }
}
END_TEST

/* The default mode adds no work to launches: the runtime's cuGetProcAddress
 * and a dlsym(libcuda, "cuLaunchKernel") both get the driver's own function.
 * Diagnose mode hands out the shim's wrapper instead. */
static void check_launch_owner(const char *mode, const char *owner)
{
    char mode_var[64];
    snprintf(mode_var, sizeof mode_var, "SAGESHIM_MODE=%s", mode);
    const char *env[] = { mode_var, "CLIENT_REPORT_LAUNCH_OWNER=1", NULL };
    const char *args[] = { harness_path(HARNESS_UNWATCHED_MODULE), HARNESS_KERNEL_SCALE, NULL };
    struct harness_opts opts = { .preload = 1, .env = env };
    struct harness_result r;
    ck_assert_int_eq(harness_run(harness_path("tests/shim/client_runtime"), args, &opts, &r), 0);
    assert_ok(&r);
    char getproc[80], dlsym_line[80];
    snprintf(getproc, sizeof getproc, "launch_owner getproc=%s\n", owner);
    snprintf(dlsym_line, sizeof dlsym_line, "launch_owner dlsym=%s\n", owner);
    ck_assert_msg(strstr(r.err, getproc) != NULL, "mode %s: %s", mode, r.err);
    ck_assert_msg(strstr(r.err, dlsym_line) != NULL, "mode %s: %s", mode, r.err);
    harness_free(&r);
}

START_TEST(default_mode_hands_out_the_drivers_own_launch)
{
    check_launch_owner("redirect", "libcuda.so.1");
    check_launch_owner("off", "libcuda.so.1");
    check_launch_owner("diagnose", "libsageshim.so");
}
END_TEST

static Suite *interpose_suite(void)
{
    Suite *s = suite_create("interpose");
    TCase *tc = tcase_create("interpose");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mode_off_passes_the_watched_module_through);
    tcase_add_test(tc, unwatched_module_is_untouched_in_redirect_mode);
    tcase_add_test(tc, unwatched_module_is_untouched_in_diagnose_mode);
    tcase_add_test(tc, every_load_api_works_through_the_shim);
    tcase_add_test(tc, per_thread_launch_reaches_the_per_thread_variant);
    tcase_add_test(tc, linked_launches_reach_the_named_function);
    tcase_add_test(tc, proc_address_versions_are_kept);
    tcase_add_test(tc, dlsym_answers_other_names_unchanged);
    tcase_add_test(tc, exports_only_the_intended_symbols);
    tcase_add_test(tc, kernels_found_any_way_are_counted_through_every_client);
    tcase_add_test(tc, concurrent_loads_from_eight_threads);
    tcase_add_test(tc, driver_errors_pass_through);
    tcase_add_test(tc, default_mode_hands_out_the_drivers_own_launch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(interpose_suite());
}
