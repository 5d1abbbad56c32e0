/* check_plan: the redirect plan (lib/plan/plan.h) built in-process from fixture
 * images and bundles, and the exact lines ss_plan_lines renders - the lines
 * the shim logs and doctor prints.  No subprocess, no fake driver.
 *
 * Original: tests/shim/watched_orig.fatbin (shim_scale, shim_shift<4>; sm_80,
 * sm_89, sm_90a, sm_120, compute_120).  Bundles: tests/redirect/bundle{,_abi}
 * (entry level) and tests/hotfix/<name> (hotfix lines, see hotfix.cu). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sageshim.h"
#include "testutil.h"

#define MODULE "_fused.cpython-312-x86_64-linux-gnu.so"
#define FUSED_PATH "/site/sageattention/" MODULE
#define QATTN_PATH "/site/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so"
#define SCALE "shim_scale"
#define SHIFT "_Z10shim_shiftILi4EEvPii"

static const char *build_path(const char *rel)
{
    static char path[4][4096];
    static int next;
    const char *b = getenv("BUILD");
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", b && *b ? b : "build", rel);
    return p;
}

/* ---- inputs --------------------------------------------------------------- */

static uint8_t *orig_bytes;
static struct ss_image orig;
static struct ss_bundle entry_bundle, hotfix_bundle;
static int have_entry, have_hotfix;
static char entry_why[512];

static void open_bundle(const char *rel, struct ss_bundle *b, int *have, char *why, size_t len)
{
    char ignored[512];
    *have = ss_plan_open_bundle(build_path(rel), b, NULL, NULL, NULL, why ? why : ignored,
                                why ? len : sizeof ignored, NULL) == 0;
}

static const struct ss_bundle *source_bundle(void *ctx, char *why, size_t len)
{
    if (have_entry)
        return &entry_bundle;
    snprintf(why, len, "%s", entry_why);
    return NULL;
}

static size_t source_hotfixes(void *ctx, const struct ss_bundle **out, size_t max)
{
    size_t n = 0;
    if (have_entry && entry_bundle.nhotfixes && n < max)
        out[n++] = &entry_bundle;
    if (have_hotfix && n < max)
        out[n++] = &hotfix_bundle;
    return n;
}

static void setup(void)
{
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(build_path("tests/shim/watched_orig.fatbin"), &orig_bytes, &len,
                                  &err), 0);
    ck_assert_int_eq(ss_image_parse(orig_bytes, len, &orig, &err), 0);
    have_entry = have_hotfix = 0;
}

static void teardown(void)
{
    ss_image_free(&orig);
    free(orig_bytes);
    if (have_entry)
        ss_bundle_close(&entry_bundle);
    if (have_hotfix)
        ss_bundle_close(&hotfix_bundle);
}

/* ---- the plan and its lines ---------------------------------------------- */

#define MAX_LINES 8
struct lines {
    size_t n;
    char text[MAX_LINES][2048];
};

static void keep_line(void *ctx, enum ss_plan_line kind, const char *text)
{
    struct lines *l = ctx;
    ck_assert_uint_lt(l->n, MAX_LINES);
    snprintf(l->text[l->n++], sizeof l->text[0], "%s", text);
}

struct setup {
    const char *path;
    int redirect, hotfix, force_ptx, dry_run;
    unsigned devices[4];
    size_t ndevices;
    const unsigned *archs;       /* NULL: the default 90, 120 */
    size_t narchs;
};

static void plan(const struct setup *s, struct ss_plan *p, struct lines *l)
{
    static const unsigned default_archs[] = { 90, 120 };
    const unsigned *archs = s->archs ? s->archs : default_archs;
    struct ss_plan_input in = {
        .module = strrchr(s->path, '/') + 1,
        .api = "cuLibraryLoadData",
        .path = s->path,
        .image = &orig,
        .redirect = s->redirect,
        .hotfix = s->hotfix,
        .archs = archs,
        .narchs = s->archs ? s->narchs : 2,
        .devices = s->devices,
        .ndevices = s->ndevices,
        .force_ptx = s->force_ptx,
        .dry_run = s->dry_run,
        .sources = { source_bundle, source_hotfixes, NULL },
    };
    ss_plan_redirect(&in, p);
    memset(l, 0, sizeof *l);
    ck_assert_uint_eq(ss_plan_lines(p, keep_line, l), l->n);
}

