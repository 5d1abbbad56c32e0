/* plan.c: step 1 of the redirect plan (plan.h) - which bundle entries
 * replace which entries of a watched image - and the plan's lifetime.
 * Anything unexpected (parse errors, no bundle, ABI differences, out of
 * memory) keeps the original, with the reason in plan->reason. */
#include "plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/append.h"
#include <sys/stat.h>

#include "reader/merge.h"
#include "reader/select.h"

/* What one bundle container offers for the active archs. */
struct candidate {
    const struct ss_bundle_file *file;
    const struct ss_container *container;
    unsigned passed[SS_MAX_ARCHS];      /* archs whose ABI check passed */
    int passed_entry[SS_MAX_ARCHS];     /* the bundle entry chosen for each */
    size_t npassed;
    char first_failure[SS_PLAN_REASON_MAX];
};

static void keep(struct ss_plan *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void keep(struct ss_plan *plan, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(plan->reason, sizeof plan->reason, fmt, ap);
    va_end(ap);
    plan->entry = SS_PLAN_KEEP;
}

static void arch_list(const unsigned *archs, size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        ss_append(buf, len, "%s%u.%u", i ? "," : "", archs[i] / 10, archs[i] % 10);
}

static int same_bytes(const struct ss_entry *a, const struct ss_entry *b)
{
    return a->size == b->size && memcmp(a->bytes, b->bytes, a->size) == 0;
}

void ss_default_bundle_dir(const char *libdir, char *out, size_t len)
{
    snprintf(out, len, "%s/../share/sageshim/kernels", libdir && libdir[0] ? libdir : ".");
}

int ss_plan_read_bundle(const char *dir, struct ss_bundle *b, const struct ss_trust *trust,
                        ss_diag_fn diag, void *ctx, char *why, size_t len, int *missing,
                        struct ss_error *err)
{
    struct ss_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    memset(b, 0, sizeof *b);
    if (missing)
        *missing = 0;
    /* No MANIFEST at all is not a broken bundle: there is none. */
    char manifest[4200];
    struct stat st;
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", dir ? dir : "");
    if (dir && dir[0] && stat(manifest, &st) != 0 && errno == ENOENT) {
        if (missing)
            *missing = 1;
        snprintf(why, len, "no bundle at %s", dir);
        return -1;
    }
    if (ss_bundle_open_trusted(dir, b, trust, diag, ctx, err) != 0) {
        char detail[300];
        ss_error_format(err, detail, sizeof detail);
        snprintf(why, len, "no bundle at %s (%s)", dir, detail);
        return -1;
    }
    /* A bundle of hotfix lines only is usable: the plan says, for entry
     * redirects, that it has no usable fatbin. */
    if (b->nfiles == 0 && b->nhotfixes == 0) {
        snprintf(why, len, "no usable fatbin in the bundle at %s", dir);
        return 1;
    }
    return 0;
}

int ss_plan_open_bundle(const char *dir, struct ss_bundle *b, const struct ss_trust *trust,
                        ss_diag_fn diag, void *ctx, char *why, size_t len, int *missing)
{
    int rc = ss_plan_read_bundle(dir, b, trust, diag, ctx, why, len, missing, NULL);
    if (rc > 0) {
        ss_bundle_close(b);
        return -1;
    }
    return rc;
}

/* ---- choosing a bundle container ------------------------------------------ */

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
 * With `reports`, the verdicts of the passing archs are kept there. */
static void evaluate(struct candidate *cand, const struct ss_container *orig,
                     const struct ss_plan_arch *active, size_t nactive, int force_ptx,
                     struct ss_plan_arch *reports)
{
    cand->npassed = 0;
    cand->first_failure[0] = '\0';
    for (size_t a = 0; a < nactive; a++) {
        char failure[SS_PLAN_REASON_MAX] = "";
        unsigned arch = active[a].sm;
        int b = ss_select_entry(cand->container, (int)arch / 10, (int)arch % 10, force_ptx);
        if (b < 0 || cand->container->entries[b].sm != arch) {
            snprintf(failure, sizeof failure, "bundle file %s has no entry for sm_%u",
                     cand->file->item->file, arch);
        } else {
            struct ss_abi_report rep;
            memset(&rep, 0, sizeof rep);
            if (ss_abi_compare(&orig->entries[active[a].orig_entry],
                               &cand->container->entries[b], &rep) != 0) {
                snprintf(failure, sizeof failure, "out of memory comparing kernels");
            } else if (!rep.compatible) {
                abi_failure_reason(&rep, failure, sizeof failure);
            } else {
                cand->passed[cand->npassed] = arch;
                cand->passed_entry[cand->npassed] = b;
                cand->npassed++;
                if (reports) {
                    reports[a].replaced = 1;
                    reports[a].bundle_entry = b;
                    reports[a].report = rep;
                    memset(&rep, 0, sizeof rep);
                }
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
                  const struct ss_plan_arch *active, size_t nactive, const char *base,
                  int force_ptx, struct candidate *best, char *why, size_t why_len)
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
                evaluate(&cand, orig, active, nactive, force_ptx, NULL);
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

/* Every device must run what was intended: a bundle entry on the archs that
 * were replaced, the original's own entry (same bytes) everywhere else. */
static int merged_runs_as_intended(const struct ss_plan_input *in, const struct ss_plan *plan,
                                   const struct ss_container *orig, char *why, size_t len)
{
    struct ss_container mc;
    struct ss_error err;
    memset(&mc, 0, sizeof mc);
    memset(&err, 0, sizeof err);
    if (ss_container_parse(plan->merged, plan->merged_len, &mc, &err) != 0) {
        char detail[300];
        ss_error_format(&err, detail, sizeof detail);
        snprintf(why, len, "merged image does not parse (%s)", detail);
        return 0;
    }
    int ok = 1;
    for (size_t d = 0; d < in->ndevices && ok; d++) {
        int major = (int)in->devices[d] / 10, minor = (int)in->devices[d] % 10;
        int m = ss_select_entry(&mc, major, minor, in->force_ptx);
        const struct ss_entry *want = NULL;
        for (size_t a = 0; a < plan->narchs; a++)
            if (plan->archs[a].replaced && plan->archs[a].sm == in->devices[d])
                want = &plan->container->entries[plan->archs[a].bundle_entry];
        if (!want) {
            int o = ss_select_entry(orig, major, minor, in->force_ptx);
            want = o >= 0 ? &orig->entries[o] : NULL;
        }
        if (!want ? m >= 0 : (m < 0 || !same_bytes(&mc.entries[m], want))) {
            snprintf(why, len, "merged image would not run the intended entry on device %zu (%d.%d)",
                     d, major, minor);
            ok = 0;
        }
    }
    ss_container_free(&mc);
    return ok;
}

/* ---- step 1 ------------------------------------------------------------------ */

static void plan_entries(const struct ss_plan_input *in, struct ss_plan *plan)
{
    const struct ss_image *img = in->image;
    if (!img) {
        keep(plan, "parse error %s", in->parse_error ? in->parse_error : "");
        return;
    }
    if (img->ncontainers != 1) {
        keep(plan, "%zu fatbin containers, expected one", img->ncontainers);
        return;
    }
    const struct ss_container *orig = &img->containers[0];
    if (orig->origin == SS_FROM_CUBIN || orig->origin == SS_FROM_PTX) {
        keep(plan, "a bare %s, not a fatbin container",
             orig->origin == SS_FROM_CUBIN ? "cubin" : "PTX text");
        return;
    }
    if (in->devices_error) {
        keep(plan, "devices unknown: %s", in->devices_error);
        return;
    }

    /* Target archs some device has, and the original's entry for each. */
    struct ss_plan_arch active[SS_MAX_ARCHS];
    size_t nactive = 0, npresent = 0;
    for (size_t i = 0; i < in->narchs && i < SS_MAX_ARCHS; i++) {
        unsigned arch = in->archs[i];
        int present = 0;
        for (size_t d = 0; d < in->ndevices; d++)
            present |= in->devices[d] == arch;
        if (!present)
            continue;
        npresent++;
        struct ss_plan_arch *pa = &plan->archs[plan->narchs++];
        pa->sm = arch;
        pa->orig_entry = ss_select_entry(orig, (int)arch / 10, (int)arch % 10, in->force_ptx);
        if (pa->orig_entry < 0) {
            ss_append(plan->skipped, sizeof plan->skipped, "%ssm_%u: original has no entry",
                   plan->skipped[0] ? "; " : "", arch);
            continue;
        }
        active[nactive++] = *pa;
    }
    if (npresent == 0) {
        char targets[128], have[128];
        arch_list(in->archs, in->narchs < SS_MAX_ARCHS ? in->narchs : SS_MAX_ARCHS, targets,
                  sizeof targets);
        arch_list(in->devices, in->ndevices, have, sizeof have);
        keep(plan, "no device of archs %s (devices: %s)", targets, have);
        return;
    }
    if (nactive == 0) {
        keep(plan, "%s", plan->skipped);
        return;
    }

    char why[SS_PLAN_REASON_MAX];
    const struct ss_bundle *bundle =
        in->sources.bundle ? in->sources.bundle(in->sources.ctx, why, sizeof why) : NULL;
    if (!bundle) {
        keep(plan, "%s", in->sources.bundle ? why : "no bundle");
        plan->no_bundle = 1;
        return;
    }
    if (bundle->nfiles == 0) {
        keep(plan, "no usable fatbin in the bundle at %s", bundle->dir);
        return;
    }
    struct candidate chosen;
    memset(&chosen, 0, sizeof chosen);
    if (!choose(bundle, orig, active, nactive, in->module, in->force_ptx, &chosen, why,
                sizeof why)) {
        keep(plan, "%s", why);
        plan->refused = 1;
        return;
    }
    plan->bundle = bundle;
    plan->file = chosen.file;
    plan->container = chosen.container;
    /* The verdicts of the chosen container, kept per arch for the lines. */
    struct ss_plan_arch reports[SS_MAX_ARCHS];
    memset(reports, 0, sizeof reports);
    evaluate(&chosen, orig, active, nactive, in->force_ptx, reports);
    for (size_t a = 0, r = 0; a < plan->narchs; a++) {
        if (plan->archs[a].orig_entry < 0)
            continue;
        plan->archs[a].replaced = reports[r].replaced;
        plan->archs[a].bundle_entry = reports[r].bundle_entry;
        plan->archs[a].report = reports[r].report;
        /* Archs the chosen container did not pass keep the original's entries. */
        if (!reports[r].replaced)
            ss_append(plan->skipped, sizeof plan->skipped, "%ssm_%u kept (%s)",
                   plan->skipped[0] ? "; " : "", plan->archs[a].sm, chosen.first_failure);
        r++;
    }

    struct ss_error err;
    memset(&err, 0, sizeof err);
    if (ss_merge(orig, chosen.container, chosen.passed, chosen.npassed, &plan->merged,
                 &plan->merged_len, &err) != 0) {
        char detail[300];
        ss_error_format(&err, detail, sizeof detail);
        keep(plan, "merge failed: %s", detail);
        plan->refused = 1;
        return;
    }
    if (!merged_runs_as_intended(in, plan, orig, why, sizeof why)) {
        free(plan->merged);
        plan->merged = NULL;
        plan->merged_len = 0;
        keep(plan, "%s", why);
        plan->refused = 1;
        return;
    }
    for (size_t e = 0; e < orig->nentries; e++) {
        int replaced = 0;
        for (size_t a = 0; a < chosen.npassed; a++)
            replaced |= orig->entries[e].sm == chosen.passed[a];
        plan->other_entries |= !replaced;
    }
    plan->entry = SS_PLAN_REPLACE;
}

void ss_plan_redirect(const struct ss_plan_input *in, struct ss_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    snprintf(plan->module, sizeof plan->module, "%s", in->module ? in->module : "?");
    snprintf(plan->api, sizeof plan->api, "%s", in->api ? in->api : "?");
    plan->dry_run = in->dry_run;
    plan->entry = SS_PLAN_NOT_WATCHED;
    if (in->redirect)
        plan_entries(in, plan);
    if (in->hotfix)
        ss_plan_hotfix(in, plan);
}

int ss_plan_hotfixes(const struct ss_plan *plan, const char *name)
{
    for (size_t i = 0; plan && name && i < plan->nkernels; i++)
        if (plan->kernels[i].hotfixed && strcmp(plan->kernels[i].name, name) == 0)
            return 1;
    return 0;
}

void ss_plan_free(struct ss_plan *plan)
{
    if (!plan)
        return;
    for (size_t a = 0; a < plan->narchs; a++)
        ss_abi_report_free(&plan->archs[a].report);
    for (size_t k = 0; k < plan->nkernels; k++)
        free(plan->kernels[k].name);
    free(plan->kernels);
    free(plan->merged);
    memset(plan, 0, sizeof *plan);
}
