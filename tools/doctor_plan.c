/* doctor_plan.c: the part of `sageshim doctor` that prints, for each
 * extension module, the redirect plan (lib/plan/plan.h) the preload library
 * would log when the CUDA runtime loads the module: the same function
 * decides and the same function writes the lines, so what doctor shows is
 * what the shim does.  Devices are the driver's; without a GPU, one device
 * of each target arch is assumed (and said).
 *
 * Then the long-sequence fix as a checked item, per SageAttention _fused
 * module: the hotfix applies (every kernel replaced on every device), does
 * not apply (why, per device, and the remedy), is not installed, is
 * tampered, or is switched off. */
#include "doctor.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The runtime loads each module's fatbin with this call (CUDA 12.0 and
 * later, lazy and eager loading alike). */
#define RUNTIME_LOAD_API "cuLibraryLoadData"

/* SageAttention's quantization module, where the 32-bit offsets are
 * (thu-ml #388), whatever hotfix_modules says. */
static const char *const FUSED_GLOB = "*/sageattention/_fused*.so";

static const struct ss_bundle *entry_bundle(void *ctx, char *why, size_t len)
{
    const struct doctor_bundles *db = ctx;
    if (db->configured.usable)
        return &db->configured.b;
    snprintf(why, len, "%s", db->configured.why);
    return NULL;
}

/* The shim's order: the configured bundle's hotfix lines, then the
 * installed bundle's (shim/state.c). */
static size_t hotfix_bundles(void *ctx, const struct ss_bundle **out, size_t max)
{
    const struct doctor_bundles *db = ctx;
    size_t n = 0;
    if (db->configured.usable && db->configured.b.nhotfixes > 0 && n < max)
        out[n++] = &db->configured.b;
    if (db->installed.usable && db->installed.b.nhotfixes > 0 && n < max)
        out[n++] = &db->installed.b;
    return n;
}

static int hotfix_offered(const struct doctor_bundles *db, const char *path)
{
    const struct ss_bundle *b[SS_PLAN_MAX_HOTFIX_BUNDLES];
    size_t n = hotfix_bundles((void *)db, b, SS_PLAN_MAX_HOTFIX_BUNDLES);
    return ss_hotfix_for(b, n, path, NULL) != NULL;
}

static void print_line(void *ctx, enum ss_plan_line kind, const char *text)
{
    printf("      %s\n", text);
}

struct module_plan_input {
    const struct ss_config *cfg;
    const struct doctor_bundles *db;
    const unsigned *devices;
    size_t ndevices;
    int assumed;               /* no GPU: devices are the target archs */
};

static int module_watched(const struct ss_config *cfg, const char *path)
{
    return ss_glob_match_any(cfg->modules, cfg->nmodules, path);
}

static int module_hotfixed(const struct module_plan_input *mi, const char *path)
{
    return ss_hotfix_wanted(mi->cfg, path) && hotfix_offered(mi->db, path);
}

/* The plan of one container for the given devices, as shim/decide.c builds
 * it.  image NULL: it did not parse (parse_error says why). */
static void plan_for(const struct module_plan_input *mi, const struct ext_module *mod,
                     const struct ss_image *image, const char *parse_error,
                     const unsigned *devices, size_t ndevices, struct ss_plan *plan)
{
    const char *slash = strrchr(mod->path, '/');
    const char *ptx = getenv("CUDA_FORCE_PTX_JIT");
    struct ss_plan_input in = {
        .module = slash ? slash + 1 : mod->path,
        .api = RUNTIME_LOAD_API,
        .path = mod->path,
        .image = image,
        .parse_error = parse_error,
        .redirect = module_watched(mi->cfg, mod->path),
        .hotfix = module_hotfixed(mi, mod->path),
        .archs = mi->cfg->archs,
        .narchs = mi->cfg->narchs,
        .devices = devices,
        .ndevices = ndevices,
        .force_ptx = ptx && strcmp(ptx, "1") == 0,
        .dry_run = mi->cfg->dry_run,
        .sources = { entry_bundle, hotfix_bundles, (void *)mi->db },
    };
    ss_plan_redirect(&in, plan);
}

