/* check_hotfix: kernel hotfixes through the whole preload library, under the
 * tests/shim harness (fake libcuda.so.1 logging which image each launched
 * kernel came from: "image=<first 16 hex of the load's sha256>").
 *
 * The fixture _fused module (tests/hotfix/module.mk) carries the watched
 * image (tests/shim/watched_orig.fatbin: shim_scale, shim_shift<4>); the
 * default hotfix_modules glob names it.  Bundles: tests/hotfix/<name>, one
 * hotfix line each (hotfix.cu says how each fatbin differs), and
 * tests/hotfix/both (an entry fatbin and a hotfix for _qattn_sm90). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "sageshim.h"
#include "testutil.h"

static const char *const clients[] = {
    "tests/shim/client_runtime",
    "tests/shim/client_linked",
    "tests/shim/client_dlsym",
};
#define NCLIENTS 3

#define FUSED_SO "tests/hotfix/site/sageattention/_fused.cpython-312-x86_64-linux-gnu.so"
#define FUSED_BASE "_fused.cpython-312-x86_64-linux-gnu.so"

/* First 16 hex digits of a file's sha256: the fake's image=<id>. */
static void image_id(const char *rel, char id[17])
{
    char hex[65];
    harness_file_sha(rel, hex);
    memcpy(id, hex, 16);
    id[16] = '\0';
}

static const char *config_for(const char *bundle, const char *extra)
{
    static char text[PATH_MAX + 512];
    char abs[PATH_MAX];
    const char *dir = harness_path(bundle);
    snprintf(text, sizeof text, "[sageshim]\nbundle = %s\n%s", realpath(dir, abs) ? abs : dir,
             extra ? extra : "");
    return text;
}

/* Run a client on `module` and both kernels with the extra arguments. */
static void run_client(const char *client, const char *module, const char *config,
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
    ck_assert_int_eq(harness_run(harness_path(client), args, &opts, r), 0);
    ck_assert_msg(r->status == 0, "%s: status %d\nout: %s\nerr: %s\nshim: %s\nfake: %s", client,
                  r->status, r->out, r->err, r->shim_log, r->fake_log);
}

/* Launches of `kernel` (NULL: any) whose image is `id`. */
static int launches_from(const struct harness_result *r, const char *kernel, const char *id)
{
    char want[256];
    int count = 0;
    char line[2048];
    for (int i = 0; harness_line(r->fake_log, "\nlaunch name=", i, line, sizeof line); i++) {
        char got[64];
        if (!harness_field(line, "image", got, sizeof got) || strcmp(got, id) != 0)
            continue;
        snprintf(want, sizeof want, "launch name=%s ", kernel ? kernel : "");
        count += !kernel || strncmp(line, want, strlen(want)) == 0;
    }
    return count;
}

/* sha256 of the n-th load the fake driver saw. */
static const char *load_sha(const struct harness_result *r, int n, char *buf, size_t len)
{
    char line[2048];
    ck_assert_msg(harness_line(r->fake_log, "\nload api=", n, line, sizeof line),
                  "no load %d:\n%s", n, r->fake_log);
    ck_assert(harness_field(line, "sha256", buf, len));
    return buf;
}

static const char *const on_90[] = { "FAKECUDA_DEVICES=9.0", NULL };

/* ---- every lookup path, through every way of reaching the driver ------------ */

struct lookup_case {
    const char *args[5];
    const char *api;        /* of the original's load and of the hotfix's */
    const char *unload;
};

static const struct lookup_case lookups[] = {
    { { "--api", "library", "--lookup", "kernel", NULL }, "cuLibraryLoadData", "cuLibraryUnload" },
    { { "--api", "library", "--lookup", "enumerate", NULL }, "cuLibraryLoadData",
      "cuLibraryUnload" },
    { { "--api", "library", "--lookup", "module", NULL }, "cuLibraryLoadData", "cuLibraryUnload" },
    { { "--api", "module", NULL }, "cuModuleLoadData", "cuModuleUnload" },
};

