/* shim.h: the preload library's internal map.
 *
 * Four layers.  A file calls functions of its own layer or of a lower one,
 * never of a higher one, and no two files call each other (directly or
 * through others).  shim/check-layers.sh checks this on the built objects in
 * `make check`, reading the table below: keep one line per file there, as
 * " *   <layer> <file>  <what it does>".
 *
 * 4 interposition: the entry points the process calls.  They hand each event
 *   down and decide nothing beyond "is the shim on, which mode hands this
 *   wrapper out" (hooks.def's columns).
 *   4 dlsym.c          the dlsym override: routes the cu* names of hooks.def
 *                      and PyInit_* lookups, forwards the rest as a tail call
 *   4 procaddr.c       cuGetProcAddress(_v2), and the table that maps a driver
 *                      pointer to its wrapper (hooks.def)
 *   4 exports.c        the exported cu* symbols (programs linked with -lcuda)
 *   4 loads.c          wrappers of the module/library load and unload calls
 *   4 kernels.c        wrappers of the get-kernel/get-function calls
 *   4 launch.c         launch wrappers (handed out in diagnose mode only)
 *   4 repair.c         the PyInit_ wrapper of watched Python extension modules
 *                      (the one file here that decides more than the mode:
 *                      which extensions repair_modules names)
 *
 * 3 decision: what to do with an image, a kernel handle, a launch, a Python
 *   module, and what to report.
 *   3 decide.c         per image: watched?  which bundle container?  ABI?  merge
 *   3 registry.c       handles -> module records, kernel names, launch counts
 *   3 hotfix.c         hotfix images beside their originals; hot-fixed kernels
 *                      handed out at lookup (never per launch)
 *   3 summary.c        the diagnose-mode summary printed at exit
 *   3 repair_py.c      runs repair.py through the process's CPython
 *   3 repair_source.S  repair.py itself, embedded at build time
 *
 * 2 state and log: what is loaded once and kept, and the log.  The log gets
 *   its level when it is opened and never asks for the configuration.
 *   2 state.c          one-time start-up: config, bundle directory, bundle
 *   2 devices.c        compute capabilities of the process's devices (cached)
 *   2 log.c            "sageshim[pid]: ..." lines to stderr or the log file
 *   2 logfd.c          the log's descriptor: opened without blocking, checked
 *                      before each line, written without SIGPIPE (log.c only)
 *   2 launchline.c     the diagnose launch line and decimal formatting
 *   2 cuts.c           counts of calls the Python repair ran as pieces
 *
 * 1 real functions: the driver and the dynamic linker, never the shim.
 *   1 real.c           the next dlsym, and the driver's functions resolved
 *                      once from libcuda.so.1 (hooks.def)
 *
 * Every file that holds a lock or a cache registers its own pthread_atfork
 * handler for the child; none calls another file's.
 *
 * Headers: this one (every file), interpose.h (layer 4, and real.c's next
 * dlsym), policy.h (layers 3 and 2), repair.h (repair.c and repair_py.c).
 * hooks.def lists every driver function the shim calls or wraps. */
#ifndef SAGESHIM_SHIM_H
#define SAGESHIM_SHIM_H

#include <cuda.h>
/* cuda.h renames cuGetProcAddress to cuGetProcAddress_v2; the driver exports
 * both, and struct shim_real below holds both, so the name means itself here. */
#undef cuGetProcAddress
#include <stddef.h>

#include "config/config.h"

/* ---- real.c: the real driver ------------------------------------------- */

/* One function type per entry of hooks.def, shim_<name>_t, written out
 * there (not taken from cuda.h's macro-renamed prototypes) so each one names
 * exactly the ABI it has. */
