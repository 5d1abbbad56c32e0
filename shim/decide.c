/* decide.c: for each image a load wrapper sees, ask for the redirect plan
 * (lib/plan/plan.h), apply it and log it.
 *
 * Only images of watched modules (`modules` globs: entry redirect) and of
 * hot-fixed modules (`hotfix_modules` globs that a bundle hotfix line also
 * names) are parsed.  The plan decides everything; this file gathers its
 * inputs (devices, bundles, CUDA_FORCE_PTX_JIT), writes its lines to the log,
 * hands the merged image to the driver, and after the load lets hotfix.c
 * load the hotfix image beside the original. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "policy.h"
#include "sageshim.h"

#define OUTCOME_MAX 1024

struct shim_load {
    char owner[PATH_MAX];
    const char *base;            /* basename, inside owner */
    char api[48];
    int observed;                /* observe glob only: counted, never redirected */
    int redirected;              /* `merged` is what the driver gets */
    uint8_t *merged;
    size_t merged_len;
    int has_plan;
    struct ss_plan plan;         /* kept until the load ends (hotfix.c reads it) */
    char outcome[OUTCOME_MAX];
};

/* Substituted images that the driver may still read: freed at unload. */
struct live_image {
    void *handle;
    uint8_t *bytes;
};
#define MAX_LIVE_IMAGES 4096
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct live_image live[MAX_LIVE_IMAGES];
static size_t nlive;

static int find_owner(const void *image, const char *path, char *out, size_t len)
{
    if (path) {
        snprintf(out, len, "%s", path);
        return 1;
    }
    Dl_info info;
    if (!image || !dladdr(image, &info) || !info.dli_fname || !info.dli_fname[0])
        return 0;
    snprintf(out, len, "%s", info.dli_fname);
    return 1;
}

static int force_ptx(void)
{
    const char *v = getenv("CUDA_FORCE_PTX_JIT");
    return v && strcmp(v, "1") == 0;
}

/* Does some bundle's hotfix line name this module?  Asked before parsing,
 * so a hot-fixable module without a hotfix costs nothing. */
static int hotfix_offered(const char *owner)
{
    const struct ss_bundle *bundles[SS_PLAN_MAX_HOTFIX_BUNDLES];
    size_t n = shim_hotfix_bundles(bundles, SS_PLAN_MAX_HOTFIX_BUNDLES);
    return ss_hotfix_for(bundles, n, owner, NULL) != NULL;
}

static const struct ss_bundle *plan_bundle(void *ctx, char *why, size_t len)
{
    return shim_bundle(why, len);
}

static size_t plan_hotfix_bundles(void *ctx, const struct ss_bundle **out, size_t max)
{
    return shim_hotfix_bundles(out, max);
}

/* Each plan line goes to the log; the outcome the summary shows joins them.
 * No bundle installed at all is not an error: that decision is logged at
 * debug level only. */
static void log_plan_line(void *ctx, enum ss_plan_line kind, const char *text)
{
    struct shim_load *load = ctx;
    int quiet = kind == SS_PLAN_LINE_ENTRY && load->plan.no_bundle && shim_bundle_missing();
    shim_log(quiet ? SS_LOG_DEBUG : SS_LOG_INFO, "%s", text);
    size_t used = strlen(load->outcome);
    snprintf(load->outcome + used, sizeof load->outcome - used, "%s%s", used ? " / " : "", text);
}

static void decide(struct shim_load *load, const struct ss_config *cfg, const void *image,
                   const char *path, int watched, int hotfix)
{
    struct ss_image img;
    struct ss_error err;
    uint8_t *file_bytes = NULL;
    size_t file_len = 0;
    memset(&img, 0, sizeof img);
    memset(&err, 0, sizeof err);
    int rc;
    if (path) {
        rc = ss_read_file(path, &file_bytes, &file_len, &err);
        if (rc == 0)
            rc = ss_image_parse(file_bytes, file_len, &img, &err);
    } else {
        rc = ss_image_parse_loaded(image, &img, &err);
    }
    char parse_error[300] = "";
    if (rc != 0)
        ss_error_format(&err, parse_error, sizeof parse_error);

    struct shim_devices devs;
    char devices_why[256];
    int devices_known = rc != 0 || shim_devices(&devs, devices_why, sizeof devices_why) == 0;
    unsigned cc[SHIM_MAX_DEVICES];
    size_t ndevices = 0;
    for (int d = 0; devices_known && rc == 0 && d < devs.count && d < SHIM_MAX_DEVICES; d++)
        cc[ndevices++] = (unsigned)devs.cc[d];

    struct ss_plan_input in = {
        .module = load->base,
        .api = load->api,
        .path = load->owner,
        .image = rc == 0 ? &img : NULL,
        .parse_error = parse_error,
        .redirect = watched,
        .hotfix = hotfix,
        .archs = cfg->archs,
        .narchs = cfg->narchs,
        .devices = cc,
        .ndevices = ndevices,
        .devices_error = devices_known ? NULL : devices_why,
        .force_ptx = force_ptx(),
        .dry_run = cfg->dry_run,
        .sources = { plan_bundle, plan_hotfix_bundles, NULL },
    };
    ss_plan_redirect(&in, &load->plan);
    load->has_plan = 1;
    ss_plan_lines(&load->plan, log_plan_line, load);
    if (load->plan.entry == SS_PLAN_REPLACE && !cfg->dry_run) {
        /* The merged image now belongs to the load (then to live[]). */
        load->merged = load->plan.merged;
        load->merged_len = load->plan.merged_len;
        load->plan.merged = NULL;
        load->redirected = 1;
    }
    /* The plan keeps pointers into the bundles only, never into img. */
    ss_image_free(&img);
    free(file_bytes);
}

