/* abi.h: is a replacement code object safe to load in place of an original?
 *
 * Compares the kernels of two entries chosen for the same architecture
 * (fatbin-format §7): every original kernel must exist in the replacement
 * with the same parameter count and sizes; offsets and total parameter size
 * are compared only between cubins of the same SM and toolkit generation
 * (a warning otherwise); launch constraints are reported. */
#ifndef SAGESHIM_ABI_H
#define SAGESHIM_ABI_H

#include "image.h"

enum ss_abi_level {
    SS_ABI_OK,        /* identical for every launch path */
    SS_ABI_WARN,      /* safe for ordinary (void **args) launches; see reason */
    SS_ABI_FAIL,      /* must not be substituted */
};

struct ss_abi_verdict {
    char *kernel;               /* mangled name */
    enum ss_abi_level level;
    char reason[256];           /* "" for OK; otherwise the first problem ... */
};

struct ss_abi_report {
    size_t nverdicts;
    struct ss_abi_verdict *verdicts;  /* one per original kernel, in order */
    int compatible;             /* 1 when no verdict is SS_ABI_FAIL */
    char summary[256];          /* e.g. "64 kernels: 64 ok" or first failure */
};

/* Compare original entry `orig` with replacement `repl`.  Both must have
 * kernels_read set; otherwise the report holds one failing verdict saying
 * why.  Returns 0 (report filled) or -1 on allocation failure. */
int ss_abi_compare(const struct ss_entry *orig, const struct ss_entry *repl,
                   struct ss_abi_report *report);

void ss_abi_report_free(struct ss_abi_report *report);

const char *ss_abi_level_name(enum ss_abi_level level); /* "ok", "warn", "FAIL" */

#endif