START_TEST(every_lookup_path_hands_out_the_hotfix)
{
    char hot[17], orig[17], got[80];
    image_id("tests/hotfix/hotfix_good.fatbin", hot);
    image_id("tests/shim/watched_orig.fatbin", orig);
    for (size_t c = 0; c < sizeof lookups / sizeof lookups[0]; c++) {
        const struct lookup_case *lc = &lookups[c];
        struct harness_result r;
        run_client(clients[_i], FUSED_SO, config_for("tests/hotfix/good", NULL), on_90, lc->args,
                   &r);
        char expect[512], load[64], unload[64];
        snprintf(expect, sizeof expect, "hotfix " FUSED_BASE " (%s): sm_90 -> test@hotfix "
                 "hotfix_good.fatbin: 2 of 2 kernels replaced", lc->api);
        ck_assert_msg(harness_count(r.shim_log, expect) == 1, "%s case %zu:\n%s", clients[_i], c,
                      r.shim_log);
        /* Both kernels ran from the hotfix image, none from the original. */
        ck_assert_msg(launches_from(&r, HARNESS_KERNEL_SCALE, hot) == 1 &&
                          launches_from(&r, HARNESS_KERNEL_SHIFT, hot) == 1 &&
                          launches_from(&r, NULL, orig) == 0,
                      "%s case %zu:\n%s", clients[_i], c, r.fake_log);
        /* The original as given, then the hotfix image once, both unloaded. */
        snprintf(load, sizeof load, "load api=%s ", lc->api);
        snprintf(unload, sizeof unload, "unload api=%s", lc->unload);
        ck_assert_int_eq(harness_count_prefix(r.fake_log, load), 2);
        ck_assert_int_eq(harness_count_prefix(r.fake_log, unload), 2);
        ck_assert_int_eq(strncmp(load_sha(&r, 0, got, sizeof got), orig, 16), 0);
        ck_assert_int_eq(strncmp(load_sha(&r, 1, got, sizeof got), hot, 16), 0);
        harness_free(&r);
    }
}
END_TEST

/* Two devices under the CUDA 12.x runtime: cuLibraryGetModule once per
 * context, each module usable only in its own context (the fake driver's
 * FAKE_CONTEXT).  The hotfix must be the current context's module too: a
 * module of the first context handed out in the second fails to launch. */
START_TEST(each_context_gets_the_hotfix_of_its_own_module)
{
    static const char *const two_contexts[] = { "FAKECUDA_DEVICES=9.0",
                                                "CLIENT_SECOND_CONTEXT=1", NULL };
    static const char *const by_module[] = { "--api", "library", "--lookup", "module", NULL };
    char hot[17], orig[17];
    image_id("tests/hotfix/hotfix_good.fatbin", hot);
    image_id("tests/shim/watched_orig.fatbin", orig);
    struct harness_result r;
    run_client(clients[_i], FUSED_SO, config_for("tests/hotfix/good", NULL), two_contexts,
               by_module, &r);
    ck_assert_msg(r.status == 0, "%s: status %d\n%s\n%s", clients[_i], r.status, r.shim_log,
                  r.fake_log);
    ck_assert_msg(harness_count_prefix(r.fake_log, "wrongcontext") == 0, "%s:\n%s",
                  clients[_i], r.fake_log);
    ck_assert_msg(launches_from(&r, HARNESS_KERNEL_SCALE, hot) == 2 &&
                      launches_from(&r, HARNESS_KERNEL_SHIFT, hot) == 2 &&
                      launches_from(&r, NULL, orig) == 0,
                  "%s:\n%s", clients[_i], r.fake_log);
    harness_free(&r);
}
END_TEST

/* ---- refusals: the kernel keeps the original, the line says why ------------ */

