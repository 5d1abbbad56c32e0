/* plan_hotfix.c: step 2 of the redirect plan (plan.h) - which kernels of a
 * module the kernels of a hotfix fatbin replace.
 *
 * The driver loads only the first container of a fatbin it is given, so only
 * that container of the hotfix file counts.  A hotfix kernel stands in for
 * the original when every launch the original admits is admitted by it too:
 *   - the same parameters (count, and each one's offset and size);
 *   - a thread limit (max threads, or 1024 when none; lower when the
 *     registers per thread of both are known and leave room for fewer
 *     threads) not below the original's; a required block size only when
 *     the original has the same;
 *   - no more static shared memory than the original, so the dynamic shared
 *     memory a caller may give the original still fits (unknown for PTX:
 *     then refused unless the original's is unknown too);
 *   - the same cluster dimensions.
 * So a hotfix using more registers is refused only where that lowers the
 * block size it can launch below one the original can (for SageAttention's
 * _fused kernels, launched with up to 1024 threads: at most 64 registers). */
#include "base/append.h"
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/select.h"

/* Hardware limits per block on every arch CUDA 12/13 supports: threads, and
 * registers (allocated per thread in units of 8). */
#define MAX_BLOCK_THREADS 1024u
#define MAX_BLOCK_REGISTERS 65536u

static unsigned long thread_limit(const struct ss_kernel *k)
{
    if (k->req_ntid[0])
        return (unsigned long)k->req_ntid[0] * (k->req_ntid[1] ? k->req_ntid[1] : 1) *
               (k->req_ntid[2] ? k->req_ntid[2] : 1);
    if (k->max_threads[0])
        return (unsigned long)k->max_threads[0] * (k->max_threads[1] ? k->max_threads[1] : 1) *
               (k->max_threads[2] ? k->max_threads[2] : 1);
    return MAX_BLOCK_THREADS;
}

/* Threads per block the registers leave room for (whole warps). */
static unsigned long register_limit(const struct ss_kernel *k)
{
    unsigned long per_warp = (k->registers + 7) / 8 * 8 * 32ul;
    unsigned long threads = MAX_BLOCK_REGISTERS / per_warp * 32;
    return threads < MAX_BLOCK_THREADS ? threads : MAX_BLOCK_THREADS;
}

/* Static shared memory, or -1 when the entry cannot say (PTX). */
static long long static_smem(const struct ss_entry *e, const struct ss_kernel *k)
{
    if (e->kind != SS_KIND_ELF)
        return -1;
    return k->has_static_smem ? (long long)k->static_smem : 0;
}

/* "" when `h` (in entry he) admits every launch `o` (in entry oe) admits;
 * otherwise the first difference. */
static void compare_kernels(const struct ss_entry *oe, const struct ss_kernel *o,
                            const struct ss_entry *he, const struct ss_kernel *h, char *why,
                            size_t len)
{
    why[0] = '\0';
    if (o->nparams != h->nparams) {
        snprintf(why, len, "%u parameters != %u", h->nparams, o->nparams);
        return;
    }
    for (unsigned i = 0; i < o->nparams; i++) {
        const struct ss_param *op = &o->params[i], *hp = &h->params[i];
        if (op->size != hp->size) {
            snprintf(why, len, "param %u size %u != %u", op->ordinal, hp->size, op->size);
            return;
        }
        if (op->offset != hp->offset) {
            snprintf(why, len, "param %u offset %u != %u", op->ordinal, hp->offset, op->offset);
            return;
        }
    }
    if (h->req_ntid[0] && memcmp(h->req_ntid, o->req_ntid, sizeof h->req_ntid) != 0) {
        snprintf(why, len, "required block size %u,%u,%u (the original's: %u,%u,%u)",
                 h->req_ntid[0], h->req_ntid[1], h->req_ntid[2], o->req_ntid[0], o->req_ntid[1],
                 o->req_ntid[2]);
        return;
    }
    unsigned long hl = thread_limit(h), ol = thread_limit(o);
    int registers_known = h->has_registers && o->has_registers;
    if (registers_known && register_limit(o) < ol)
        ol = register_limit(o);
    if (registers_known && register_limit(h) < hl) {
        hl = register_limit(h);
        if (hl < ol) {
            snprintf(why, len, "max threads %lu < %lu (%u registers per thread, the original %u)",
                     hl, ol, h->registers, o->registers);
            return;
        }
    }
    if (hl < ol) {
        snprintf(why, len, "max threads %lu < %lu", hl, ol);
        return;
    }
    long long os = static_smem(oe, o), hs = static_smem(he, h);
    if (hs < 0 && os >= 0) {
        snprintf(why, len, "static shared memory unknown (PTX), the original's is %lld", os);
        return;
    }
    if (hs >= 0 && os >= 0 && hs > os) {
        snprintf(why, len, "static shared memory %lld > %lld", hs, os);
        return;
    }
    if (memcmp(h->cluster_dims, o->cluster_dims, sizeof h->cluster_dims) != 0) {
        snprintf(why, len, "cluster dims %u,%u,%u != %u,%u,%u", h->cluster_dims[0],
                 h->cluster_dims[1], h->cluster_dims[2], o->cluster_dims[0], o->cluster_dims[1],
                 o->cluster_dims[2]);
        return;
    }
}