/* ---- entry level (moved from shim/decide.c unchanged) ---------------------- */

START_TEST(entry_redirect_on_a_9_0_device)
{
    open_bundle("tests/redirect/bundle", &entry_bundle, &have_entry, entry_why, sizeof entry_why);
    ck_assert(have_entry);
    struct setup s = { .path = QATTN_PATH, .redirect = 1, .devices = { 90 }, .ndevices = 1 };
    struct ss_plan p;
    struct lines l;
    plan(&s, &p, &l);
    ck_assert_int_eq(p.entry, SS_PLAN_REPLACE);
    ck_assert_ptr_nonnull(p.merged);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "redirect _qattn_sm90.cpython-312-x86_64-linux-gnu.so "
                                "(cuLibraryLoadData): sm_90 -> bundle test@redirect "
                                "watched_fixed.fatbin sm_90a, 2 kernels ABI ok; other entries kept");
    ss_plan_free(&p);
}
END_TEST

START_TEST(entry_keeps_the_original_without_a_target_device)
{
    open_bundle("tests/redirect/bundle", &entry_bundle, &have_entry, entry_why, sizeof entry_why);
    struct setup s = { .path = QATTN_PATH, .redirect = 1, .devices = { 89 }, .ndevices = 1 };
    struct ss_plan p;
    struct lines l;
    plan(&s, &p, &l);
    ck_assert_int_eq(p.entry, SS_PLAN_KEEP);
    ck_assert_int_eq(p.refused, 0);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "keep original _qattn_sm90.cpython-312-x86_64-linux-gnu.so "
                                "(cuLibraryLoadData): no device of archs 9.0,12.0 (devices: 8.9)");
    ss_plan_free(&p);
}
END_TEST

START_TEST(entry_refuses_an_abi_change)
{
    open_bundle("tests/redirect/bundle_abi", &entry_bundle, &have_entry, entry_why,
                sizeof entry_why);
    struct setup s = { .path = QATTN_PATH, .redirect = 1, .devices = { 90 }, .ndevices = 1 };
    struct ss_plan p;
    struct lines l;
    plan(&s, &p, &l);
    ck_assert_int_eq(p.entry, SS_PLAN_KEEP);
    ck_assert_int_eq(p.refused, 1);
    ck_assert_ptr_null(p.merged);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "keep original _qattn_sm90.cpython-312-x86_64-linux-gnu.so "
                                "(cuLibraryLoadData): ABI mismatch in shim_scale: param 2 size 4 != 8");
    ss_plan_free(&p);
}
END_TEST

START_TEST(entry_names_a_missing_bundle)
{
    open_bundle("tests/hotfix/nowhere", &entry_bundle, &have_entry, entry_why, sizeof entry_why);
    ck_assert(!have_entry);
    struct setup s = { .path = QATTN_PATH, .redirect = 1, .devices = { 90 }, .ndevices = 1 };
    struct ss_plan p;
    struct lines l;
    plan(&s, &p, &l);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_msg(strstr(l.text[0], "(cuLibraryLoadData): no bundle at ") &&
                      strstr(l.text[0], "tests/hotfix/nowhere"), "%s", l.text[0]);
    ck_assert_int_eq(p.no_bundle, 1);   /* the shim logs this one at debug level */
    ck_assert_int_eq(p.refused, 0);
    ss_plan_free(&p);
}
END_TEST

/* ---- hotfixes ---------------------------------------------------------------- */

static void plan_hotfix_archs(const char *bundle, const unsigned *devices, size_t ndevices,
                              const unsigned *archs, size_t narchs, struct ss_plan *p,
                              struct lines *l)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/hotfix/%s", bundle);
    open_bundle(rel, &hotfix_bundle, &have_hotfix, NULL, 0);
    ck_assert_msg(have_hotfix, "%s", rel);
    struct setup s = { .path = FUSED_PATH, .hotfix = 1, .ndevices = ndevices, .archs = archs,
                       .narchs = narchs };
    memcpy(s.devices, devices, ndevices * sizeof *devices);
    plan(&s, p, l);
}