START_TEST(a_changed_parameter_keeps_that_kernel_original)
{
    char hot[17], orig[17];
    image_id("tests/hotfix/hotfix_long.fatbin", hot);
    image_id("tests/shim/watched_orig.fatbin", orig);
    struct harness_result r;
    run_client(clients[0], FUSED_SO, config_for("tests/hotfix/long", NULL), on_90, NULL, &r);
    ck_assert_msg(harness_count(r.shim_log, "hotfix " FUSED_BASE " (cuLibraryLoadData): sm_90 -> "
                                            "test@hotfix hotfix_long.fatbin: 1 of 2 kernels "
                                            "replaced; kept shim_scale: sm_90: param 2 size 8 "
                                            "!= 4") == 1,
                  "%s", r.shim_log);
    ck_assert_int_eq(launches_from(&r, HARNESS_KERNEL_SCALE, orig), 1);
    ck_assert_int_eq(launches_from(&r, HARNESS_KERNEL_SHIFT, hot), 1);
    harness_free(&r);
}
END_TEST

START_TEST(a_lower_thread_limit_keeps_that_kernel_original)
{
    char orig[17];
    image_id("tests/shim/watched_orig.fatbin", orig);
    struct harness_result r;
    run_client(clients[0], FUSED_SO, config_for("tests/hotfix/threads", NULL), on_90, NULL, &r);
    ck_assert_msg(harness_count(r.shim_log, "kept shim_scale: sm_90: max threads 128 < 1024") == 1,
                  "%s", r.shim_log);
    ck_assert_int_eq(launches_from(&r, HARNESS_KERNEL_SCALE, orig), 1);
    harness_free(&r);
}
END_TEST

/* A 12.0 device the hotfix has no code for: nothing is hot-fixed on the 9.0
 * device either (one handle serves both), and the hotfix is not loaded. */
START_TEST(a_missing_architecture_keeps_every_kernel_original)
{
    char orig[17];
    image_id("tests/shim/watched_orig.fatbin", orig);
    const char *env[] = { "FAKECUDA_DEVICES=9.0,12.0", NULL };
    struct harness_result r;
    run_client(clients[0], FUSED_SO, config_for("tests/hotfix/noarch", NULL), env, NULL, &r);
    ck_assert_msg(harness_count(r.shim_log, "keep original " FUSED_BASE " (cuLibraryLoadData): "
                                            "hotfix test@hotfix hotfix_noarch.fatbin: 0 of 2 "
                                            "kernels replaced; kept ") == 1,
                  "%s", r.shim_log);
    ck_assert_int_eq(harness_count(r.shim_log, "sm_120: the hotfix has no entry for this arch"), 1);
    ck_assert_int_eq(harness_count_prefix(r.fake_log, "load api="), 1);
    ck_assert_int_eq(launches_from(&r, NULL, orig), 2);
    harness_free(&r);
}
END_TEST

/* ---- switches: nothing is loaded beside the original ------------------------ */

static void expect_untouched(const struct harness_result *r)
{
    char orig[17], got[80];
    image_id("tests/shim/watched_orig.fatbin", orig);
    ck_assert_int_eq(harness_count_prefix(r->fake_log, "load api="), 1);
    ck_assert_int_eq(strncmp(load_sha(r, 0, got, sizeof got), orig, 16), 0);
    ck_assert_int_eq(launches_from(r, NULL, orig), 2);
    ck_assert_int_eq(harness_count(r->shim_log, "hotfix " FUSED_BASE), 0);
}

START_TEST(hotfix_off_in_the_environment)
{
    const char *env[] = { "FAKECUDA_DEVICES=9.0", "SAGESHIM_HOTFIX=off", NULL };
    struct harness_result r;
    run_client(clients[_i], FUSED_SO, config_for("tests/hotfix/good", NULL), env, NULL, &r);
    expect_untouched(&r);
    harness_free(&r);
}
END_TEST

START_TEST(hotfix_off_in_the_config)
{
    struct harness_result r;
    run_client(clients[_i], FUSED_SO, config_for("tests/hotfix/good", "hotfix = off\n"), on_90,
               NULL, &r);
    expect_untouched(&r);
    harness_free(&r);
}
END_TEST