/* The first usable hotfix file whose line applies to the module's path. */
static int find_hotfix(const struct ss_plan_input *in, struct ss_plan *plan)
{
    const struct ss_bundle *bundles[SS_PLAN_MAX_HOTFIX_BUNDLES];
    size_t n = in->sources.hotfix_bundles
                   ? in->sources.hotfix_bundles(in->sources.ctx, bundles,
                                                SS_PLAN_MAX_HOTFIX_BUNDLES)
                   : 0;
    plan->hotfix_file = ss_hotfix_for(bundles, n, in->path, &plan->hotfix_bundle);
    return plan->hotfix_file != NULL;
}

/* The entry a device of arch `cc` runs once step 1 is applied. */
static const struct ss_entry *running_entry(const struct ss_plan_input *in,
                                            const struct ss_plan *plan, unsigned cc)
{
    if (plan->entry == SS_PLAN_REPLACE)
        for (size_t a = 0; a < plan->narchs; a++)
            if (plan->archs[a].replaced && plan->archs[a].sm == cc)
                return &plan->container->entries[plan->archs[a].bundle_entry];
    const struct ss_container *orig = &in->image->containers[0];
    int e = ss_select_entry(orig, (int)cc / 10, (int)cc % 10, in->force_ptx);
    return e >= 0 ? &orig->entries[e] : NULL;
}

static int add_kernel(struct ss_plan *plan, const char *name)
{
    for (size_t i = 0; i < plan->nkernels; i++)
        if (strcmp(plan->kernels[i].name, name) == 0)
            return 0;
    struct ss_plan_kernel *grown = realloc(plan->kernels, (plan->nkernels + 1) * sizeof *grown);
    if (!grown)
        return -1;
    plan->kernels = grown;
    struct ss_plan_kernel *k = &plan->kernels[plan->nkernels];
    memset(k, 0, sizeof *k);
    k->name = strdup(name);
    if (!k->name)
        return -1;
    k->hotfixed = 1;
    plan->nkernels++;
    return 0;
}

static void refuse(struct ss_plan_kernel *k, unsigned cc, const char *why)
{
    if (!k->hotfixed)
        return;    /* the first reason is the one reported */
    k->hotfixed = 0;
    snprintf(k->reason, sizeof k->reason, "sm_%u: %s", cc, why);
}

