/* interpose.h: what the interposition files (dlsym.c, procaddr.c, exports.c,
 * loads.c, kernels.c, launch.c) share among themselves, and the part of
 * real.c only they need.  Policy files never include it.
 *
 * Every wrapper shim_wrap_<name> has exactly the ABI of the driver function
 * it stands for (hooks.def); the `_ptsz` ones call the
 * per-thread-default-stream variant.  They are handed out by
 * shim_wrapper_for() (dlsym, cuGetProcAddress) and called by the exported
 * symbols of exports.c.
 *
 * No file here holds a lock (real.c and dlsym.c publish their one-time
 * results with atomics), so a child after fork has nothing to reset here. */
#ifndef SAGESHIM_INTERPOSE_H
#define SAGESHIM_INTERPOSE_H

#include "shim.h"

/* ---- real.c ------------------------------------------------------------------ */

typedef void *(*shim_dlsym_fn)(void *, const char *);

/* The dlsym the override forwards to (the next preloaded interposer's, or
 * glibc's), found on first use without recursion; NULL while it cannot be
 * found yet (re-entered from a malloc hook inside the lookup). */
shim_dlsym_fn shim_next_dlsym(void);

/* ---- procaddr.c -------------------------------------------------------------- */

/* The `handed_out` column of hooks.def. */
enum shim_handed_out { SHIM_NEVER, SHIM_ACTIVE, SHIM_DIAGNOSE };

/* Whether a wrapper marked `when` is handed out in the current mode. */
int shim_hands_out(enum shim_handed_out when);

/* The wrapper standing in for `real_fn`, a pointer the driver handed out
 * (identified by comparing it with the real table), or `real_fn` itself when
 * it is not one of the wrapped functions or its wrapper is not handed out in
 * the current mode. */
void *shim_wrapper_for(void *real_fn);

/* ---- the wrappers: loads.c, kernels.c, launch.c, procaddr.c -------------------- */

/* One declaration per entry of hooks.def that has a wrapper. */
#define SHIM_CALL(name, handed_out, exported, params, args) \
    SHIM_WRAPPER_DECLARATION_##handed_out(name, params)
#define SHIM_WRAPPER_DECLARATION_NEVER(name, params)
#define SHIM_WRAPPER_DECLARATION_ACTIVE(name, params) CUresult shim_wrap_##name params;
#define SHIM_WRAPPER_DECLARATION_DIAGNOSE(name, params) CUresult shim_wrap_##name params;
#include "hooks.def"
#undef SHIM_CALL
#undef SHIM_WRAPPER_DECLARATION_NEVER
#undef SHIM_WRAPPER_DECLARATION_ACTIVE
#undef SHIM_WRAPPER_DECLARATION_DIAGNOSE

#endif
