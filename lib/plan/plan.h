/* plan.h: what the preload library does with one loaded image - the redirect
 * plan - decided in one place for the shim (which applies and logs it) and
 * for `sageshim doctor` (which prints it).
 *
 * Inputs: the parsed original image, the target architectures, the devices'
 * compute capabilities, CUDA_FORCE_PTX_JIT, and the bundles.  Two steps:
 *
 * 1. Entry redirect (only for modules the `modules` globs watch): for each
 *    target arch some device has, the entry that device would run in the
 *    original is compared (ABI) with the entry it would run in each bundle
 *    container; the container passing the most archs wins (files made for
 *    this module first), its entries replace the original's for those archs
 *    through ss_merge, and the merged image is checked to run exactly the
 *    intended entry on every device.
 * 2. Hotfix (modules matching `hotfix_modules` and a MANIFEST hotfix line's
 *    globs): for each kernel of the entry each device will run after step 1,
 *    the same-named kernel of the hotfix fatbin's entry for that device is
 *    used when its parameters are identical and its launch limits admit every
 *    launch the original admits.  A kernel is hot-fixed only when that holds
 *    on every device of the process (one handle serves them all).
 *
 * ss_plan_lines renders a plan as the log lines the shim writes; doctor
 * prints the same lines. */
#ifndef SAGESHIM_PLAN_H
#define SAGESHIM_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "reader/abi.h"
#include "bundle.h"
#include "config/config.h"
#include "reader/image.h"

#define SS_PLAN_MAX_DEVICES 16
#define SS_PLAN_MAX_HOTFIX_BUNDLES 4
#define SS_PLAN_REASON_MAX 512

/* Where the bundles come from.  Called only when the plan needs them, so a
 * load that is decided earlier (no device of the target archs) never opens
 * a bundle. */
struct ss_plan_sources {
    /* The bundle whose `fatbin` lines redirect entries; NULL with why. */
    const struct ss_bundle *(*bundle)(void *ctx, char *why, size_t len);
    /* Bundles whose `hotfix` lines apply, first one first; returns how many. */
    size_t (*hotfix_bundles)(void *ctx, const struct ss_bundle **out, size_t max);
    void *ctx;
};

struct ss_plan_input {
    const char *module;          /* basename of the owning object, for the lines */
    const char *api;             /* driver function, for the lines */
    const char *path;            /* the owning object's path (hotfix globs) */
    const struct ss_image *image; /* the parsed original; NULL when it did not parse */
    const char *parse_error;     /* why it did not parse */
    int redirect;                /* step 1 wanted: the module is watched */
    int hotfix;                  /* step 2 wanted: hotfix on, hotfix_modules matches */
    const unsigned *archs;       /* target archs (SM numbers) */
    size_t narchs;
    const unsigned *devices;     /* compute capabilities, 90 for 9.0 */
    size_t ndevices;
    const char *devices_error;   /* why the devices are unknown, or NULL */
    int force_ptx;               /* CUDA_FORCE_PTX_JIT=1 */
    int dry_run;
    struct ss_plan_sources sources;
};

enum ss_plan_entry {
    SS_PLAN_NOT_WATCHED,         /* step 1 not asked for */
    SS_PLAN_KEEP,                /* the original's entries stay */
    SS_PLAN_REPLACE,             /* `merged` replaces the original */
};

/* Step 1, per target arch some device has. */
struct ss_plan_arch {
    unsigned sm;
    int orig_entry;              /* -1: the original has no entry for it */
    int replaced;                /* the chosen container passed on this arch */
    int bundle_entry;            /* its entry, when replaced */
    struct ss_abi_report report; /* the chosen container's verdicts (empty if none) */
};

/* Step 2, per kernel the hotfix names. */
struct ss_plan_kernel {
    char *name;
    int hotfixed;
    char reason[256];            /* why not: "sm_90: param 2 size 4 != 8" */
};

