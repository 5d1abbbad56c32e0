/* policy.h: what the policy files (state, log, decide, devices, registry,
 * summary) share with each other.  Interposition files use shim.h only. */
#ifndef SAGESHIM_POLICY_H
#define SAGESHIM_POLICY_H

#include <stddef.h>

#include "plan/bundle.h"
#include "shim.h"

/* ---- state.c ---------------------------------------------------------------- */

/* Directory holding the shim's .so ("" when unknown). */
const char *shim_libdir(void);
/* The bundle directory in use: cfg->bundle, or <libdir>/../share/sageshim/kernels. */
const char *shim_bundle_dir(void);
/* The bundle, opened on the first call (later calls reuse the result).
 * NULL with `why` filled ("no bundle at /x (...)") when unusable. */
const struct ss_bundle *shim_bundle(char *why, size_t len);
/* 1 when there is no bundle at all (no MANIFEST): not an error. */
int shim_bundle_missing(void);

/* ---- log.c ------------------------------------------------------------------ */

/* Open cfg->log (when it is a path) for the lines that follow. */
void shim_log_open(const struct ss_config *cfg);
/* A line for the log and, when the log is a file, for stderr too (config
 * problems: whoever starts the program must see them). */
void shim_log_console_too(enum ss_log_level level, const char *text);

/* ---- devices.c -------------------------------------------------------------- */

#define SHIM_MAX_DEVICES 16

struct shim_devices {
    int count;
    int cc[SHIM_MAX_DEVICES];   /* major * 10 + minor: 89, 90, 120 */
};

/* The process's devices, asked from the driver once (cached after the first
 * success).  Returns 0, or -1 with `why` filled. */
int shim_devices(struct shim_devices *out, char *why, size_t len);
/* The cached list only, never calling the driver (for exit time).  0 or -1. */
int shim_devices_cached(struct shim_devices *out);
/* "8.9,9.0" */
void shim_devices_format(const struct shim_devices *d, char *buf, size_t len);

/* ---- registry.c ------------------------------------------------------------- */

/* A watched or observed image loaded as `handle` (diagnose mode). */
struct shim_load_note {
    const char *module;         /* basename of the owning object */
    int observed;               /* 1: observe glob only; 0: watched */
    int redirected;             /* the driver got the bundle's code */
    const char *outcome;        /* the decision's log line */
};
void shim_registry_loaded(void *handle, const struct shim_load_note *note);
void shim_registry_unloaded(void *handle);

struct shim_module_stats {
    char name[256];
    int observed;
    unsigned loads, redirected_loads;
    char outcome[512];          /* the latest decision's line */
};
struct shim_kernel_stats {
    char *name;
    char *shown;                /* name, escaped once for the launch line (printable.h) */
    int module;                 /* index into the module array */
    int redirected;
    int hotfixed;               /* the hotfix image's kernel (hotfix.c) */
    int fused;                  /* a known _fused kernel (lib/plan/fused.h) */
    unsigned long launches[SHIM_MAX_DEVICES];
    unsigned long failed;
    unsigned long past_32bit;   /* launches whose 32-bit offsets would wrap */
};
/* Call fn with the registry's tables (under its lock). */
void shim_registry_walk(void (*fn)(void *ctx, const struct shim_module_stats *modules,
                                   size_t nmodules, const struct shim_kernel_stats *kernels,
                                   size_t nkernels),
                        void *ctx);
/* Images seen by the load wrappers: all of them, and those parsed. */
void shim_images_seen(unsigned long *total, unsigned long *watched);

/* ---- hotfix.c ------------------------------------------------------------------ */

struct ss_plan;
/* After a successful load whose plan hot-fixes kernels: load the hotfix
 * image beside `owner` (same API family) and remember which kernels it
 * replaces.  Nothing for dry runs. */
void shim_hotfix_attach(void *owner, int is_library, const struct ss_plan *plan);
/* The original was unloaded: unload its hotfix image. */
void shim_hotfix_detach(void *owner);

/* ---- state.c: bundles with hotfix lines ----------------------------------------- */

/* The configured bundle and the installed default one (when another
 * directory), opened on first use, those that have hotfix lines. */
size_t shim_hotfix_bundles(const struct ss_bundle **out, size_t max);

/* Fork: each file that holds a lock or a cache registers its own
 * pthread_atfork handler for the child (its constructor). */

#endif
