/* doctor_plan.c: the part of `sageshim doctor` that prints, for each
 * extension module, the redirect plan (lib/plan.h) the preload library
 * would log when the CUDA runtime loads the module: the same function
 * decides and the same function writes the lines, so what doctor shows is
 * what the shim does.  Devices are the driver's; without a GPU, one device
 * of each target arch is assumed (and said). */
#include "tools.h"

#include <cuda.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The runtime loads each module's fatbin with this call (CUDA 12.0 and
 * later, lazy and eager loading alike). */
#define RUNTIME_LOAD_API "cuLibraryLoadData"

struct plan_bundles {
    struct ss_bundle configured, installed;
    int configured_ok, installed_ok;
    char why[PATH_MAX + 512];
};

static const struct ss_bundle *entry_bundle(void *ctx, char *why, size_t len)
{
    struct plan_bundles *pb = ctx;
    if (pb->configured_ok)
        return &pb->configured;
    snprintf(why, len, "%s", pb->why);
    return NULL;
}

/* The shim's order: the configured bundle's hotfix lines, then the
 * installed bundle's (shim/state.c). */
static size_t hotfix_bundles(void *ctx, const struct ss_bundle **out, size_t max)
{
    struct plan_bundles *pb = ctx;
    size_t n = 0;
    if (pb->configured_ok && pb->configured.nhotfixes > 0 && n < max)
        out[n++] = &pb->configured;
    if (pb->installed_ok && pb->installed.nhotfixes > 0 && n < max)
        out[n++] = &pb->installed;
    return n;
}

typedef CUresult (*cu_init_fn)(unsigned int);
typedef CUresult (*cu_count_fn)(int *);
typedef CUresult (*cu_get_fn)(CUdevice *, int);
typedef CUresult (*cu_attr_fn)(int *, CUdevice_attribute, CUdevice);

/* The driver's devices; 0 when there is no usable driver or GPU. */
static size_t driver_devices(unsigned *cc, size_t max)
{
    void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!cuda)
        return 0;
    cu_init_fn cu_init = (cu_init_fn)dlsym(cuda, "cuInit");
    cu_count_fn cu_count = (cu_count_fn)dlsym(cuda, "cuDeviceGetCount");
    cu_get_fn cu_get = (cu_get_fn)dlsym(cuda, "cuDeviceGet");
    cu_attr_fn cu_attr = (cu_attr_fn)dlsym(cuda, "cuDeviceGetAttribute");
    int count = 0;
    size_t n = 0;
    if (cu_init && cu_count && cu_get && cu_attr && cu_init(0) == CUDA_SUCCESS &&
        cu_count(&count) == CUDA_SUCCESS) {
        for (int i = 0; i < count && n < max; i++) {
            CUdevice dev;
            int major = 0, minor = 0;
            if (cu_get(&dev, i) != CUDA_SUCCESS ||
                cu_attr(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) != CUDA_SUCCESS ||
                cu_attr(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev) != CUDA_SUCCESS)
                continue;
            cc[n++] = (unsigned)(major * 10 + minor);
        }
    }
    dlclose(cuda);
    return n;
}

static int hotfix_offered(struct plan_bundles *pb, const char *path)
{
    const struct ss_bundle *b[SS_PLAN_MAX_HOTFIX_BUNDLES];
    size_t n = hotfix_bundles(pb, b, SS_PLAN_MAX_HOTFIX_BUNDLES);
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < b[i]->nhotfixes; f++) {
            const struct ss_manifest_item *item = b[i]->hotfixes[f].item;
            if (ss_glob_match_any(item->globs, item->nglobs, path))
                return 1;
        }
    return 0;
}

static void print_line(void *ctx, enum ss_plan_line kind, const char *text)
{
    printf("      %s\n", text);
}

static void print_hotfix_files(const struct ss_bundle *b)
{
    for (size_t f = 0; f < b->nhotfixes; f++) {
        const struct ss_manifest_item *it = b->hotfixes[f].item;
        printf("    hotfix %s/%s (%s): %u kernels, archs", b->dir, it->file,
               b->manifest.label ? b->manifest.label : "no label", it->kernels);
        for (size_t a = 0; a < it->narchs; a++)
            printf("%s%u", a ? "," : " ", it->archs[a]);
        printf(", for modules");
        for (size_t g = 0; g < it->nglobs; g++)
            printf(" %s", it->globs[g]);
        printf("\n");
    }
}