/* ss_image_parse's words for a host ELF file without CUDA code
 * (lib/reader/hostelf.c): the runtime then loads no image from it. */
static int has_no_cuda_code(const struct ss_error *err)
{
    return strncmp(err->message, "host ELF has no ", 16) == 0;
}

/* One module: a plan per container (the runtime loads each one alone). */
static void plan_module(struct findings *f, const struct module_plan_input *mi,
                        const struct ext_module *mod)
{
    if (mi->cfg->mode == SS_MODE_OFF)
        return;
    if (!module_watched(mi->cfg, mod->path) && !module_hotfixed(mi, mod->path))
        return;
    struct ss_image image;
    struct ss_error err;
    memset(&err, 0, sizeof err);
    printf("    %s:\n", mod->path);
    if (ss_image_parse(mod->bytes, mod->len, &image, &err) != 0) {
        char text[300];
        ss_error_format(&err, text, sizeof text);
        /* The shim parses what the runtime hands the driver, not the file:
         * a file without CUDA code hands it nothing, so nothing is logged;
         * a file doctor cannot read may still load, and then the shim's
         * line depends on the bytes in memory. */
        if (has_no_cuda_code(&err))
            printf("      (no line: the file has no CUDA code, so the CUDA runtime loads no "
                   "image from it and the preload library never sees it)\n");
        else
            printf("      (no line known: doctor cannot read the CUDA code of this file: %s; "
                   "the preload library parses what the runtime loads and keeps the original "
                   "when it cannot)\n", text);
        return;
    }
    for (size_t c = 0; c < image.ncontainers; c++) {
        struct ss_image one;
        memset(&one, 0, sizeof one);
        one.ncontainers = 1;
        one.containers = &image.containers[c];
        struct ss_plan plan;
        plan_for(mi, mod, &one, "", mi->devices, mi->ndevices, &plan);
        ss_plan_lines(&plan, print_line, NULL);
        if (plan.refused)
            problem(f, "the bundle is refused for %s (the line above says why): rebuild it from "
                    "the matching source (sageshim bundle) or check with `sageshim abi`",
                    mod->path);
        ss_plan_free(&plan);
    }
    ss_image_free(&image);
}

/* ---- the long-sequence fix, per _fused module ------------------------ */

/* A hotfix line for `path` whose file was refused (hash mismatch: tampered
 * or damaged): 1 with the file's path in out.  From the bundle as read for
 * the Bundle section, usable for plans or not. */
static int refused_hotfix(const struct doctor_bundle *d, const char *path, char *out, size_t len)
{
    if (!d->read)
        return 0;
    const struct ss_bundle *b = &d->b;
    for (size_t i = 0; i < b->manifest.nhotfixes; i++) {
        const struct ss_manifest_item *it = &b->manifest.hotfixes[i];
        if (!ss_hotfix_line_applies(it, path))
            continue;
        int ok = 0;
        for (size_t h = 0; h < b->nhotfixes; h++)
            ok |= b->hotfixes[h].item == it;
        if (!ok) {
            char shown[PATH_MAX + 64];
            doctor_pretty_path(d->dir, shown, sizeof shown);
            snprintf(out, len, "%s/%s", shown, it->file);
            return 1;
        }
    }
    return 0;
}

static void device_list(const unsigned *devices, size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        ss_append(buf, len, "%ssm_%u", i ? "," : "", devices[i]);
}

/* Why the hotfix is not in full effect on the devices together: each
 * distinct device arch alone, so the GPU that blocks it is named. */
