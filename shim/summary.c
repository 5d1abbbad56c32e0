/* summary.c: the diagnose-mode summary written when the process exits: per
 * watched or observed module what was decided and how often each kernel ran,
 * and a plain warning when SageAttention's quantization kernels ran on a
 * device where its attention module launched nothing (the symptom of the
 * shadowed sm90 op, docs: sageattention.md). */
#include <stdio.h>
#include <string.h>

#include "policy.h"

static const char *const ATTENTION_SKIPPED_WARNING =
    "WARNING: SageAttention's quantization kernels ran but its attention module launched "
    "nothing: the attention output is uninitialized. Likely cause: the shadowed sm90 op in "
    "sageattention/sm90_compile.py (fixed upstream in d970424). Keep `repair = on` in "
    "sageshim.conf.";

struct summary_ctx {
    struct shim_devices devices;
    int devices_known;
};

static unsigned long module_launches_on(const struct shim_kernel_stats *ks, size_t nks,
                                        int module, int dev)
{
    unsigned long total = 0;
    for (size_t i = 0; i < nks; i++)
        if (ks[i].module == module)
            total += ks[i].launches[dev];
    return total;
}

/* Did any module whose name matches `pattern` launch a kernel on dev? */
static int launched_on(const struct shim_module_stats *mods, size_t nmods,
                       const struct shim_kernel_stats *ks, size_t nks, const char *pattern,
                       int dev)
{
    for (size_t m = 0; m < nmods; m++)
        if (ss_glob_match(pattern, mods[m].name) &&
            module_launches_on(ks, nks, (int)m, dev) > 0)
            return 1;
    return 0;
}

/* SageAttention's attention module per device: _qattn_sm90 on 9.0,
 * _qattn_sm89 on 8.9 and 12.x.  Other devices use modules the default
 * configuration does not watch, so nothing can be said about them. */
static const char *attention_module_for(int cc)
{
    if (cc == 90)
        return "*_qattn_sm90*";
    if (cc == 89 || cc / 10 == 12)
        return "*_qattn_sm89*";
    return NULL;
}

static int attention_missing(const struct summary_ctx *c, const struct shim_module_stats *mods,
                             size_t nmods, const struct shim_kernel_stats *ks, size_t nks,
                             int dev)
{
    if (!c->devices_known || dev >= c->devices.count) {
        /* Devices unknown: any attention module launching counts. */
        return !launched_on(mods, nmods, ks, nks, "*_qattn_sm90*", dev) &&
               !launched_on(mods, nmods, ks, nks, "*_qattn_sm89*", dev);
    }
    const char *pattern = attention_module_for(c->devices.cc[dev]);
    return pattern && !launched_on(mods, nmods, ks, nks, pattern, dev);
}

static void print_module(const struct shim_module_stats *m, int index,
                         const struct shim_kernel_stats *ks, size_t nks)
{
    char devs[128] = "";
    size_t used = 0;
    for (int d = 0; d < SHIM_MAX_DEVICES; d++) {
        if (module_launches_on(ks, nks, index, d) == 0)
            continue;
        int n = snprintf(devs + used, sizeof devs - used, "%s%d", used ? "," : "", d);
        if (n < 0 || (size_t)n >= sizeof devs - used)
            break;
        used += (size_t)n;
    }
    shim_log(SS_LOG_INFO, "summary: %s (%s): %u load%s, %u redirected; launched on devices: %s",
             m->name, m->observed ? "observed" : "watched", m->loads, m->loads == 1 ? "" : "s",
             m->redirected_loads, used ? devs : "none");
    if (m->outcome[0])
        shim_log(SS_LOG_INFO, "summary:   decision: %s", m->outcome);
    for (size_t i = 0; i < nks; i++) {
        if (ks[i].module != index)
            continue;
        char per_dev[256] = "";
        size_t u = 0;
        unsigned long total = 0;
        for (int d = 0; d < SHIM_MAX_DEVICES; d++) {
            if (!ks[i].launches[d])
                continue;
            total += ks[i].launches[d];
            int n = snprintf(per_dev + u, sizeof per_dev - u, " dev%d=%lu", d, ks[i].launches[d]);
            if (n < 0 || (size_t)n >= sizeof per_dev - u)
                break;
            u += (size_t)n;
        }
        char wraps[64] = "";
        if (ks[i].past_32bit)
            snprintf(wraps, sizeof wraps, ", %lu past 32-bit offsets", ks[i].past_32bit);
        shim_log(SS_LOG_INFO, "summary:   %s: %lu launches%s%s, redirected=%s, hotfix=%s%s",
                 ks[i].name, total, per_dev, ks[i].failed ? " (some FAILED)" : "",
                 ks[i].redirected ? "yes" : "no", ks[i].hotfixed ? "yes" : "no", wraps);
    }
}

/* Launches of _fused kernels whose upstream 32-bit offsets would wrap
 * (lib/plan/fused.h): fine when the hotfix ran them, silent corruption when the
 * original did. */