START_TEST(mode_off_does_nothing)
{
    struct harness_result r;
    run_client(clients[_i], FUSED_SO, config_for("tests/hotfix/good", "mode = off\n"), on_90,
               NULL, &r);
    expect_untouched(&r);
    ck_assert_msg(r.shim_log[0] == '\0', "%s", r.shim_log);   /* off says nothing */
    harness_free(&r);
}
END_TEST

START_TEST(dry_run_says_would_and_hands_out_originals)
{
    struct harness_result r;
    run_client(clients[_i], FUSED_SO, config_for("tests/hotfix/good", "dry_run = yes\n"), on_90,
               NULL, &r);
    char orig[17];
    image_id("tests/shim/watched_orig.fatbin", orig);
    ck_assert_int_eq(harness_count_prefix(r.fake_log, "load api="), 1);
    ck_assert_int_eq(launches_from(&r, NULL, orig), 2);
    ck_assert_msg(harness_count(r.shim_log, "would hotfix " FUSED_BASE " (cuLibraryLoadData): "
                                            "sm_90 -> test@hotfix hotfix_good.fatbin: 2 of 2 "
                                            "kernels replaced") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

START_TEST(modules_outside_hotfix_modules_are_untouched)
{
    struct harness_result r;
    /* The same image in a module no glob names, then a hotfix_modules that
     * leaves out the _fused module. */
    run_client(clients[_i], HARNESS_UNWATCHED_MODULE, config_for("tests/hotfix/good", NULL), on_90,
               NULL, &r);
    expect_untouched(&r);
    harness_free(&r);
    run_client(clients[_i], FUSED_SO,
               config_for("tests/hotfix/good", "hotfix_modules = */nothing/*.so\n"), on_90, NULL,
               &r);
    expect_untouched(&r);
    harness_free(&r);
}
END_TEST

/* ---- precedence, installation, threads, fork -------------------------------- */

/* Entry merge first (the driver gets the merged image), then the hotfix
 * replaces the kernels of the merged entry. */
START_TEST(the_entry_merge_applies_first_then_the_hotfix)
{
    char hot[17], orig[17], got[80];
    image_id("tests/hotfix/hotfix_good.fatbin", hot);
    image_id("tests/shim/watched_orig.fatbin", orig);
    struct harness_result r;
    run_client(clients[_i], HARNESS_WATCHED_MODULE,
               config_for("tests/hotfix/both",
                          "hotfix_modules = */sageattention/_qattn_sm90*.so\n"),
               on_90, NULL, &r);
    ck_assert_msg(harness_count(r.shim_log, "redirect _qattn_sm90.cpython-311-x86_64-linux-gnu.so "
                                            "(cuLibraryLoadData): sm_90 -> bundle test@both "
                                            "watched_fixed.fatbin sm_90a") == 1,
                  "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "hotfix _qattn_sm90.cpython-311-x86_64-linux-gnu.so "
                                            "(cuLibraryLoadData): sm_90 -> test@both "
                                            "hotfix_good.fatbin: 2 of 2 kernels replaced") == 1,
                  "%s", r.shim_log);
    /* The driver got the merged image, then the hotfix; kernels run from the hotfix. */
    ck_assert_int_ne(strncmp(load_sha(&r, 0, got, sizeof got), orig, 16), 0);
    ck_assert_int_eq(strncmp(load_sha(&r, 1, got, sizeof got), hot, 16), 0);
    ck_assert_int_eq(launches_from(&r, NULL, hot), 2);
    harness_free(&r);
}
END_TEST

static void copy_file(const char *from, const char *to)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(from, &bytes, &len, &err), 0);
    FILE *f = fopen(to, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    free(bytes);
}

/* An installed-like tree: <dir>/prefix/lib/libsageshim.so (a copy) and
 * <dir>/prefix/share/sageshim/kernels holding `files` from `from`.  Returns
 * the library's path in lib. */