static void plan_hotfix(const char *bundle, const unsigned *devices, size_t ndevices,
                        struct ss_plan *p, struct lines *l)
{
    plan_hotfix_archs(bundle, devices, ndevices, NULL, 0, p, l);
}

START_TEST(hotfix_replaces_every_kernel)
{
    struct ss_plan p;
    struct lines l;
    plan_hotfix("good", (unsigned[]){ 90 }, 1, &p, &l);
    ck_assert_int_eq(p.entry, SS_PLAN_NOT_WATCHED);
    ck_assert_uint_eq(p.nhotfixed, 2);
    ck_assert(ss_plan_hotfixes(&p, SCALE) && ss_plan_hotfixes(&p, SHIFT));
    ck_assert(!ss_plan_hotfixes(&p, "other"));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "hotfix " MODULE " (cuLibraryLoadData): sm_90 -> test@hotfix "
                                "hotfix_good.fatbin: 2 of 2 kernels replaced");
    ss_plan_free(&p);
}
END_TEST

START_TEST(hotfix_refuses_a_changed_parameter_size)
{
    struct ss_plan p;
    struct lines l;
    plan_hotfix("long", (unsigned[]){ 90 }, 1, &p, &l);
    ck_assert(!ss_plan_hotfixes(&p, SCALE));
    ck_assert(ss_plan_hotfixes(&p, SHIFT));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "hotfix " MODULE " (cuLibraryLoadData): sm_90 -> test@hotfix "
                                "hotfix_long.fatbin: 1 of 2 kernels replaced; kept shim_scale: "
                                "sm_90: param 2 size 8 != 4");
    ss_plan_free(&p);
}
END_TEST

START_TEST(hotfix_refuses_a_lower_thread_limit)
{
    struct ss_plan p;
    struct lines l;
    plan_hotfix("threads", (unsigned[]){ 120 }, 1, &p, &l);
    ck_assert(!ss_plan_hotfixes(&p, SCALE));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "hotfix " MODULE " (cuLibraryLoadData): sm_120 -> test@hotfix "
                                "hotfix_threads.fatbin: 1 of 2 kernels replaced; kept shim_scale: "
                                "sm_120: max threads 128 < 1024");
    ss_plan_free(&p);
}
END_TEST

/* One handle serves every device: a kernel the 12.0 device cannot run from
 * the hotfix is refused for the 9.0 device as well. */
START_TEST(hotfix_refuses_a_missing_architecture_on_any_device)
{
    struct ss_plan p;
    struct lines l;
    plan_hotfix("noarch", (unsigned[]){ 90 }, 1, &p, &l);
    ck_assert_uint_eq(p.nhotfixed, 2);
    ss_plan_free(&p);
    ss_bundle_close(&hotfix_bundle);

    plan_hotfix("noarch", (unsigned[]){ 90, 120 }, 2, &p, &l);
    ck_assert_uint_eq(p.nhotfixed, 0);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_msg(strstr(l.text[0], "keep original " MODULE " (cuLibraryLoadData): hotfix "
                                    "test@hotfix hotfix_noarch.fatbin: 0 of 2 kernels replaced; "
                                    "kept ") &&
                      strstr(l.text[0], ": sm_120: the hotfix has no entry for this arch "
                                        "(and 1 more)"),
                  "%s", l.text[0]);
    ss_plan_free(&p);
}
END_TEST

/* One hotfix handle serves every device: a device outside `archs` would
 * run it too, so nothing is hot-fixed (issue 18: other archs untouched). */
START_TEST(hotfix_leaves_a_process_with_a_device_outside_archs_alone)
{
    struct ss_plan p;
    struct lines l;
    plan_hotfix("good", (unsigned[]){ 90, 89 }, 2, &p, &l);
    ck_assert_uint_eq(p.nhotfixed, 0);
    ck_assert(!ss_plan_hotfixes(&p, SCALE));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "keep original " MODULE " (cuLibraryLoadData): hotfix "
                                "test@hotfix hotfix_good.fatbin: device sm_89 is not in archs "
                                "(90,120); add it to `archs` to hotfix there too");
    ss_plan_free(&p);
    ss_bundle_close(&hotfix_bundle);     /* opened again below */
    plan_hotfix_archs("good", (unsigned[]){ 90, 89 }, 2, (unsigned[]){ 90, 89 }, 2, &p, &l);
    ck_assert_uint_eq(p.nhotfixed, 2);
    ss_plan_free(&p);
}
END_TEST