#define SHIM_CALL(name, handed_out, exported, params, args) \
    typedef CUresult (*shim_##name##_t) params;
#include "hooks.def"
#undef SHIM_CALL

/* The driver's own functions, one field per entry of hooks.def (NULL where
 * this driver lacks one). */
struct shim_real {
    void *libcuda;                                   /* dlopen handle */
#define SHIM_CALL(name, handed_out, exported, params, args) shim_##name##_t name;
#include "hooks.def"
#undef SHIM_CALL
};

/* Resolve the table once (thread-safe, no recursion through our dlsym).
 * Returns NULL when libcuda.so.1 cannot be opened. */
const struct shim_real *shim_real(void);

/* The dlsym after ours (the next interposer's, or glibc's): never ours, so
 * lookups made by the shim itself are never wrapped. */
void *shim_real_dlsym(void *handle, const char *name);

/* ---- state.c / log.c ----------------------------------------------------- */

/* The configuration, loaded on first use (config file, environment). */
const struct ss_config *shim_config(void);
int shim_mode_is(enum ss_mode mode);
/* The process touched something the shim is for (a driver entry point
 * resolved, a CUDA image loaded, a watched Python module imported): write
 * the start-up line, once.  Until then the shim writes nothing. */
void shim_announce(void);

void shim_log(enum ss_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same for a message already formatted (len bytes, no newline). */
void shim_log_text(enum ss_log_level level, const char *text, size_t len);
/* The same for text the shim composed only of printable parts (no byte
 * from input that was not escaped already): written without escaping. */
void shim_log_printable_text(enum ss_log_level level, const char *text, size_t len);
/* Whether a line of `level` would be written at all. */
int shim_log_enabled(enum ss_log_level level);

/* Counters the log and bench read ("images seen / parsed"). */
void shim_count_image_seen(int watched);

/* ---- cuts.c: calls the repair ran as pieces (diagnose summary) ----------- */

enum shim_cut_kind {
    SHIM_CUT_BATCH_SPLIT,    /* _fused entry point, one batch element at a time */
    SHIM_CUT_ATTENTION,      /* an attention op or Triton attention, in pieces */
    SHIM_CUT_QUANTIZER,      /* a Triton Q/K quantizer launch, in pieces */
    SHIM_CUT_KINDS
};
/* One more cut call of the kind repair.py names ("attention", ...); -1 for
 * a name that is no kind. */
int shim_count_cut(const char *kind_name);
unsigned long shim_cut_count(enum shim_cut_kind kind);
const char *shim_cut_kind_name(enum shim_cut_kind kind);

/* ---- decide.c: what to load instead --------------------------------------- */

/* One load in progress.  Created by shim_load_begin, finished by
 * shim_load_end.  The substituted bytes live until shim_unload. */
struct shim_load;

/* Called by every load wrapper before the real call.  `api` is the driver
 * function's name for the log; `image` what the caller passed (NULL for the
 * file-based loads, where `path` is set).  Returns the load record (or NULL
 * when the image is not watched / mode off: then pass the original) and sets
 * *use to the image to hand to the driver. */
struct shim_load *shim_load_begin(const char *api, const void *image, const char *path,
                                  const void **use);

/* After the real call: ok = (result == CUDA_SUCCESS); handle = the CUlibrary
 * or CUmodule it returned.  Frees the record on failure. */
void shim_load_end(struct shim_load *load, int ok, void *handle, int is_library);

/* cuLibraryUnload / cuModuleUnload: release what belongs to the handle. */
void shim_unload(void *handle, int is_library);

/* ---- registry.c: names of kernels, launch counts (diagnose) ------------ */

/* A kernel/function handle was obtained by name from a library/module;
 * `hotfixed`: the handle is the hotfix image's (hotfix.c). */
void shim_kernel_named(void *owner, int owner_is_library, const char *name, void *handle,
                       int hotfixed);
/* cuKernelGetFunction / cuLibraryGetModule: one handle is another's alias. */
void shim_handle_alias(void *handle, void *same_as);

/* Diagnose mode: one launch of `f` finished with `result`. */
struct shim_launch_info {
    void *function;
    unsigned grid[3], block[3];
    unsigned shared_bytes;
    int cluster[3];          /* 0,0,0 when not a cluster launch */
    int result;              /* CUresult */
    void **params;           /* kernelParams as given, or NULL */
};
void shim_launch_seen(const struct shim_launch_info *launch);

/* ---- launchline.c: the diagnose line of a launch ------------------------- */

/* Writes the line for `launch` of kernel `name` on device `dev` into buf
 * (cut to cap - 1 bytes, always terminated); returns its length. */
size_t shim_format_launch(char *buf, size_t cap, const struct shim_launch_info *launch, int dev,
                          const char *name, int redirected, int hotfixed);
/* Writes v in decimal to out (at most 20 bytes, no terminator); returns
 * how many bytes.  The log prefix uses it too. */
size_t shim_put_decimal(char *out, unsigned long long v);

/* ---- hotfix.c: lookups of hot-fixed kernels --------------------------------- */

/* The handle to give for kernel `name` looked up in `owner` (a CUlibrary, a
 * CUmodule, or a library's CUmodule): the hotfix image's when the kernel is
 * hot-fixed there, else `original`.  want_kernel: a CUkernel is asked for
 * (cuLibraryGetKernel), else a CUfunction.  One atomic load when no hotfix
 * is loaded. */
void *shim_hotfix_lookup(void *owner, int want_kernel, const char *name, void *original);
/* cuLibraryGetModule: `view` is `library`'s module. */
void shim_hotfix_view(void *view, void *library);
/* Some hotfix image is loaded (enumeration must name kernels then: kernels.c
 * names each once and asks shim_hotfix_lookup). */
int shim_hotfix_active(void);

/* ---- repair.c ------------------------------------------------------------- */

/* dlsym(handle, "PyInit_<name>") was answered with `real`: return the
 * function to give the caller (a wrapper for watched extension modules). */
void *shim_repair_wrap_init(void *handle, const char *symbol, void *real);

#endif
