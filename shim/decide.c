/* decide.c: for each image a load wrapper sees, decide what the driver gets.
 *
 * Only images owned by a watched module are parsed.  For each target arch
 * (cfg->archs) that some device has, the entry the device would run in the
 * original is compared (ABI) with the entry it would run in a bundle
 * container; the archs that pass are replaced through ss_merge, which keeps
 * every other entry byte for byte.  Anything unexpected - parse errors, no
 * bundle, ABI differences, out of memory - keeps the original.  Each outcome
 * is one info line. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "sageshim.h"

#define OUTCOME_MAX 1024
#define REASON_MAX 512

struct shim_load {
    char owner[PATH_MAX];
    const char *base;            /* basename, inside owner */
    char api[48];
    int observed;                /* observe glob only: counted, never redirected */
    int redirected;              /* `merged` is what the driver gets */
    uint8_t *merged;
    size_t merged_len;
    char outcome[OUTCOME_MAX];
    int outcome_level;           /* SS_LOG_INFO, or DEBUG for "no bundle installed" */
};

/* What one bundle container offers for the device archs present. */
struct candidate {
    const struct ss_bundle_file *file;
    const struct ss_container *container;
    unsigned passed[SS_MAX_ARCHS];      /* archs whose ABI check passed */
    int passed_entry[SS_MAX_ARCHS];     /* the bundle entry chosen for each */
    unsigned kernels[SS_MAX_ARCHS];
    size_t npassed;
    char first_failure[REASON_MAX];
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

/* ---- small helpers ------------------------------------------------------------ */

static int matches_any(char *const *patterns, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (patterns[i] && ss_glob_match(patterns[i], path))
            return 1;
    return 0;
}

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

static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

static void arch_list(const unsigned *archs, size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        append(buf, len, "%s%u.%u", i ? "," : "", archs[i] / 10, archs[i] % 10);
}

static int force_ptx(void)
{
    const char *v = getenv("CUDA_FORCE_PTX_JIT");
    return v && strcmp(v, "1") == 0;
}

static int same_bytes(const struct ss_entry *a, const struct ss_entry *b)
{
    return a->size == b->size && memcmp(a->bytes, b->bytes, a->size) == 0;
}

static void keep_original(struct shim_load *load, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void keep_original(struct shim_load *load, const char *fmt, ...)
{
    char reason[REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(load->outcome, sizeof load->outcome, "keep original %s (%s): %s", load->base,
             load->api, reason);
}

/* ---- choosing a bundle container ------------------------------------------------ */

static void abi_failure_reason(const struct ss_abi_report *rep, char *buf, size_t len)
{
    for (size_t i = 0; i < rep->nverdicts; i++) {
        if (rep->verdicts[i].level == SS_ABI_FAIL) {
            snprintf(buf, len, "ABI mismatch in %s: %s", rep->verdicts[i].kernel,
                     rep->verdicts[i].reason);
            return;
        }
    }
    snprintf(buf, len, "ABI mismatch: %s", rep->summary);
}

/* Check one bundle container against the original for every active arch.
 * With `log_warnings`, WARN verdicts are logged (done for the chosen one). */
static void evaluate(struct candidate *cand, const struct ss_container *orig,
                     const unsigned *archs, const int *orig_entry, size_t narchs,
                     const char *base, int log_warnings)
{
    int ptx_only = force_ptx();
    cand->npassed = 0;
    cand->first_failure[0] = '\0';
    for (size_t a = 0; a < narchs; a++) {
        char failure[REASON_MAX] = "";
        unsigned arch = archs[a];
        int b = ss_select_entry(cand->container, (int)arch / 10, (int)arch % 10, ptx_only);
        if (b < 0 || cand->container->entries[b].sm != arch) {
            snprintf(failure, sizeof failure, "bundle file %s has no entry for sm_%u",
                     cand->file->item->file, arch);
        } else {
            struct ss_abi_report rep;
            memset(&rep, 0, sizeof rep);
            if (ss_abi_compare(&orig->entries[orig_entry[a]], &cand->container->entries[b],
                               &rep) != 0) {
                snprintf(failure, sizeof failure, "out of memory comparing kernels");
            } else if (!rep.compatible) {
                abi_failure_reason(&rep, failure, sizeof failure);
            } else {
                cand->passed[cand->npassed] = arch;
                cand->passed_entry[cand->npassed] = b;
                cand->kernels[cand->npassed] = (unsigned)rep.nverdicts;
                cand->npassed++;
                for (size_t v = 0; log_warnings && v < rep.nverdicts; v++)
                    if (rep.verdicts[v].level == SS_ABI_WARN)
                        shim_log(SS_LOG_INFO, "%s sm_%u: ABI warning in %s: %s", base, arch,
                                 rep.verdicts[v].kernel, rep.verdicts[v].reason);
            }
            ss_abi_report_free(&rep);
        }
        if (failure[0] && !cand->first_failure[0])
            snprintf(cand->first_failure, sizeof cand->first_failure, "%s", failure);
    }
}

static int module_prefers(const struct ss_bundle_file *f, const char *base)
{
    const char *m = f->item ? f->item->module : NULL;
    return m && m[0] && strncmp(base, m, strlen(m)) == 0;
}

/* The bundle container passing the most archs; files made for this module
 * first, so on a tie they win and their failure is the one reported. */
static int choose(const struct ss_bundle *bundle, const struct ss_container *orig,
                  const unsigned *archs, const int *orig_entry, size_t narchs, const char *base,
                  struct candidate *best, char *why, size_t why_len)
{
    int found = 0;
    why[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        for (size_t f = 0; f < bundle->nfiles; f++) {
            const struct ss_bundle_file *file = &bundle->files[f];
            if (module_prefers(file, base) != (pass == 0))
                continue;
            for (size_t c = 0; c < file->image.ncontainers; c++) {
                struct candidate cand;
                memset(&cand, 0, sizeof cand);
                cand.file = file;
                cand.container = &file->image.containers[c];
                evaluate(&cand, orig, archs, orig_entry, narchs, base, 0);
                if (!why[0] && cand.first_failure[0])
                    snprintf(why, why_len, "%s", cand.first_failure);
                if (cand.npassed > 0 && (!found || cand.npassed > best->npassed)) {
                    *best = cand;
                    found = 1;
                }
            }
        }
    }
    if (!found && !why[0])
        snprintf(why, why_len, "no bundle file covers %s", base);
    return found;
}

/* ---- checking the merged container ---------------------------------------------- */

/* Every device must run what was intended: a bundle entry on the archs that
 * were replaced, the original's own entry (same bytes) everywhere else. */
static int merged_runs_as_intended(const uint8_t *merged, size_t merged_len,
                                   const struct ss_container *orig,
                                   const struct candidate *chosen,
                                   const struct shim_devices *devs, char *why, size_t len)
{
    struct ss_container mc;
    struct ss_error err;
    memset(&mc, 0, sizeof mc);
    memset(&err, 0, sizeof err);
    if (ss_container_parse(merged, merged_len, &mc, &err) != 0) {
        char detail[300];
        ss_error_format(&err, detail, sizeof detail);
        snprintf(why, len, "merged image does not parse (%s)", detail);
        return 0;
    }
    int ok = 1;
    int ptx_only = force_ptx();
    for (int d = 0; d < devs->count && ok; d++) {
        int major = devs->cc[d] / 10, minor = devs->cc[d] % 10;
        int m = ss_select_entry(&mc, major, minor, ptx_only);
        const struct ss_entry *want = NULL;
        for (size_t a = 0; a < chosen->npassed; a++)
            if (chosen->passed[a] == (unsigned)devs->cc[d])
                want = &chosen->container->entries[chosen->passed_entry[a]];
        if (!want) {
            int o = ss_select_entry(orig, major, minor, ptx_only);
            want = o >= 0 ? &orig->entries[o] : NULL;
        }
        if (!want ? m >= 0 : (m < 0 || !same_bytes(&mc.entries[m], want))) {
            snprintf(why, len, "merged image would not run the intended entry on device %d (%d.%d)",
                     d, major, minor);
            ok = 0;
        }
    }
    ss_container_free(&mc);
    return ok;
}

/* ---- the decision ------------------------------------------------------------- */

static void describe_redirect(struct shim_load *load, const struct ss_bundle *bundle,
                              const struct ss_container *orig, const struct candidate *c,
                              const char *skipped, int dry_run)
{
    char *out = load->outcome;
    size_t len = sizeof load->outcome;
    snprintf(out, len, "%s %s (%s):", dry_run ? "would redirect" : "redirect", load->base,
             load->api);
    for (size_t a = 0; a < c->npassed; a++) {
        char arch[32];
        ss_entry_arch_name(&c->container->entries[c->passed_entry[a]], arch, sizeof arch);
        append(out, len, "%s sm_%u -> bundle %s %s %s, %u kernels ABI ok", a ? ";" : "",
               c->passed[a], bundle->manifest.label ? bundle->manifest.label : "(no label)",
               c->file->item->file, arch, c->kernels[a]);
    }
    if (skipped[0])
        append(out, len, "; %s", skipped);
    int others = 0;
    for (size_t e = 0; e < orig->nentries; e++) {
        int replaced = 0;
        for (size_t a = 0; a < c->npassed; a++)
            replaced |= orig->entries[e].sm == c->passed[a];
        others |= !replaced;
    }
    append(out, len, "; %s", others ? "other entries kept" : "no other entries");
}

static void decide_image(struct shim_load *load, const struct ss_config *cfg,
                         const struct ss_image *img)
{
    if (img->ncontainers != 1) {
        keep_original(load, "%zu fatbin containers, expected one", img->ncontainers);
        return;
    }
    const struct ss_container *orig = &img->containers[0];
    if (orig->origin == SS_FROM_CUBIN || orig->origin == SS_FROM_PTX) {
        keep_original(load, "a bare %s, not a fatbin container",
                      orig->origin == SS_FROM_CUBIN ? "cubin" : "PTX text");
        return;
    }

    struct shim_devices devs;
    char why[REASON_MAX];
    if (shim_devices(&devs, why, sizeof why) != 0) {
        keep_original(load, "devices unknown: %s", why);
        return;
    }

    /* Target archs some device has, and the original's entry for each. */
    unsigned active[SS_MAX_ARCHS];
    int orig_entry[SS_MAX_ARCHS];
    size_t nactive = 0, npresent = 0;
    char skipped[REASON_MAX] = "";
    int ptx_only = force_ptx();
    for (size_t i = 0; i < cfg->narchs && i < SS_MAX_ARCHS; i++) {
        unsigned arch = cfg->archs[i];
        int present = 0;
        for (int d = 0; d < devs.count; d++)
            present |= devs.cc[d] == (int)arch;
        if (!present)
            continue;
        npresent++;
        int e = ss_select_entry(orig, (int)arch / 10, (int)arch % 10, ptx_only);
        if (e < 0) {
            shim_log(SS_LOG_INFO, "%s: the original has no entry for %u.%u; sm_%u left alone",
                     load->base, arch / 10, arch % 10, arch);
            append(skipped, sizeof skipped, "%ssm_%u: original has no entry", skipped[0] ? "; " : "",
                   arch);
            continue;
        }
        active[nactive] = arch;
        orig_entry[nactive] = e;
        nactive++;
    }
    if (npresent == 0) {
        char targets[128], have[128];
        arch_list(cfg->archs, cfg->narchs < SS_MAX_ARCHS ? cfg->narchs : SS_MAX_ARCHS, targets,
                  sizeof targets);
        shim_devices_format(&devs, have, sizeof have);
        keep_original(load, "no device of archs %s (devices: %s)", targets, have);
        return;
    }
    if (nactive == 0) {
        keep_original(load, "%s", skipped);
        return;
    }

    const struct ss_bundle *bundle = shim_bundle(why, sizeof why);
    if (!bundle) {
        keep_original(load, "%s", why);
        if (shim_bundle_missing())
            load->outcome_level = SS_LOG_DEBUG;   /* no bundle installed is not an error */
        return;
    }
    struct candidate chosen;
    memset(&chosen, 0, sizeof chosen);
    if (!choose(bundle, orig, active, orig_entry, nactive, load->base, &chosen, why,
                sizeof why)) {
        keep_original(load, "%s", why);
        return;
    }
    /* Archs the chosen container did not pass keep the original's entries. */
    for (size_t a = 0; a < nactive; a++) {
        int passed = 0;
        for (size_t p = 0; p < chosen.npassed; p++)
            passed |= chosen.passed[p] == active[a];
        if (!passed)
            append(skipped, sizeof skipped, "%ssm_%u kept (%s)", skipped[0] ? "; " : "",
                   active[a], chosen.first_failure);
    }
    evaluate(&chosen, orig, active, orig_entry, nactive, load->base, 1);

    uint8_t *merged = NULL;
    size_t merged_len = 0;
    struct ss_error err;
    memset(&err, 0, sizeof err);
    if (ss_merge(orig, chosen.container, chosen.passed, chosen.npassed, &merged, &merged_len,
                 &err) != 0) {
        char detail[300];
        ss_error_format(&err, detail, sizeof detail);
        keep_original(load, "merge failed: %s", detail);
        return;
    }
    if (!merged_runs_as_intended(merged, merged_len, orig, &chosen, &devs, why, sizeof why)) {
        free(merged);
        keep_original(load, "%s", why);
        return;
    }
    describe_redirect(load, bundle, orig, &chosen, skipped, cfg->dry_run);
    if (cfg->dry_run) {
        free(merged);
        return;
    }
    load->merged = merged;
    load->merged_len = merged_len;
    load->redirected = 1;
}

static void decide(struct shim_load *load, const struct ss_config *cfg, const void *image,
                   const char *path)
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
    if (rc != 0) {
        char detail[300];
        ss_error_format(&err, detail, sizeof detail);
        keep_original(load, "parse error %s", detail);
    } else {
        decide_image(load, cfg, &img);
    }
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
    int watched = 0, observed = 0;
    if (find_owner(image, path, owner, sizeof owner)) {
        watched = matches_any(cfg->modules, cfg->nmodules, owner);
        observed = !watched && matches_any(cfg->observe, cfg->nobserve, owner);
    }
    /* Only watched images are parsed. */
    shim_count_image_seen(watched);
    if (!watched && !(observed && cfg->mode == SS_MODE_DIAGNOSE))
        return NULL;

    struct shim_load *load = calloc(1, sizeof *load);
    if (!load)
        return NULL;
    snprintf(load->owner, sizeof load->owner, "%s", owner);
    const char *slash = strrchr(load->owner, '/');
    load->base = slash ? slash + 1 : load->owner;
    snprintf(load->api, sizeof load->api, "%s", api ? api : "?");
    load->observed = observed;
    if (observed) {
        snprintf(load->outcome, sizeof load->outcome, "observe %s (%s): launches counted",
                 load->base, load->api);
        shim_log(SS_LOG_DEBUG, "%s", load->outcome);
        return load;
    }
    load->outcome_level = SS_LOG_INFO;
    decide(load, cfg, image, path);
    shim_log((enum ss_log_level)load->outcome_level, "%s", load->outcome);
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