static void hotfix_reason(struct ss_plan *plan, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void hotfix_reason(struct ss_plan *plan, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(plan->hotfix_reason, sizeof plan->hotfix_reason, fmt, ap);
    va_end(ap);
}

/* Does the hotfix container name this kernel in any entry? */
static int hotfix_names(const struct ss_container *hc, const char *name)
{
    for (size_t e = 0; e < hc->nentries; e++)
        if (hc->entries[e].kernels_read && ss_entry_find_kernel(&hc->entries[e], name))
            return 1;
    return 0;
}

void ss_plan_hotfix(const struct ss_plan_input *in, struct ss_plan *plan)
{
    if (!find_hotfix(in, plan))
        return;    /* no hotfix line for this module: nothing to say */
    plan->hotfix_considered = 1;
    const struct ss_image *img = in->image;
    if (!img) {
        hotfix_reason(plan, "parse error %s", in->parse_error ? in->parse_error : "");
        return;
    }
    if (img->ncontainers != 1 || img->containers[0].origin == SS_FROM_CUBIN ||
        img->containers[0].origin == SS_FROM_PTX) {
        hotfix_reason(plan, "not one fatbin container");
        return;
    }
    if (in->devices_error) {
        hotfix_reason(plan, "devices unknown: %s", in->devices_error);
        return;
    }
    /* One hotfix handle serves every device of the process, so a device
     * whose arch is not a target would run it too: the design leaves other
     * architectures untouched, so then no kernel is hot-fixed (issue 18). */
    for (size_t d = 0; d < in->ndevices; d++) {
        int target = 0;
        for (size_t a = 0; a < in->narchs; a++)
            target |= in->archs[a] == in->devices[d];
        if (!target) {
            char list[64] = "";
            for (size_t a = 0; a < in->narchs; a++)
                ss_append(list, sizeof list, "%s%u", a ? "," : "", in->archs[a]);
            hotfix_reason(plan, "device sm_%u is not in archs (%s); add it to `archs` to "
                          "hotfix there too", in->devices[d], list);
            return;
        }
    }
    for (size_t d = 0; d < in->ndevices; d++) {
        int seen = 0;
        for (size_t a = 0; a < plan->nhotfix_archs; a++)
            seen |= plan->hotfix_archs[a] == in->devices[d];
        if (!seen && plan->nhotfix_archs < SS_PLAN_MAX_DEVICES)
            plan->hotfix_archs[plan->nhotfix_archs++] = in->devices[d];
    }
    if (plan->nhotfix_archs == 0) {
        hotfix_reason(plan, "no device");
        return;
    }
    const struct ss_image *himg = &plan->hotfix_file->image;
    if (himg->ncontainers == 0) {
        hotfix_reason(plan, "no container in %s", plan->hotfix_file->item->file);
        return;
    }
    const struct ss_container *hc = &himg->containers[0];

    /* The candidates: kernels the devices run that the hotfix names. */
    int runs_somewhere = 0;
    for (size_t a = 0; a < plan->nhotfix_archs; a++) {
        const struct ss_entry *oe = running_entry(in, plan, plan->hotfix_archs[a]);
        runs_somewhere |= oe != NULL;
        for (size_t k = 0; oe && oe->kernels_read && k < oe->nkernels; k++)
            if (hotfix_names(hc, oe->kernels[k].name) && add_kernel(plan, oe->kernels[k].name)) {
                hotfix_reason(plan, "out of memory");
                plan->nhotfixed = 0;
                for (size_t i = 0; i < plan->nkernels; i++)
                    plan->kernels[i].hotfixed = 0;
                return;
            }
    }
    if (!runs_somewhere) {
        hotfix_reason(plan, "the original has no code for the devices' archs");
        return;
    }
    if (plan->nkernels == 0) {
        hotfix_reason(plan, "%s names none of its kernels", plan->hotfix_file->item->file);
        return;
    }

    for (size_t a = 0; a < plan->nhotfix_archs; a++) {
        unsigned cc = plan->hotfix_archs[a];
        const struct ss_entry *oe = running_entry(in, plan, cc);
        int h = ss_select_entry(hc, (int)cc / 10, (int)cc % 10, in->force_ptx);
        const struct ss_entry *he = h >= 0 ? &hc->entries[h] : NULL;
        char why[256];
        for (size_t i = 0; i < plan->nkernels; i++) {
            struct ss_plan_kernel *pk = &plan->kernels[i];
            const struct ss_kernel *o = oe && oe->kernels_read
                                            ? ss_entry_find_kernel(oe, pk->name) : NULL;
            if (!o)
                continue;   /* this device does not run it: nothing to break */
            if (!he) {
                refuse(pk, cc, "the hotfix has no entry for this arch");
                continue;
            }
            const struct ss_kernel *hk = he->kernels_read ? ss_entry_find_kernel(he, pk->name)
                                                          : NULL;
            if (!hk) {
                char arch[32];
                ss_entry_arch_name(he, arch, sizeof arch);
                snprintf(why, sizeof why, "not in the hotfix's %s entry", arch);
                refuse(pk, cc, why);
                continue;
            }
            compare_kernels(oe, o, he, hk, why, sizeof why);
            if (why[0])
                refuse(pk, cc, why);
        }
    }
    for (size_t i = 0; i < plan->nkernels; i++)
        plan->nhotfixed += plan->kernels[i].hotfixed != 0;
}