/* One module: a plan per container (the runtime loads each one alone). */
static int plan_module(const struct ss_config *cfg, struct plan_bundles *pb,
                       const struct ext_module *mod, const unsigned *devices, size_t ndevices)
{
    int watched = ss_glob_match_any(cfg->modules, cfg->nmodules, mod->path);
    int hotfix = cfg->hotfix &&
                 ss_glob_match_any(cfg->hotfix_modules, cfg->nhotfix_modules, mod->path) &&
                 hotfix_offered(pb, mod->path);
    if (!watched && !hotfix)
        return 0;
    const char *slash = strrchr(mod->path, '/');
    const char *base = slash ? slash + 1 : mod->path;
    struct ss_image image;
    struct ss_error err;
    memset(&err, 0, sizeof err);
    char parse_error[300] = "";
    int parsed = ss_image_parse(mod->bytes, mod->len, &image, &err) == 0;
    if (!parsed)
        ss_error_format(&err, parse_error, sizeof parse_error);
    printf("    %s:\n", mod->path);
    const char *ptx = getenv("CUDA_FORCE_PTX_JIT");
    int problems = 0;
    size_t ncontainers = parsed ? image.ncontainers : 1;
    for (size_t c = 0; c < ncontainers; c++) {
        struct ss_image one;
        memset(&one, 0, sizeof one);
        if (parsed) {
            one.ncontainers = 1;
            one.containers = &image.containers[c];
        }
        struct ss_plan_input in = {
            .module = base,
            .api = RUNTIME_LOAD_API,
            .path = mod->path,
            .image = parsed ? &one : NULL,
            .parse_error = parse_error,
            .redirect = watched,
            .hotfix = hotfix,
            .archs = cfg->archs,
            .narchs = cfg->narchs,
            .devices = devices,
            .ndevices = ndevices,
            .force_ptx = ptx && strcmp(ptx, "1") == 0,
            .dry_run = cfg->dry_run,
            .sources = { entry_bundle, hotfix_bundles, pb },
        };
        struct ss_plan plan;
        ss_plan_redirect(&in, &plan);
        ss_plan_lines(&plan, print_line, NULL);
        if (plan.refused) {
            printf("  PROBLEM: the bundle is refused for %s (the line above says why): rebuild "
                   "it from the matching source (sageshim bundle) or check with `sageshim abi`\n",
                   mod->path);
            problems++;
        }
        ss_plan_free(&plan);
    }
    if (parsed)
        ss_image_free(&image);
    return problems;
}

int doctor_print_plans(const struct ss_config *cfg, const char *libdir,
                       const struct ext_module_list *modules)
{
    struct plan_bundles pb;
    memset(&pb, 0, sizeof pb);
    char installed[PATH_MAX + 64], dir[PATH_MAX + 64];
    ss_default_bundle_dir(libdir, installed, sizeof installed);
    snprintf(dir, sizeof dir, "%s", cfg->bundle && cfg->bundle[0] ? cfg->bundle : installed);
    pb.configured_ok =
        ss_plan_open_bundle(dir, &pb.configured, NULL, NULL, NULL, pb.why, sizeof pb.why,
                            NULL) == 0;
    char ignored[PATH_MAX + 512];
    pb.installed_ok = strcmp(dir, installed) != 0 &&
                      ss_plan_open_bundle(installed, &pb.installed, NULL, NULL, NULL, ignored,
                                          sizeof ignored, NULL) == 0;

    unsigned devices[SS_PLAN_MAX_DEVICES];
    size_t ndevices = driver_devices(devices, SS_PLAN_MAX_DEVICES);
    char list[128] = "";
    const unsigned *shown = ndevices ? devices : cfg->archs;
    size_t nshown = ndevices ? ndevices : cfg->narchs;
    for (size_t i = 0; i < nshown; i++)
        ss_append(list, sizeof list, "%s%u.%u", i ? "," : "", shown[i] / 10, shown[i] % 10);
    printf("  Redirect plan: what the preload library logs when the CUDA runtime loads each "
           "module (%s), for devices %s%s\n", RUNTIME_LOAD_API, list,
           ndevices ? "" : " (no GPU here: one device of each target arch assumed)");
    const struct ss_bundle *with_hotfixes[SS_PLAN_MAX_HOTFIX_BUNDLES];
    if (!cfg->hotfix)
        printf("    hotfixes: off (hotfix = off)\n");
    else if (!hotfix_bundles(&pb, with_hotfixes, SS_PLAN_MAX_HOTFIX_BUNDLES))
        printf("    hotfixes: none (no bundle has a hotfix line)\n");
    if (cfg->hotfix && pb.configured_ok)
        print_hotfix_files(&pb.configured);
    if (cfg->hotfix && pb.installed_ok)
        print_hotfix_files(&pb.installed);

    int problems = 0;
    for (size_t i = 0; i < modules->count; i++)
        problems += plan_module(cfg, &pb, &modules->items[i], ndevices ? devices : cfg->archs,
                                ndevices ? ndevices : cfg->narchs);
    if (pb.configured_ok)
        ss_bundle_close(&pb.configured);
    if (pb.installed_ok)
        ss_bundle_close(&pb.installed);
    return problems;
}
