/* plan_format.c: a plan (plan.h) as the lines the shim logs and doctor
 * prints.  The one place their words are written. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/append.h"

#define LINE_MAX_LEN 2048

struct out {
    void (*line)(void *ctx, enum ss_plan_line kind, const char *text);
    void *ctx;
    size_t count;
};

static void emit(struct out *o, enum ss_plan_line kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void emit(struct out *o, enum ss_plan_line kind, const char *fmt, ...)
{
    char text[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (o->line)
        o->line(o->ctx, kind, text);
    o->count++;
}

static const char *label_of(const struct ss_bundle *b)
{
    return b && b->manifest.label ? b->manifest.label : "(no label)";
}

/* "redirect M (api): sm_90 -> bundle L F sm_90a, 64 kernels ABI ok; other entries kept" */
static void redirect_line(const struct ss_plan *p, struct out *o)
{
    char text[LINE_MAX_LEN];
    snprintf(text, sizeof text, "%s %s (%s):", p->dry_run ? "would redirect" : "redirect",
             p->module, p->api);
    int first = 1;
    for (size_t a = 0; a < p->narchs; a++) {
        const struct ss_plan_arch *pa = &p->archs[a];
        if (!pa->replaced)
            continue;
        char arch[32];
        ss_entry_arch_name(&p->container->entries[pa->bundle_entry], arch, sizeof arch);
        ss_append(text, sizeof text, "%s sm_%u -> bundle %s %s %s, %zu kernels ABI ok",
               first ? "" : ";", pa->sm, label_of(p->bundle), p->file->item->file, arch,
               pa->report.nverdicts);
        first = 0;
    }
    if (p->skipped[0])
        ss_append(text, sizeof text, "; %s", p->skipped);
    ss_append(text, sizeof text, "; %s", p->other_entries ? "other entries kept" : "no other entries");
    emit(o, SS_PLAN_LINE_ENTRY, "%s", text);
}

static void hotfix_line(const struct ss_plan *p, struct out *o)
{
    char archs[128] = "";
    for (size_t a = 0; a < p->nhotfix_archs; a++)
        ss_append(archs, sizeof archs, "%ssm_%u", a ? "," : "", p->hotfix_archs[a]);
    const char *label = label_of(p->hotfix_bundle);
    const char *file = p->hotfix_file->item->file;
    if (p->hotfix_reason[0]) {
        emit(o, SS_PLAN_LINE_HOTFIX, "keep original %s (%s): hotfix %s %s: %s", p->module,
             p->api, label, file, p->hotfix_reason);
        return;
    }
    char kept[512] = "";
    size_t nkept = p->nkernels - p->nhotfixed;
    for (size_t i = 0; i < p->nkernels; i++) {
        if (p->kernels[i].hotfixed)
            continue;
        ss_append(kept, sizeof kept, "; kept %s: %s", p->kernels[i].name, p->kernels[i].reason);
        if (nkept > 1)
            ss_append(kept, sizeof kept, " (and %zu more)", nkept - 1);
        break;
    }
    /* One handle serves every device, so "replaced" means on all of them. */
    const char *every = p->nhotfix_archs > 1 ? " on every device" : "";
    if (p->nhotfixed == 0)
        emit(o, SS_PLAN_LINE_HOTFIX, "keep original %s (%s): hotfix %s %s: 0 of %zu kernels "
             "replaced%s", p->module, p->api, label, file, p->nkernels, kept);
    else
        emit(o, SS_PLAN_LINE_HOTFIX, "%s %s (%s): %s -> %s %s: %zu of %zu kernels replaced%s%s",
             p->dry_run ? "would hotfix" : "hotfix", p->module, p->api, archs, label, file,
             p->nhotfixed, p->nkernels, every, kept);
}

size_t ss_plan_lines(const struct ss_plan *p,
                     void (*line)(void *ctx, enum ss_plan_line kind, const char *text),
                     void *ctx)
{
    struct out o = { line, ctx, 0 };
    for (size_t a = 0; a < p->narchs; a++)
        if (p->archs[a].orig_entry < 0)
            emit(&o, SS_PLAN_LINE_NOTE, "%s: the original has no entry for %u.%u; sm_%u left alone",
                 p->module, p->archs[a].sm / 10, p->archs[a].sm % 10, p->archs[a].sm);
    for (size_t a = 0; p->container && a < p->narchs; a++) {
        const struct ss_abi_report *rep = &p->archs[a].report;
        for (size_t v = 0; p->archs[a].replaced && v < rep->nverdicts; v++)
            if (rep->verdicts[v].level == SS_ABI_WARN)
                emit(&o, SS_PLAN_LINE_NOTE, "%s sm_%u: ABI warning in %s: %s", p->module,
                     p->archs[a].sm, rep->verdicts[v].kernel, rep->verdicts[v].reason);
    }
    if (p->entry == SS_PLAN_KEEP)
        emit(&o, SS_PLAN_LINE_ENTRY, "keep original %s (%s): %s", p->module, p->api, p->reason);
    else if (p->entry == SS_PLAN_REPLACE)
        redirect_line(p, &o);
    if (p->hotfix_considered)
        hotfix_line(p, &o);
    return o.count;
}
