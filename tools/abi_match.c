/* abi_match.c: pair each original container with the replacement container
 * holding its kernels, per device architecture, and compare them. */
#include "tools.h"

#include <stdlib.h>
#include <string.h>

/* Entries the driver can load: cubins and PTX (LTO-IR needs a link step). */
static int loadable(const struct ss_entry *e)
{
    return e->kind == SS_KIND_ELF || e->kind == SS_KIND_PTX;
}

/* Distinct SM numbers of the loadable entries of an image, ascending. */
static size_t image_sms(const struct ss_image *image, unsigned *sms, size_t max)
{
    size_t n = 0;
    for (size_t c = 0; c < image->ncontainers; c++) {
        const struct ss_container *ct = &image->containers[c];
        for (size_t e = 0; e < ct->nentries; e++) {
            if (!loadable(&ct->entries[e]))
                continue;
            unsigned sm = ct->entries[e].sm;
            size_t at = 0;
            while (at < n && sms[at] < sm)
                at++;
            if ((at < n && sms[at] == sm) || n == max)
                continue;
            memmove(sms + at + 1, sms + at, (n - at) * sizeof *sms);
            sms[at] = sm;
            n++;
        }
    }
    return n;
}

static size_t shared_kernels(const struct ss_entry *orig, const struct ss_entry *repl)
{
    size_t n = 0;
    for (size_t k = 0; k < orig->nkernels; k++)
        if (ss_entry_find_kernel(repl, orig->kernels[k].name))
            n++;
    return n;
}

/* The replacement container whose entry for sm shares the most kernels
 * with `orig` (the first one with any entry for sm when none shares any). */
static int best_replacement(const struct ss_image *repl, const struct ss_entry *orig,
                            unsigned sm, size_t *container, size_t *entry)
{
    int found = 0;
    size_t best_shared = 0;
    for (size_t c = 0; c < repl->ncontainers; c++) {
        int idx = ss_select_entry(&repl->containers[c], (int)(sm / 10), (int)(sm % 10), 0);
        if (idx < 0)
            continue;
        size_t shared = shared_kernels(orig, &repl->containers[c].entries[idx]);
        if (!found || shared > best_shared) {
            found = 1;
            best_shared = shared;
            *container = c;
            *entry = (size_t)idx;
        }
    }
    return found;
}

int abi_compare_images(const struct ss_image *orig, const struct ss_image *repl,
                       const unsigned *sms, size_t nsms, struct abi_result *result)
{
    memset(result, 0, sizeof *result);
    result->compatible = 1;
    unsigned present[64];
    if (nsms == 0) {
        nsms = image_sms(orig, present, sizeof present / sizeof *present);
        sms = present;
    }
    for (size_t s = 0; s < nsms; s++) {
        for (size_t c = 0; c < orig->ncontainers; c++) {
            const struct ss_container *ct = &orig->containers[c];
            int idx = ss_select_entry(ct, (int)(sms[s] / 10), (int)(sms[s] % 10), 0);
            /* Containers without kernels (nvcc's device-link stubs) have
             * nothing a replacement could break. */
            if (idx < 0 || (ct->entries[idx].kernels_read && ct->entries[idx].nkernels == 0))
                continue;
            struct abi_pair *grown = realloc(result->pairs, (result->npairs + 1) * sizeof *grown);
            if (!grown) {
                abi_result_free(result);
                return -1;
            }
            result->pairs = grown;
            struct abi_pair *p = &result->pairs[result->npairs];
            memset(p, 0, sizeof *p);
            p->sm = sms[s];
            p->orig_container = c;
            p->orig_entry = (size_t)idx;
            p->has_replacement = best_replacement(repl, &ct->entries[idx], sms[s],
                                                  &p->repl_container, &p->repl_entry);
            result->npairs++;
            if (!p->has_replacement) {
                result->compatible = 0;
                result->fail += ct->entries[idx].nkernels;
                continue;
            }
            const struct ss_entry *re = &repl->containers[p->repl_container].entries[p->repl_entry];
            if (ss_abi_compare(&ct->entries[idx], re, &p->report) < 0) {
                p->has_replacement = 0;
                abi_result_free(result);
                return -1;
            }
            if (!p->report.compatible)
                result->compatible = 0;
            for (size_t v = 0; v < p->report.nverdicts; v++) {
                switch (p->report.verdicts[v].level) {
                case SS_ABI_OK:   result->ok++; break;
                case SS_ABI_WARN: result->warn++; break;
                case SS_ABI_FAIL: result->fail++; break;
                }
            }
        }
    }
    return 0;
}

void abi_result_free(struct abi_result *result)
{
    for (size_t i = 0; i < result->npairs; i++)
        if (result->pairs[i].has_replacement)
            ss_abi_report_free(&result->pairs[i].report);
    free(result->pairs);
    memset(result, 0, sizeof *result);
}