static void verdict_per_device(const struct module_plan_input *mi, const struct ext_module *mod,
                               const struct ss_image *image)
{
    for (size_t d = 0; d < mi->ndevices; d++) {
        int repeated = 0;
        for (size_t e = 0; e < d; e++)
            repeated |= mi->devices[e] == mi->devices[d];
        if (repeated)
            continue;
        struct ss_plan plan;
        plan_for(mi, mod, image, "", &mi->devices[d], 1, &plan);
        printf("        sm_%u: ", mi->devices[d]);
        if (plan.hotfix_reason[0])
            printf("does not apply: %s\n", plan.hotfix_reason);
        else if (plan.nhotfixed == plan.nkernels)
            printf("%zu of %zu kernels would be replaced on this arch alone\n", plan.nhotfixed,
                   plan.nkernels);
        else
            for (size_t k = 0; k < plan.nkernels; k++)
                if (!plan.kernels[k].hotfixed) {
                    printf("%zu of %zu kernels replaceable; first kept: %s: %s\n",
                           plan.nhotfixed, plan.nkernels, plan.kernels[k].name,
                           plan.kernels[k].reason);
                    break;
                }
        ss_plan_free(&plan);
    }
}

static const char LONG_WRONG[] = "sequences from about 200k tokens (e.g. 56 heads x 128) are "
                                 "computed wrongly, silently";

/* 1 when the fix is in full effect for this module. */
static int fused_verdict(struct findings *f, const struct module_plan_input *mi,
                         const struct ext_module *mod)
{
    const struct ss_config *cfg = mi->cfg;
    char devs[128];
    device_list(mi->devices, mi->ndevices, devs, sizeof devs);
    const char *assumed = mi->assumed ? " (assumed: no GPU here)" : "";
    printf("    %s, on %s%s:\n", mod->path, devs, assumed);
    if (cfg->mode == SS_MODE_OFF) {
        problem(f, "hotfix of %s not applied: mode = off, so %s; remedy: mode = redirect",
                mod->name, LONG_WRONG);
        return 0;
    }
    if (!cfg->hotfix) {
        problem(f, "hotfix of %s not applied: hotfix = off, so %s; remedy: hotfix = on",
                mod->name, LONG_WRONG);
        return 0;
    }
    if (cfg->dry_run) {
        /* The plan says "would hotfix": the original kernels run. */
        problem(f, "hotfix of %s not applied: dry_run = yes only logs it, so %s; remedy: "
                "dry_run = no", mod->name, LONG_WRONG);
        return 0;
    }
    if (!ss_glob_match_any(cfg->hotfix_modules, cfg->nhotfix_modules, mod->path)) {
        problem(f, "hotfix of %s not applied: hotfix_modules does not match %s, so %s; remedy: "
                "add %s to hotfix_modules", mod->name, mod->path, LONG_WRONG, FUSED_GLOB);
        return 0;
    }
    /* The other half of the fix: the host truncates batch strides before
     * any kernel runs, which only the repair's per-batch split undoes. */
    int split = cfg->repair;
    for (size_t i = 0; split && i <= cfg->nrepair_modules; i++)
        if (i == cfg->nrepair_modules)
            split = 0;
        else if (strcmp(cfg->repair_modules[i], "sageattention._fused") == 0)
            break;
    if (!split)
        problem(f, "the per-batch split of %s is off (%s), so with a batch of 2 or more a batch "
                "stride of 2^32 elements or more is truncated by the host; remedy: repair = on "
                "with sageattention._fused in repair_modules", mod->name,
                cfg->repair ? "repair_modules lacks sageattention._fused" : "repair = off");
    if (!hotfix_offered(mi->db, mod->path)) {
        char file[PATH_MAX + 128];
        if (refused_hotfix(&mi->db->configured, mod->path, file, sizeof file)
            || refused_hotfix(&mi->db->installed, mod->path, file, sizeof file)) {
            /* Counted once, where the Bundle section found it. */
            printf("      hotfix: TAMPERED: %s does not match its MANIFEST hash and is refused "
                   "(the problem under Bundle); until it is restored %s\n", file, LONG_WRONG);
            return 0;
        }
        char shown[PATH_MAX + 64];
        doctor_pretty_path(mi->db->installed.dir, shown, sizeof shown);
        problem(f, "hotfix of %s not installed: no bundle has a hotfix line for it (the "
                "installed one belongs in %s), so %s; remedy: install sageshim with `make "
                "install`, which installs it", mod->name, shown, LONG_WRONG);
        return 0;
    }
    struct ss_image image;
    struct ss_error err;
    if (ss_image_parse(mod->bytes, mod->len, &image, &err) != 0) {
        char text[300];
        ss_error_format(&err, text, sizeof text);
        problem(f, "hotfix of %s cannot be judged: doctor cannot read its CUDA code (%s)",
                mod->name, text);
        return 0;
    }
    struct ss_plan plan;
    plan_for(mi, mod, &image, "", mi->devices, mi->ndevices, &plan);
    int fixed = 0;
    if (!plan.hotfix_considered) {
        problem(f, "hotfix of %s: no hotfix line applies (unexpected)", mod->name);
    } else if (plan.hotfix_reason[0]) {
        problem(f, "hotfix of %s does not apply: %s, so %s; remedy: reinstall sageshim from "
                "a release that supports this SageAttention build", mod->name,
                plan.hotfix_reason, LONG_WRONG);
    } else if (plan.nhotfixed == plan.nkernels) {
        printf("      hotfix: applies: %zu of %zu kernels replaced (%s %s)%s\n", plan.nhotfixed,
               plan.nkernels, plan.hotfix_bundle->manifest.label
                                  ? plan.hotfix_bundle->manifest.label : "(no label)",
               plan.hotfix_file->item->file,
               mi->ndevices > 1 ? ", on every GPU" : "");
        fixed = split;
    } else {
        const char *first = "", *why = "";
        for (size_t k = 0; k < plan.nkernels; k++)
            if (!plan.kernels[k].hotfixed) {
                first = plan.kernels[k].name;
                why = plan.kernels[k].reason;
                break;
            }
        problem(f, "hotfix of %s does not apply%s: %zu of %zu kernels replaced; kept %s: %s; "
                "the kernels kept run with 32-bit offsets, so %s; remedy: reinstall sageshim "
                "(`make install`) built for these GPUs, and compare with `sageshim abi %s "
                "%s/%s`", mod->name, plan.nhotfixed ? " in full" : "", plan.nhotfixed,
                plan.nkernels, first, why, LONG_WRONG, mod->path, plan.hotfix_bundle->dir,
                plan.hotfix_file->item->file);
        if (mi->ndevices > 1)
            verdict_per_device(mi, mod, &image);
    }
    ss_plan_free(&plan);
    ss_image_free(&image);
    return fixed;
}