START_TEST(hotfix_counts_only_the_kernels_it_offers)
{
    struct ss_plan p;
    struct lines l;
    plan_hotfix_archs("scaleonly", (unsigned[]){ 90, 89 }, 2, (unsigned[]){ 90, 89 }, 2, &p, &l);
    ck_assert(ss_plan_hotfixes(&p, SCALE));
    ck_assert(!ss_plan_hotfixes(&p, SHIFT));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "hotfix " MODULE " (cuLibraryLoadData): sm_90,sm_89 -> test@hotfix "
                                "hotfix_scaleonly.fatbin: 1 of 1 kernels replaced on every device");
    ss_plan_free(&p);
}
END_TEST

START_TEST(hotfix_dry_run_says_would)
{
    open_bundle("tests/hotfix/good", &hotfix_bundle, &have_hotfix, NULL, 0);
    struct setup s = { .path = FUSED_PATH, .hotfix = 1, .dry_run = 1, .devices = { 90 },
                       .ndevices = 1 };
    struct ss_plan p;
    struct lines l;
    plan(&s, &p, &l);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "would hotfix " MODULE " (cuLibraryLoadData): sm_90 -> "
                                "test@hotfix hotfix_good.fatbin: 2 of 2 kernels replaced");
    ss_plan_free(&p);
}
END_TEST

/* A module no hotfix line names: no hotfix, no line. */
START_TEST(hotfix_needs_a_matching_line)
{
    open_bundle("tests/hotfix/good", &hotfix_bundle, &have_hotfix, NULL, 0);
    struct setup s = { .path = "/elsewhere/_fused.so", .hotfix = 1, .devices = { 90 },
                       .ndevices = 1 };
    struct ss_plan p;
    struct lines l;
    plan(&s, &p, &l);
    ck_assert_int_eq(p.hotfix_considered, 0);
    ck_assert_uint_eq(l.n, 0);
    ss_plan_free(&p);
}
END_TEST

/* Entry level first, then the hotfix over the resulting entries; both lines,
 * in that order. */
START_TEST(entry_merge_comes_before_the_hotfix)
{
    open_bundle("tests/hotfix/both", &entry_bundle, &have_entry, entry_why, sizeof entry_why);
    ck_assert(have_entry);
    ck_assert_uint_eq(entry_bundle.nfiles, 1);
    ck_assert_uint_eq(entry_bundle.nhotfixes, 1);
    struct setup s = { .path = QATTN_PATH, .redirect = 1, .hotfix = 1, .devices = { 90 },
                       .ndevices = 1 };
    struct ss_plan p;
    struct lines l;
    plan(&s, &p, &l);
    ck_assert_int_eq(p.entry, SS_PLAN_REPLACE);
    ck_assert_uint_eq(p.nhotfixed, 2);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_msg(strncmp(l.text[0], "redirect _qattn_sm90", 20) == 0, "%s", l.text[0]);
    ck_assert_str_eq(l.text[1], "hotfix _qattn_sm90.cpython-312-x86_64-linux-gnu.so "
                                "(cuLibraryLoadData): sm_90 -> test@both hotfix_good.fatbin: "
                                "2 of 2 kernels replaced");
    ss_plan_free(&p);
}
END_TEST

START_TEST(hotfix_without_devices_keeps_the_original)
{
    open_bundle("tests/hotfix/good", &hotfix_bundle, &have_hotfix, NULL, 0);
    static const unsigned archs[] = { 90 };
    struct ss_plan_input in = {
        .module = MODULE, .api = "cuModuleLoadData", .path = FUSED_PATH, .image = &orig,
        .hotfix = 1, .archs = archs, .narchs = 1, .devices_error = "cuInit failed",
        .sources = { source_bundle, source_hotfixes, NULL },
    };
    struct ss_plan p;
    struct lines l = { 0 };
    ss_plan_redirect(&in, &p);
    ss_plan_lines(&p, keep_line, &l);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.text[0], "keep original " MODULE " (cuModuleLoadData): hotfix test@hotfix "
                                "hotfix_good.fatbin: devices unknown: cuInit failed");
    ck_assert_uint_eq(p.nhotfixed, 0);
    ss_plan_free(&p);
}
END_TEST