struct ss_plan {
    enum ss_plan_entry entry;
    int refused;                 /* KEEP because the bundle was refused (a problem) */
    int no_bundle;               /* KEEP because no bundle could be opened */
    char reason[SS_PLAN_REASON_MAX];  /* KEEP: why */
    char skipped[SS_PLAN_REASON_MAX]; /* REPLACE: archs left alone, and why */
    const struct ss_bundle *bundle;
    const struct ss_bundle_file *file;        /* the chosen bundle file */
    const struct ss_container *container;     /* and container */
    size_t narchs;
    struct ss_plan_arch archs[SS_MAX_ARCHS];
    int other_entries;           /* REPLACE: original entries kept for other archs */
    uint8_t *merged;             /* REPLACE: what the driver gets (owned) */
    size_t merged_len;

    int hotfix_considered;       /* step 2 asked for and a hotfix line matched */
    char hotfix_reason[SS_PLAN_REASON_MAX]; /* no kernel hot-fixed at all: why */
    const struct ss_bundle *hotfix_bundle;
    const struct ss_bundle_file *hotfix_file;
    unsigned hotfix_archs[SS_PLAN_MAX_DEVICES]; /* distinct device archs */
    size_t nhotfix_archs;
    size_t nkernels;
    struct ss_plan_kernel *kernels;
    size_t nhotfixed;

    /* Copies of the input's words, so the plan renders on its own. */
    char module[256];
    char api[48];
    int dry_run;
};

/* Decide.  Never fails: every problem becomes a KEEP with its reason. */
void ss_plan_redirect(const struct ss_plan_input *in, struct ss_plan *plan);
void ss_plan_free(struct ss_plan *plan);

/* Is `name` among the plan's hot-fixed kernels? */
int ss_plan_hotfixes(const struct ss_plan *plan, const char *name);

/* What a line of the plan says (the shim logs them at different levels). */
enum ss_plan_line {
    SS_PLAN_LINE_NOTE,           /* an arch left alone, an ABI warning */
    SS_PLAN_LINE_ENTRY,          /* step 1: redirect / would redirect / keep original */
    SS_PLAN_LINE_HOTFIX,         /* step 2 */
};

/* Render the plan: one call of `line` per log line, in order.  Returns the
 * number of lines. */
size_t ss_plan_lines(const struct ss_plan *plan,
                     void (*line)(void *ctx, enum ss_plan_line kind, const char *text),
                     void *ctx);

/* The bundle directory when `bundle` is empty: <libdir>/../share/sageshim/kernels
 * (libdir "" or NULL: "."). */
void ss_default_bundle_dir(const char *libdir, char *out, size_t len);

/* Open the bundle at `dir` as the shim does for plans: 0 when it has usable
 * fatbin or hotfix files, else -1 (bundle closed) with why: "no bundle at
 * DIR" (no MANIFEST at all: *missing set, the normal case of an install
 * without a bundle), "no bundle at DIR (...)" or "no usable fatbin in the
 * bundle at DIR".  trust as in ss_bundle_open_trusted; missing may be NULL. */
struct ss_trust;
int ss_plan_open_bundle(const char *dir, struct ss_bundle *b, const struct ss_trust *trust,
                        ss_diag_fn diag, void *ctx, char *why, size_t len, int *missing);
/* The same, for a caller that also shows the bundle as read (doctor reads
 * each bundle once for both): returns 1 with why when the MANIFEST was read
 * but no file is usable, and then leaves b open for the caller to close; -1
 * with why, and err when not NULL, when it was not read. */
int ss_plan_read_bundle(const char *dir, struct ss_bundle *b, const struct ss_trust *trust,
                        ss_diag_fn diag, void *ctx, char *why, size_t len, int *missing,
                        struct ss_error *err);

/* hotfix_match.c: does a MANIFEST hotfix line apply to the module at
 * `path` (its modules= globs match the path; path NULL: no)? */
int ss_hotfix_line_applies(const struct ss_manifest_item *item, const char *path);
/* The first usable hotfix file of bundles[0..n) whose line applies to
 * `path`, and (which) its bundle; NULL when none does. */
const struct ss_bundle_file *ss_hotfix_for(const struct ss_bundle *const *bundles, size_t n,
                                           const char *path, const struct ss_bundle **which);
/* The configuration asks for hotfixes of the module at `path`: hotfix on
 * and hotfix_modules matches (a line must still apply). */
int ss_hotfix_wanted(const struct ss_config *cfg, const char *path);

/* Internal to the plan files: step 2 (plan_hotfix.c). */
void ss_plan_hotfix(const struct ss_plan_input *in, struct ss_plan *plan);

#endif