static void install_tree(struct harness_result *r, const char *from, const char *const *files,
                         char *lib, size_t len)
{
    char path[PATH_MAX];
    const char *dirs[] = { "/prefix", "/prefix/lib", "/prefix/share", "/prefix/share/sageshim",
                           "/prefix/share/sageshim/kernels" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s%s", r->dir, dirs[i]);
        ck_assert_int_eq(mkdir(path, 0755), 0);
    }
    snprintf(lib, len, "%s/prefix/lib/libsageshim.so", r->dir);
    copy_file(harness_path("libsageshim.so"), lib);
    for (size_t i = 0; files[i]; i++) {
        char src[PATH_MAX];
        snprintf(src, sizeof src, "%s/%s", from, files[i]);
        snprintf(path, sizeof path, "%s/prefix/share/sageshim/kernels/%s", r->dir, files[i]);
        copy_file(harness_path(src), path);
    }
}

/* A user's own `bundle` (entry fatbins only) does not drop the installed
 * bundle's hotfix: <libdir>/../share/sageshim/kernels still applies. */
START_TEST(the_installed_hotfix_applies_beside_a_users_bundle)
{
    char hot[17], lib[PATH_MAX];
    image_id("tests/hotfix/hotfix_good.fatbin", hot);
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    const char *files[] = { "MANIFEST", "hotfix_good.fatbin", NULL };
    install_tree(&r, "tests/hotfix/good", files, lib, sizeof lib);
    const char *args[] = { harness_path(FUSED_SO), HARNESS_KERNEL_SCALE, HARNESS_KERNEL_SHIFT,
                           NULL };
    struct harness_opts opts = { .preload = 1, .library = lib, .env = on_90,
                                 .config = config_for("tests/redirect/bundle", NULL) };
    ck_assert_int_eq(harness_run_in(harness_path(clients[0]), args, &opts, &r), 0);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "hotfix " FUSED_BASE " (cuLibraryLoadData): sm_90 -> "
                                            "test@hotfix hotfix_good.fatbin: 2 of 2 kernels "
                                            "replaced") == 1,
                  "%s", r.shim_log);
    ck_assert_int_eq(launches_from(&r, NULL, hot), 2);
    harness_free(&r);
}
END_TEST

/* The shipped corrected kernels (make's build/kernels), installed, with no
 * configuration at all: a module whose _fused kernels are the 32-bit
 * stand-in of the original gets all 44 hot-fixed, found the way the CUDA
 * 12.9 runtime finds them (cuLibraryGetModule + cuModuleGetFunction). */
START_TEST(the_shipped_hotfix_applies_with_no_configuration)
{
    char hot[17], lib[PATH_MAX];
    image_id("kernels/sageshim_fused.fatbin", hot);
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    const char *files[] = { "MANIFEST", "sageshim_fused.fatbin", NULL };
    install_tree(&r, "kernels", files, lib, sizeof lib);
    const char *args[] = {
        "--lookup", "module",
        harness_path("tests/hotfix/site3/sageattention/_fused.cpython-312-x86_64-linux-gnu.so"),
        "_Z25TransposePadPermuteKernelILj64ELj64ELb1E6__halfEvPT2_S2_jjjjjjj",
        "_Z15MeanScaleKernelILj64ELb1E13__nv_bfloat16EvPT1_PaPfS4_fjjjjjjjjjjj",
        NULL,
    };
    struct harness_opts opts = { .preload = 1, .library = lib, .env = on_90 };
    ck_assert_int_eq(harness_run_in(harness_path(clients[0]), args, &opts, &r), 0);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "hotfix " FUSED_BASE " (cuLibraryLoadData): sm_90 -> "
                                            "sageshim-fused@") == 1 &&
                      harness_count(r.shim_log, " sageshim_fused.fatbin: 44 of 44 kernels "
                                                "replaced") == 1,
                  "%s", r.shim_log);
    ck_assert_int_eq(launches_from(&r, NULL, hot), 2);
    harness_free(&r);
}
END_TEST

/* Eight threads load, look up and unload at once: each original gets its
 * own hotfix image, every launch runs the hotfix, everything is unloaded. */
