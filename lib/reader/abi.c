/* abi.c: compare the kernels of an original and a replacement entry
 * (fatbin-format §7, steps 1-4). */
#include "abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Problems found for one kernel, sorted into failures and warnings; the
 * verdict's reason lists failures first (each half cut to fit). */
struct findings {
    char fail[256];
    char warn[256];
};

static void append(char *buf, size_t size, const char *fmt, va_list ap)
{
    size_t used = strlen(buf);
    if (used + 3 >= size)
        return;
    if (used > 0) {
        memcpy(buf + used, "; ", 3);
        used += 2;
    }
    vsnprintf(buf + used, size - used, fmt, ap);
}

__attribute__((format(printf, 2, 3)))
static void fail(struct findings *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(f->fail, sizeof f->fail, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void warn(struct findings *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(f->warn, sizeof f->warn, fmt, ap);
    va_end(ap);
}

/* Offsets and totals are comparable only between cubins of one SM built by
 * one toolkit generation (§4.7, §4.8); elsewhere they move legitimately. */
static int same_generation(const struct ss_entry *a, const struct ss_entry *b)
{
    if (a->kind != SS_KIND_ELF || b->kind != SS_KIND_ELF)
        return 0;
    if (a->cubin.sm != b->cubin.sm || a->cubin.abi != b->cubin.abi)
        return 0;
    if (a->cubin.toolkit && b->cubin.toolkit && a->cubin.toolkit / 10 != b->cubin.toolkit / 10)
        return 0;
    return 1;
}

static const struct ss_kernel *find(const struct ss_entry *e, const char *name)
{
    for (size_t i = 0; i < e->nkernels; i++)
        if (e->kernels[i].name && strcmp(e->kernels[i].name, name) == 0)
            return &e->kernels[i];
    return NULL;
}

/* Steps 2 and 3: parameter count and sizes, then offsets and total. */
static void compare_params(const struct ss_kernel *o, const struct ss_kernel *r,
                           int strict_layout, struct findings *f)
{
    if (o->nparams != r->nparams) {
        fail(f, "%u params != %u", o->nparams, r->nparams);
        return;
    }
    for (unsigned i = 0; i < o->nparams; i++) {
        if (o->params[i].size != r->params[i].size) {
            fail(f, "param %u size %u != %u", i, o->params[i].size, r->params[i].size);
            return;
        }
    }
    for (unsigned i = 0; i < o->nparams; i++) {
        if (o->params[i].align && r->params[i].align && o->params[i].align != r->params[i].align) {
            fail(f, "param %u align %u != %u", i, o->params[i].align, r->params[i].align);
            return;
        }
    }

    unsigned orig_total = o->has_param_size ? o->param_size : 0;
    unsigned repl_total = r->has_param_size ? r->param_size : 0;
    for (unsigned i = 0; i < o->nparams; i++) {
        if (o->params[i].offset == r->params[i].offset)
            continue;
        if (strict_layout)
            fail(f, "param %u offset %u != %u", i, o->params[i].offset, r->params[i].offset);
        else
            warn(f, "offsets differ (ok for void** launches): param %u offset %u != %u", i,
                 o->params[i].offset, r->params[i].offset);
        return;
    }
    if (orig_total != repl_total) {
        if (strict_layout)
            fail(f, "param size 0x%x != 0x%x", orig_total, repl_total);
        else
            warn(f, "offsets differ (ok for void** launches): param size 0x%x != 0x%x",
                 orig_total, repl_total);
    }
}

static int dims_set(const unsigned d[3])
{
    return d[0] || d[1] || d[2];
}

static int dims_equal(const unsigned a[3], const unsigned b[3])
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

/* Threads a block may have under a MAX_THREADS limit; none = the hardware's. */
static unsigned long long thread_limit(const unsigned d[3])
{
    if (!dims_set(d))
        return 1024;
    unsigned long long n = 1;
    for (int i = 0; i < 3; i++)
        n *= d[i] ? d[i] : 1;
    return n;
}

/* Step 4: launch constraints.  Blocks the original accepted must still be
 * accepted; other changes are reported. */
static void compare_launch(const struct ss_kernel *o, const struct ss_kernel *r,
                           int both_cubins, struct findings *f)
{
    const unsigned *a = o->max_threads, *b = r->max_threads;
    if (!dims_equal(a, b)) {
        if (thread_limit(b) < thread_limit(a))
            fail(f, "max_threads (%u,%u,%u) -> (%u,%u,%u)", a[0], a[1], a[2], b[0], b[1], b[2]);
        else
            warn(f, "max_threads (%u,%u,%u) -> (%u,%u,%u)", a[0], a[1], a[2], b[0], b[1], b[2]);
    }
    a = o->req_ntid;
    b = r->req_ntid;
    if (!dims_equal(a, b)) {
        /* A required block size the original did not demand rejects the
         * blocks it was launched with. */
        if (dims_set(b))
            fail(f, "req_ntid (%u,%u,%u) -> (%u,%u,%u)", a[0], a[1], a[2], b[0], b[1], b[2]);
        else
            warn(f, "req_ntid (%u,%u,%u) -> (%u,%u,%u)", a[0], a[1], a[2], b[0], b[1], b[2]);
    }
    a = o->cluster_dims;
    b = r->cluster_dims;
    if (!dims_equal(a, b))
        warn(f, "cluster_dims (%u,%u,%u) -> (%u,%u,%u)", a[0], a[1], a[2], b[0], b[1], b[2]);
    if (o->explicit_cluster != r->explicit_cluster)
        warn(f, "explicit_cluster %d -> %d", o->explicit_cluster, r->explicit_cluster);
    if (o->max_cluster_rank != r->max_cluster_rank)
        warn(f, "max_cluster_rank %u -> %u", o->max_cluster_rank, r->max_cluster_rank);
    /* PTX says nothing about shared memory. */
    if (both_cubins && o->static_smem != r->static_smem)
        warn(f, "static smem 0x%llx -> 0x%llx", (unsigned long long)o->static_smem,
             (unsigned long long)r->static_smem);
}

static void judge(const struct ss_entry *orig, const struct ss_entry *repl,
                  const struct ss_kernel *o, struct ss_abi_verdict *v)
{
    struct findings f = { "", "" };
    const struct ss_kernel *r = find(repl, o->name);
    if (!r) {
        fail(&f, "missing in replacement");
    } else {
        compare_params(o, r, same_generation(orig, repl), &f);
        compare_launch(o, r, orig->kind == SS_KIND_ELF && repl->kind == SS_KIND_ELF, &f);
    }
    if (f.fail[0]) {
        v->level = SS_ABI_FAIL;
        if (f.warn[0])
            snprintf(v->reason, sizeof v->reason, "%.126s; %.126s", f.fail, f.warn);
        else
            snprintf(v->reason, sizeof v->reason, "%s", f.fail);
    } else if (f.warn[0]) {
        v->level = SS_ABI_WARN;
        snprintf(v->reason, sizeof v->reason, "%s", f.warn);
    } else {
        v->level = SS_ABI_OK;
        v->reason[0] = '\0';
    }
}

static int unreadable_report(const struct ss_entry *orig, const struct ss_entry *repl,
                             struct ss_abi_report *report)
{
    report->verdicts = calloc(1, sizeof *report->verdicts);
    if (!report->verdicts)
        return -1;
    report->verdicts[0].kernel = strdup("(entry)");
    if (!report->verdicts[0].kernel) {
        free(report->verdicts);
        report->verdicts = NULL;
        return -1;
    }
    report->nverdicts = 1;
    report->verdicts[0].level = SS_ABI_FAIL;
    snprintf(report->verdicts[0].reason, sizeof report->verdicts[0].reason,
             "kernels of the %s entry were not read",
             !orig->kernels_read ? "original" : "replacement");
    report->compatible = 0;
    snprintf(report->summary, sizeof report->summary, "(entry): %.200s",
             report->verdicts[0].reason);
    (void)repl;
    return 0;
}

static void summarize(struct ss_abi_report *report)
{
    size_t counts[3] = { 0, 0, 0 };
    const struct ss_abi_verdict *first_fail = NULL;
    for (size_t i = 0; i < report->nverdicts; i++) {
        const struct ss_abi_verdict *v = &report->verdicts[i];
        counts[v->level]++;
        if (v->level == SS_ABI_FAIL && !first_fail)
            first_fail = v;
    }
    report->compatible = first_fail == NULL;
    int n = snprintf(report->summary, sizeof report->summary,
                     "%zu kernels: %zu ok, %zu warn, %zu FAIL", report->nverdicts,
                     counts[SS_ABI_OK], counts[SS_ABI_WARN], counts[SS_ABI_FAIL]);
    if (first_fail && n > 0 && (size_t)n < sizeof report->summary)
        snprintf(report->summary + n, sizeof report->summary - (size_t)n, "; first: %.80s: %.120s",
                 first_fail->kernel, first_fail->reason);
}

int ss_abi_compare(const struct ss_entry *orig, const struct ss_entry *repl,
                   struct ss_abi_report *report)
{
    memset(report, 0, sizeof *report);
    if (!orig->kernels_read || !repl->kernels_read)
        return unreadable_report(orig, repl, report);

    if (orig->nkernels > 0) {
        report->verdicts = calloc(orig->nkernels, sizeof *report->verdicts);
        if (!report->verdicts)
            return -1;
    }
    for (size_t i = 0; i < orig->nkernels; i++) {
        const struct ss_kernel *o = &orig->kernels[i];
        struct ss_abi_verdict *v = &report->verdicts[i];
        v->kernel = strdup(o->name ? o->name : "");
        if (!v->kernel) {
            ss_abi_report_free(report);
            return -1;
        }
        report->nverdicts++;
        judge(orig, repl, o, v);
    }
    summarize(report);
    return 0;
}

void ss_abi_report_free(struct ss_abi_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->nverdicts; i++)
        free(report->verdicts[i].kernel);
    free(report->verdicts);
    report->verdicts = NULL;
    report->nverdicts = 0;
}

const char *ss_abi_level_name(enum ss_abi_level level)
{
    switch (level) {
    case SS_ABI_OK:
        return "ok";
    case SS_ABI_WARN:
        return "warn";
    case SS_ABI_FAIL:
        return "FAIL";
    }
    return "unknown";
}