static void print_wraps(const struct shim_kernel_stats *ks, size_t nks)
{
    unsigned long total = 0, unfixed = 0;
    char names[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < nks; i++) {
        total += ks[i].past_32bit;
        if (!ks[i].past_32bit || ks[i].hotfixed)
            continue;
        unfixed += ks[i].past_32bit;
        int n = snprintf(names + used, sizeof names - used, "%s%s (%lu)", used ? ", " : "",
                         ks[i].name, ks[i].past_32bit);
        if (n > 0 && (size_t)n < sizeof names - used)
            used += (size_t)n;
    }
    if (total == 0)
        return;
    if (unfixed == 0) {
        shim_log(SS_LOG_INFO, "summary: %lu launches past 32-bit offsets, all hotfixed", total);
        return;
    }
    shim_log(SS_LOG_WARN, "WARNING: %lu of %lu launches of SageAttention's _fused kernels ran past "
             "32-bit offsets without the hotfix, so their output is wrong: %s. Keep `hotfix = on` "
             "and the installed bundle (sageshim doctor shows it).", unfixed, total, names);
}

/* Calls the repair ran as pieces (long inputs past 32-bit offsets), per
 * kind: each one was right only because it was cut. */
static void print_cuts(void)
{
    unsigned long total = 0;
    char kinds[256] = "";
    size_t used = 0;
    for (int kind = 0; kind < SHIM_CUT_KINDS; kind++) {
        unsigned long n = shim_cut_count((enum shim_cut_kind)kind);
        if (n == 0)
            continue;
        total += n;
        int w = snprintf(kinds + used, sizeof kinds - used, "%s%s %lu", used ? ", " : "",
                         shim_cut_kind_name((enum shim_cut_kind)kind), n);
        if (w > 0 && (size_t)w < sizeof kinds - used)
            used += (size_t)w;
    }
    if (total > 0)
        shim_log(SS_LOG_INFO, "summary: long inputs: %lu call%s run in pieces (%s)", total,
                 total == 1 ? "" : "s", kinds);
}

/* Which devices the shim acts on (`archs`) and which it leaves alone. */
static void print_targets(const struct summary_ctx *c)
{
    const struct ss_config *cfg = shim_config();
    if (!c->devices_known || !cfg)
        return;
    char in[256] = "", out[256] = "";
    for (int d = 0; d < c->devices.count; d++) {
        int target = 0;
        for (size_t a = 0; a < cfg->narchs; a++)
            target |= cfg->archs[a] == (unsigned)c->devices.cc[d];
        char *buf = target ? in : out;
        size_t used = strlen(buf);
        snprintf(buf + used, 256 - used, "%s%d (sm_%d)", used ? ", " : "", d, c->devices.cc[d]);
    }
    shim_log(SS_LOG_INFO, "summary: devices in archs (redirect, hotfix, long inputs in pieces): "
             "%s; untouched: %s", in[0] ? in : "none", out[0] ? out : "none");
}

static void print_summary(void *ctx, const struct shim_module_stats *mods, size_t nmods,
                          const struct shim_kernel_stats *ks, size_t nks)
{
    const struct summary_ctx *c = ctx;
    unsigned long total, watched;
    shim_images_seen(&total, &watched);
    char devs[128] = "unknown";
    if (c->devices_known)
        shim_devices_format(&c->devices, devs, sizeof devs);
    shim_log(SS_LOG_INFO,
             "summary: %lu images seen, %lu watched and parsed, %lu unwatched not parsed; devices %s",
             total, watched, total - watched, devs);
    print_targets(c);
    for (size_t m = 0; m < nmods; m++)
        print_module(&mods[m], (int)m, ks, nks);
    print_wraps(ks, nks);

    for (int d = 0; d < SHIM_MAX_DEVICES; d++) {
        if (launched_on(mods, nmods, ks, nks, "*_fused*", d) &&
            attention_missing(c, mods, nmods, ks, nks, d)) {
            shim_log(SS_LOG_WARN, "%s", ATTENTION_SKIPPED_WARNING);
            break;
        }
    }
}

/* Runs at exit (or when the library is unloaded).  Never calls the driver:
 * it may already be gone. */
__attribute__((destructor)) static void shim_summary_at_exit(void)
{
    if (shim_mode_is(SS_MODE_OFF))
        return;
    if (!shim_mode_is(SS_MODE_DIAGNOSE)) {
        /* One line in every mode, so a log proves that images of unwatched
         * modules (all of PyTorch's, cuBLAS) were never parsed. */
        unsigned long total, watched;
        shim_images_seen(&total, &watched);
        if (total == 0)
            return;   /* a process that loaded no CUDA code: nothing to prove */
        shim_log(SS_LOG_INFO, "exit: %lu images seen, %lu watched and parsed, %lu unwatched not parsed",
                 total, watched, total - watched);
        return;
    }
    /* Calls cut into pieces are told even where no CUDA code was loaded
     * (a CPU test of the repair). */
    print_cuts();
    /* A process that loaded no CUDA code has nothing more to summarize, and a
     * launcher's helpers must not get a line each. */
    unsigned long total, watched;
    shim_images_seen(&total, &watched);
    if (total == 0)
        return;
    struct summary_ctx c = { 0 };
    c.devices_known = shim_devices_cached(&c.devices) == 0;
    shim_registry_walk(print_summary, &c);
}
