/* doctor.h: the pieces of `sageshim doctor` (doctor.c is the order of the
 * screen and the final answer). */
#ifndef SAGESHIM_DOCTOR_H
#define SAGESHIM_DOCTOR_H

#include "tools.h"

#include <limits.h>

/* doctor's own exit status: nothing was checked (no interpreter, or no
 * SageAttention in it).  0, 1 and 2 are tools.h's. */
#define EXIT_NOTHING_TO_CHECK 3

/* What doctor found: problems are printed where found, with a remedy;
 * `repaired` counts defects the preload library repairs at run time; a
 * verdict is "healthy" only when `covered` (a SageAttention was found and
 * checked) and every long-sequence fix it should have applies. */
struct findings {
    int problems;
    int repaired;
    int covered;
    char not_covered[8192];    /* why nothing was checked */
};

void problem(struct findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The GPUs the driver reports (doctor_gpus.c). */
#define DOCTOR_MAX_GPUS 16
struct doctor_gpus {
    size_t count;              /* 0: see state */
    unsigned cc[DOCTOR_MAX_GPUS];
    char name[DOCTOR_MAX_GPUS][128];
    int driver_version;        /* 13000 for 13.0; 0 unknown */
    char state[160];           /* when count is 0: why */
};
void doctor_gpus_query(struct doctor_gpus *g);
/* The "GPUs" section: per device, what the preload library does there. */
void doctor_gpus_report(const struct doctor_gpus *g, const struct ss_config *cfg);

/* "/a/lib/../etc/x" -> "/a/etc/x" for printing (realpath when it exists,
 * else the same lexically). */
void doctor_pretty_path(const char *path, char *out, size_t len);

/* doctor_bundle.c: the bundles doctor reads, each once, for the "Bundle"
 * section and for the plans: the configured one and, when that is another
 * directory, the installed one (its hotfix lines count wherever `bundle`
 * points, as in shim/state.c). */
struct doctor_bundle_notes {
    size_t count;
    char text[32][400];        /* messages ss_bundle_open reported */
    int manifest_line[32];     /* > 0: about a MANIFEST line, not a file */
};
struct doctor_bundle {
    char dir[PATH_MAX + 64];
    int opened;                /* tried: configured always, installed when another dir */
    int missing;               /* no MANIFEST there */
    int read;                  /* the MANIFEST was read: b is open */
    int usable;                /* what the shim's plans would use (ss_plan_read_bundle) */
    struct ss_bundle b;
    char why[PATH_MAX + 512];  /* !usable: the plan's words */
    struct ss_error err;       /* !read && !missing: why */
    struct doctor_bundle_notes notes;
};
struct doctor_bundles {
    struct doctor_bundle configured, installed;
};
/* NULL when out of memory. */
struct doctor_bundles *doctor_bundles_open(const struct ss_config *cfg, const char *libdir);
void doctor_bundles_close(struct doctor_bundles *db);
/* The "Bundle" section. */
void doctor_report_bundles(struct findings *f, const struct ss_config *cfg,
                           const struct doctor_bundles *db);

/* doctor_plan.c: the redirect plan of each module, as the shim would log it,
 * and the long-sequence fix (the hotfix) of each _fused module as a checked
 * item.  Counts problems in f; `fused_checked` / `fused_fixed` say how many
 * _fused modules were judged and how many have the fix in full. */
struct plan_summary {
    int fused_checked;
    int fused_fixed;
};
void doctor_print_plans(struct findings *f, const struct ss_config *cfg,
                        const struct doctor_bundles *db, const struct doctor_gpus *gpus,
                        const struct ext_module_list *modules, struct plan_summary *summary);

#endif