void doctor_print_plans(struct findings *f, const struct ss_config *cfg,
                        const struct doctor_bundles *db, const struct doctor_gpus *gpus,
                        const struct ext_module_list *modules, struct plan_summary *summary)
{
    memset(summary, 0, sizeof *summary);
    struct module_plan_input mi = { cfg, db, gpus->cc, gpus->count, 0 };
    if (gpus->count == 0) {
        mi.devices = cfg->archs;
        mi.ndevices = cfg->narchs;
        mi.assumed = 1;
    }
    char list[128] = "";
    for (size_t i = 0; i < mi.ndevices; i++)
        ss_append(list, sizeof list, "%s%u.%u", i ? "," : "", mi.devices[i] / 10,
                  mi.devices[i] % 10);
    printf("  Redirect plan: what the preload library logs when the CUDA runtime loads each "
           "module (%s), for devices %s%s\n", RUNTIME_LOAD_API, list,
           mi.assumed ? " (no GPU here: one device of each target arch assumed)" : "");
    if (cfg->mode == SS_MODE_OFF)
        printf("    none: mode = off, the preload library touches nothing\n");
    else if (!cfg->hotfix)
        printf("    hotfixes: off (hotfix = off)\n");
    for (size_t i = 0; i < modules->count; i++)
        plan_module(f, &mi, &modules->items[i]);

    printf("  Long-sequence fix (the hotfix of the _fused kernels, thu-ml #388)\n");
    for (size_t i = 0; i < modules->count; i++) {
        const struct ext_module *mod = &modules->items[i];
        if (!ss_glob_match(FUSED_GLOB, mod->path))
            continue;
        summary->fused_checked++;
        summary->fused_fixed += fused_verdict(f, &mi, mod);
    }
    if (!summary->fused_checked)
        printf("    no _fused module in this SageAttention: nothing to fix\n");
}