/* The real corrected kernels (kernels/, build/kernels) against their
 * 32-bit stand-in of the original: every one of the 44 replaced, on each
 * arch SageAttention builds _fused for, and refused where it has no code. */
START_TEST(the_shipped_hotfix_covers_all_44_kernels)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    struct ss_image index32;
    ck_assert_int_eq(ss_read_file(build_path("kernels/sageshim_fused_index32.fatbin"), &bytes,
                                  &len, &err), 0);
    ck_assert_int_eq(ss_image_parse(bytes, len, &index32, &err), 0);
    open_bundle("kernels", &hotfix_bundle, &have_hotfix, NULL, 0);
    ck_assert(have_hotfix);
    ck_assert_uint_eq(hotfix_bundle.nhotfixes, 1);

    static const unsigned every[] = { 80, 86, 89, 90, 100, 120 }, old[] = { 75 };
    /* Every device in `archs`: the hotfix reaches only target archs. */
    static const unsigned archs[] = { 80, 86, 89, 90, 100, 120, 75 };
    const struct { const unsigned *devices; size_t n; const char *want; } cases[] = {
        { every + 3, 1, "sageshim_fused.fatbin: 44 of 44 kernels replaced" },
        { every, 6, "sageshim_fused.fatbin: 44 of 44 kernels replaced on every device" },
        { old, 1, "sageshim_fused.fatbin: the original has no code for the devices' archs" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct ss_plan_input in = {
            .module = MODULE, .api = "cuLibraryLoadData", .path = FUSED_PATH, .image = &index32,
            .hotfix = 1, .archs = archs, .narchs = 7, .devices = cases[c].devices,
            .ndevices = cases[c].n, .sources = { source_bundle, source_hotfixes, NULL },
        };
        struct ss_plan p;
        struct lines l = { 0 };
        ss_plan_redirect(&in, &p);
        ss_plan_lines(&p, keep_line, &l);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_msg(strstr(l.text[0], cases[c].want), "case %zu: %s", c, l.text[0]);
        ck_assert_uint_eq(p.nkernels, c < 2 ? 44 : 0);
        if (c < 2) {
            ck_assert_msg(strncmp(l.text[0], "hotfix " MODULE " (cuLibraryLoadData): sm_",
                                  strlen("hotfix " MODULE " (cuLibraryLoadData): sm_")) == 0,
                          "%s", l.text[0]);
            ck_assert_ptr_nonnull(strstr(l.text[0], " -> sageshim-fused@"));
        } else {
            ck_assert_ptr_nonnull(strstr(l.text[0], "keep original " MODULE));
        }
        ss_plan_free(&p);
    }
    ss_image_free(&index32);
    free(bytes);
}
END_TEST

/* ---- registers, on images built by hand ----------------------------------------- */

/* One sm_90 cubin entry holding one kernel `k` (2 parameters). */
static struct ss_param two_params[2] = { { 0, 0, 8, 0 }, { 1, 8, 4, 0 } };

static void one_kernel_entry(struct ss_entry *e, struct ss_kernel *k, unsigned registers)
{
    memset(k, 0, sizeof *k);
    k->name = "regs_kernel";
    k->nparams = 2;
    k->params = two_params;
    k->has_registers = registers != 0;
    k->registers = registers;
    memset(e, 0, sizeof *e);
    e->kind = SS_KIND_ELF;
    e->sm = 90;
    e->kernels_read = 1;
    e->nkernels = 1;
    e->kernels = k;
}