struct shim_load *shim_load_begin(const char *api, const void *image, const char *path,
                                  const void **use)
{
    *use = image;
    shim_announce();   /* a CUDA image is being loaded */
    const struct ss_config *cfg = shim_config();
    if (cfg->mode == SS_MODE_OFF)
        return NULL;
    char owner[PATH_MAX];
    int watched = 0, observed = 0, hotfix = 0;
    if (find_owner(image, path, owner, sizeof owner)) {
        watched = ss_glob_match_any(cfg->modules, cfg->nmodules, owner);
        observed = !watched && ss_glob_match_any(cfg->observe, cfg->nobserve, owner);
        hotfix = ss_hotfix_wanted(cfg, owner) && hotfix_offered(owner);
    }
    /* Only watched and hot-fixed images are parsed. */
    shim_count_image_seen(watched || hotfix);
    if (!watched && !hotfix && !(observed && cfg->mode == SS_MODE_DIAGNOSE))
        return NULL;

    struct shim_load *load = calloc(1, sizeof *load);
    if (!load)
        return NULL;
    snprintf(load->owner, sizeof load->owner, "%s", owner);
    const char *slash = strrchr(load->owner, '/');
    load->base = slash ? slash + 1 : load->owner;
    snprintf(load->api, sizeof load->api, "%s", api ? api : "?");
    load->observed = observed;
    if (!watched && !hotfix) {
        snprintf(load->outcome, sizeof load->outcome, "observe %s (%s): launches counted",
                 load->base, load->api);
        shim_log(SS_LOG_DEBUG, "%s", load->outcome);
        return load;
    }
    decide(load, cfg, image, path, watched, hotfix);
    if (!load->outcome[0])
        snprintf(load->outcome, sizeof load->outcome, "observe %s (%s): launches counted",
                 load->base, load->api);
    if (load->redirected)
        *use = load->merged;
    return load;
}

static void keep_alive(void *handle, uint8_t *bytes)
{
    int kept = 0;
    pthread_mutex_lock(&live_lock);
    if (nlive < MAX_LIVE_IMAGES) {
        live[nlive].handle = handle;
        live[nlive].bytes = bytes;
        nlive++;
        kept = 1;
    }
    pthread_mutex_unlock(&live_lock);
    /* Past the limit the image is never freed: the driver may still read it. */
    if (!kept)
        shim_log(SS_LOG_DEBUG, "more than %d redirected images loaded; one will not be freed",
                 MAX_LIVE_IMAGES);
}

void shim_load_end(struct shim_load *load, int ok, void *handle, int is_library)
{
    if (!load)
        return;
    if (ok) {
        if (load->merged)
            keep_alive(handle, load->merged);
        if (load->has_plan)
            shim_hotfix_attach(handle, is_library, &load->plan);
        struct shim_load_note note = {
            .module = load->base,
            .observed = load->observed,
            .redirected = load->redirected,
            .outcome = load->outcome,
        };
        shim_registry_loaded(handle, &note);
    } else {
        if (load->redirected)
            shim_log(SS_LOG_WARN, "the driver refused the redirected image of %s (%s)",
                     load->base, load->api);
        free(load->merged);
    }
    if (load->has_plan)
        ss_plan_free(&load->plan);
    free(load);
}

void shim_unload(void *handle, int is_library)
{
    uint8_t *bytes = NULL;
    pthread_mutex_lock(&live_lock);
    /* The oldest record first: a handle value reused after an unload was
     * appended later. */
    for (size_t i = 0; i < nlive; i++) {
        if (live[i].handle == handle) {
            bytes = live[i].bytes;
            live[i] = live[--nlive];
            break;
        }
    }
    pthread_mutex_unlock(&live_lock);
    free(bytes);
    shim_hotfix_detach(handle);
    shim_registry_unloaded(handle);
}

/* A forked child has one thread: a lock another thread held at the fork
 * is released by nobody. */
static void reset_lock_in_child(void)
{
    pthread_mutex_init(&live_lock, NULL);
}

__attribute__((constructor)) static void decide_register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, reset_lock_in_child);
}