START_TEST(concurrent_lookups_from_eight_threads)
{
    char hot[17];
    image_id("tests/hotfix/hotfix_good.fatbin", hot);
    const char *args[] = { "--threads", "8", "--lookup", "module", NULL };
    struct harness_result r;
    run_client(clients[_i], FUSED_SO, config_for("tests/hotfix/good", NULL), on_90, args, &r);
    ck_assert_int_eq(harness_count_prefix(r.fake_log, "load api=cuLibraryLoadData"), 16);
    ck_assert_int_eq(harness_count_prefix(r.fake_log, "unload api=cuLibraryUnload"), 16);
    ck_assert_int_eq(harness_count_prefix(r.fake_log, "launch name="), 16);
    ck_assert_int_eq(launches_from(&r, NULL, hot), 16);
    harness_free(&r);
}
END_TEST

/* Children forked while a thread loads and unloads: the child's lookups
 * still hand out the hotfix (hotfix.c resets its lock after fork). */
START_TEST(forked_children_get_the_hotfix)
{
    char hot[17], orig[17];
    image_id("tests/hotfix/hotfix_good.fatbin", hot);
    image_id("tests/shim/watched_orig.fatbin", orig);
#ifdef __SANITIZE_ADDRESS__
    const char *args[] = { harness_path(FUSED_SO), HARNESS_KERNEL_SCALE, "--no-background", NULL };
#else
    const char *args[] = { harness_path(FUSED_SO), HARNESS_KERNEL_SCALE, NULL };
#endif
    struct harness_opts opts = { .preload = 1, .env = on_90, .timeout_s = 60,
                                 .config = config_for("tests/hotfix/good", NULL) };
    struct harness_result r;
    ck_assert_int_eq(harness_run(harness_path("tests/hardening/client_fork"), args, &opts, &r), 0);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.shim_log);
    ck_assert_int_gt(launches_from(&r, NULL, hot), 8);
    ck_assert_int_eq(launches_from(&r, NULL, orig), 0);
    harness_free(&r);
}
END_TEST

/* ---- diagnose: launches past 32-bit offsets ---------------------------------- */

#define TRANSPOSE "_Z25TransposePadPermuteKernelILj64ELj64ELb1E6__halfEvPT2_S2_jjjjjjj"
#define TRANSPOSE_SO "tests/hotfix/site2/sageattention/_fused.cpython-312-x86_64-linux-gnu.so"
/* "N,x_sn,x_sh,grid_x,grid_y,block_x" (client_fused.c): a fused-QKV view of
 * 200,064 tokens (x_sn = 3*56*128), whose last token's offset passes 2^32,
 * and a short one that stays below. */
#define LONG_LAUNCH "200064,21504,128,3126,56,512"
#define SHORT_LAUNCH "1000,21504,128,16,56,512"

/* The premise, asked of lib/plan/fused.h directly: the long launch wraps, the
 * short one does not. */
static void check_premise(void)
{
    void *x = NULL, *y = NULL;
    unsigned n = 200064, x_sb = 0, x_sn = 21504, x_sh = 128, y_sb = 0, y_sd = 64, y_sh = 4096;
    void *params[] = { &x, &y, &n, &x_sb, &x_sn, &x_sh, &y_sb, &y_sd, &y_sh };
    const unsigned grid[3] = { 3126, 56, 1 }, short_grid[3] = { 16, 56, 1 };
    const unsigned block[3] = { 512, 1, 1 };
    ck_assert_int_eq(ss_fused_launch_wraps(TRANSPOSE, params, grid, block), 1);
    n = 1000;
    ck_assert_int_eq(ss_fused_launch_wraps(TRANSPOSE, params, short_grid, block), 0);
}