/* The plan's line for an original and a hotfix using that many registers. */
static void plan_registers(unsigned orig_regs, unsigned hot_regs, char *line, size_t len)
{
    struct ss_kernel ok, hk;
    struct ss_entry oe, he;
    one_kernel_entry(&oe, &ok, orig_regs);
    one_kernel_entry(&he, &hk, hot_regs);
    struct ss_container oc = { .origin = SS_FROM_CONTAINER, .nentries = 1, .entries = &oe };
    struct ss_container hc = { .origin = SS_FROM_CONTAINER, .nentries = 1, .entries = &he };
    struct ss_image oimg = { .ncontainers = 1, .containers = &oc };
    struct ss_manifest_item item = { .file = "regs.fatbin", .globs = { "*/_fused*.so" },
                                     .nglobs = 1 };
    struct ss_bundle_file hf = { .item = &item, .image = { .ncontainers = 1,
                                                           .containers = &hc } };
    hotfix_bundle = (struct ss_bundle){ .manifest = { .label = "test@regs" }, .nhotfixes = 1,
                                        .hotfixes = &hf };
    have_hotfix = 1;
    static const unsigned archs[] = { 90 }, devices[] = { 90 };
    struct ss_plan_input in = {
        .module = "_fused.so", .api = "cuModuleLoadData", .path = "/x/_fused.so",
        .image = &oimg, .hotfix = 1, .archs = archs, .narchs = 1, .devices = devices,
        .ndevices = 1, .sources = { source_bundle, source_hotfixes, NULL },
    };
    struct ss_plan p;
    struct lines l = { 0 };
    ss_plan_redirect(&in, &p);
    ss_plan_lines(&p, keep_line, &l);
    have_hotfix = 0;   /* nothing of it is the teardown's to close */
    ck_assert_uint_eq(l.n, 1);
    snprintf(line, len, "%s", l.text[0]);
    ss_plan_free(&p);
}

/* A block of 1024 threads needs at most 64 registers per thread (65,536 per
 * block, allocated in units of 8): more lowers the block size the hotfix
 * can launch below the original's. */
START_TEST(registers_refuse_a_hotfix_that_admits_smaller_blocks)
{
    char line[2048];
    plan_registers(32, 64, line, sizeof line);
    ck_assert_msg(strstr(line, ": 1 of 1 kernels replaced"), "%s", line);
    plan_registers(32, 72, line, sizeof line);
    ck_assert_str_eq(line, "keep original _fused.so (cuModuleLoadData): hotfix test@regs "
                           "regs.fatbin: 0 of 1 kernels replaced; kept regs_kernel: sm_90: max "
                           "threads 896 < 1024 (72 registers per thread, the original 32)");
    /* An original that itself admits only 512 threads: 72 registers are fine. */
    plan_registers(128, 72, line, sizeof line);
    ck_assert_msg(strstr(line, ": 1 of 1 kernels replaced"), "%s", line);
    /* Unknown on either side: not compared. */
    plan_registers(0, 200, line, sizeof line);
    ck_assert_msg(strstr(line, ": 1 of 1 kernels replaced"), "%s", line);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, entry_redirect_on_a_9_0_device);
    tcase_add_test(tc, entry_keeps_the_original_without_a_target_device);
    tcase_add_test(tc, entry_refuses_an_abi_change);
    tcase_add_test(tc, entry_names_a_missing_bundle);
    tcase_add_test(tc, hotfix_replaces_every_kernel);
    tcase_add_test(tc, hotfix_refuses_a_changed_parameter_size);
    tcase_add_test(tc, hotfix_refuses_a_lower_thread_limit);
    tcase_add_test(tc, hotfix_refuses_a_missing_architecture_on_any_device);
    tcase_add_test(tc, hotfix_counts_only_the_kernels_it_offers);
    tcase_add_test(tc, hotfix_leaves_a_process_with_a_device_outside_archs_alone);
    tcase_add_test(tc, hotfix_dry_run_says_would);
    tcase_add_test(tc, hotfix_needs_a_matching_line);
    tcase_add_test(tc, entry_merge_comes_before_the_hotfix);
    tcase_add_test(tc, hotfix_without_devices_keeps_the_original);
    tcase_add_test(tc, the_shipped_hotfix_covers_all_44_kernels);
    tcase_add_test(tc, registers_refuse_a_hotfix_that_admits_smaller_blocks);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
