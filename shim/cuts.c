/* cuts.c: how many calls the Python repair ran as pieces, per kind, for the
 * diagnose summary.  repair.py counts through count_cut(kind) (repair_py.c);
 * summary.c reads the totals at exit.  Plain atomic counters: a cut call is
 * a long attention or quantization call, never a hot path. */
#include <stdatomic.h>
#include <string.h>

#include "shim.h"

static const char *const cut_kind_names[SHIM_CUT_KINDS] = {
    [SHIM_CUT_BATCH_SPLIT] = "batch split",
    [SHIM_CUT_ATTENTION] = "attention",
    [SHIM_CUT_QUANTIZER] = "quantizer",
};

static atomic_ulong cut_counts[SHIM_CUT_KINDS];

const char *shim_cut_kind_name(enum shim_cut_kind kind)
{
    return kind < SHIM_CUT_KINDS ? cut_kind_names[kind] : "?";
}

int shim_count_cut(const char *kind_name)
{
    for (int kind = 0; kind < SHIM_CUT_KINDS; kind++) {
        if (strcmp(kind_name, cut_kind_names[kind]) == 0) {
            atomic_fetch_add(&cut_counts[kind], 1);
            return 0;
        }
    }
    return -1;
}

unsigned long shim_cut_count(enum shim_cut_kind kind)
{
    return kind < SHIM_CUT_KINDS ? atomic_load(&cut_counts[kind]) : 0;
}