static void run_fused(const char *const *env, const char *config, struct harness_result *r)
{
    const char *args[] = { harness_path(TRANSPOSE_SO), TRANSPOSE, LONG_LAUNCH, SHORT_LAUNCH,
                           NULL };
    struct harness_opts opts = { .preload = 1, .config = config, .env = env };
    ck_assert_int_eq(harness_run(harness_path("tests/hotfix/client_fused"), args, &opts, r), 0);
    ck_assert_msg(r->status == 0, "%s%s", r->out, r->shim_log);
}

START_TEST(diagnose_counts_wrapping_launches_all_hotfixed)
{
    check_premise();
    struct harness_result r;
    run_fused(on_90, config_for("tests/hotfix/transpose", "mode = diagnose\n"), &r);
    ck_assert_msg(harness_count(r.shim_log, "]: hotfix " FUSED_BASE " (cuLibraryLoadData): "
                                            "sm_90 -> test@transpose hotfix_transpose.fatbin: "
                                            "1 of 1 kernels replaced") == 1,
                  "%s", r.shim_log);
    ck_assert_int_eq(harness_count(r.shim_log, "launch dev=0 " TRANSPOSE " "), 2);
    ck_assert_int_eq(harness_count(r.shim_log, " hotfix=yes result=0"), 2);
    ck_assert_msg(harness_count(r.shim_log, "summary: 1 launches past 32-bit offsets, all "
                                            "hotfixed") == 1,
                  "%s", r.shim_log);
    ck_assert_int_eq(harness_count(r.shim_log, "WARNING: "), 1);  /* only the attention one */
    ck_assert_int_eq(harness_count(r.shim_log, "without the hotfix"), 0);
    harness_free(&r);
}
END_TEST

START_TEST(diagnose_warns_of_wrapping_launches_without_the_hotfix)
{
    const char *env[] = { "FAKECUDA_DEVICES=9.0", "SAGESHIM_HOTFIX=off", NULL };
    struct harness_result r;
    run_fused(env, config_for("tests/hotfix/transpose", "mode = diagnose\n"), &r);
    ck_assert_int_eq(harness_count(r.shim_log, " hotfix=no result=0"), 2);
    ck_assert_msg(harness_count(r.shim_log, "WARNING: 1 of 1 launches of SageAttention's _fused "
                                            "kernels ran past 32-bit offsets without the hotfix, "
                                            "so their output is wrong: " TRANSPOSE " (1).") == 1,
                  "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hotfix");
    TCase *tc = tcase_create("hotfix");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_lookup_path_hands_out_the_hotfix, 0, NCLIENTS);
    tcase_add_loop_test(tc, each_context_gets_the_hotfix_of_its_own_module, 0, NCLIENTS);
    tcase_add_test(tc, a_changed_parameter_keeps_that_kernel_original);
    tcase_add_test(tc, a_lower_thread_limit_keeps_that_kernel_original);
    tcase_add_test(tc, a_missing_architecture_keeps_every_kernel_original);
    tcase_add_loop_test(tc, hotfix_off_in_the_environment, 0, NCLIENTS);
    tcase_add_loop_test(tc, hotfix_off_in_the_config, 0, NCLIENTS);
    tcase_add_loop_test(tc, mode_off_does_nothing, 0, NCLIENTS);
    tcase_add_loop_test(tc, dry_run_says_would_and_hands_out_originals, 0, NCLIENTS);
    tcase_add_loop_test(tc, modules_outside_hotfix_modules_are_untouched, 0, NCLIENTS);
    tcase_add_loop_test(tc, the_entry_merge_applies_first_then_the_hotfix, 0, NCLIENTS);
    tcase_add_test(tc, the_installed_hotfix_applies_beside_a_users_bundle);
    tcase_add_test(tc, the_shipped_hotfix_applies_with_no_configuration);
    tcase_add_loop_test(tc, concurrent_lookups_from_eight_threads, 0, NCLIENTS);
    tcase_add_test(tc, forked_children_get_the_hotfix);
    tcase_add_test(tc, diagnose_counts_wrapping_launches_all_hotfixed);
    tcase_add_test(tc, diagnose_warns_of_wrapping_launches_without_the_hotfix);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
