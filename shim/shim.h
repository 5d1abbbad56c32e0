/* shim.h: the preload library's internal map.  Files by API family:
 *
 *   dlsym.c     the dlsym override (real dlsym found without recursion) and
 *               routing of "cu*" / "PyInit_*" lookups
 *   procaddr.c  cuGetProcAddress / cuGetProcAddress_v2: real pointers for all,
 *               wrappers for the functions below (per name, version, flags)
 *   real.c      the real driver entry points, resolved once from libcuda.so.1
 *   exports.c   the exported cu* symbols (programs linked with -lcuda)
 *   loads.c     wrappers of the module/library load and unload calls
 *   kernels.c   wrappers of the get-kernel/get-function calls
 *   launch.c    launch wrappers (handed out in diagnose mode only)
 *   state.c     one-time start-up: config, log, mode; fork handling
 *   log.c       "sageshim[pid]: ..." lines to stderr or the log file
 *   decide.c    per image: watched?  which bundle container?  ABI?  merge
 *   devices.c   compute capabilities of the process's devices
 *   registry.c  handles -> module records, kernel names, launch counts
 *   summary.c   the diagnose-mode summary printed at exit
 *   repair.c    the PyInit_ wrapper that restores SageAttention's sm90 op
 *
 * Policy (state/decide/registry/summary) never calls the driver except through
 * `shim_real`; interposition (dlsym/procaddr/exports/loads/kernels/launch) never
 * decides anything itself. */
#ifndef SAGESHIM_SHIM_H
#define SAGESHIM_SHIM_H

#include <cuda.h>
/* cuda.h renames cuGetProcAddress to cuGetProcAddress_v2; the driver exports
 * both, and struct shim_real below holds both, so the name means itself here. */
#undef cuGetProcAddress
#include <stddef.h>

#include "config.h"

/* ---- real.c: the real driver ------------------------------------------- */

/* Function types written out here (not taken from cuda.h's macro-renamed
 * prototypes) so each one names exactly the ABI it has. */
typedef CUresult (*shim_cuGetProcAddress_v2_t)(const char *, void **, int, cuuint64_t,
                                                CUdriverProcAddressQueryResult *);
typedef CUresult (*shim_cuGetProcAddress_t)(const char *, void **, int, cuuint64_t);
typedef CUresult (*shim_cuLibraryLoadData_t)(CUlibrary *, const void *, CUjit_option *,
                                              void **, unsigned, CUlibraryOption *, void **,
                                              unsigned);
typedef CUresult (*shim_cuLibraryLoadFromFile_t)(CUlibrary *, const char *, CUjit_option *,
                                                  void **, unsigned, CUlibraryOption *,
                                                  void **, unsigned);
typedef CUresult (*shim_cuLibraryUnload_t)(CUlibrary);
typedef CUresult (*shim_cuLibraryGetKernel_t)(CUkernel *, CUlibrary, const char *);
typedef CUresult (*shim_cuLibraryGetModule_t)(CUmodule *, CUlibrary);
typedef CUresult (*shim_cuKernelGetFunction_t)(CUfunction *, CUkernel);
typedef CUresult (*shim_cuLibraryEnumerateKernels_t)(CUkernel *, unsigned, CUlibrary);
typedef CUresult (*shim_cuKernelGetName_t)(const char **, CUkernel);
typedef CUresult (*shim_cuModuleLoadData_t)(CUmodule *, const void *);
typedef CUresult (*shim_cuModuleLoadDataEx_t)(CUmodule *, const void *, unsigned,
                                               CUjit_option *, void **);
typedef CUresult (*shim_cuModuleLoadFatBinary_t)(CUmodule *, const void *);
typedef CUresult (*shim_cuModuleLoad_t)(CUmodule *, const char *);
typedef CUresult (*shim_cuModuleUnload_t)(CUmodule);
typedef CUresult (*shim_cuModuleGetFunction_t)(CUfunction *, CUmodule, const char *);
typedef CUresult (*shim_cuLaunchKernel_t)(CUfunction, unsigned, unsigned, unsigned,
                                           unsigned, unsigned, unsigned, unsigned,
                                           CUstream, void **, void **);
typedef CUresult (*shim_cuLaunchKernelEx_t)(const CUlaunchConfig *, CUfunction, void **,
                                             void **);
typedef CUresult (*shim_cuDeviceGetCount_t)(int *);
typedef CUresult (*shim_cuDeviceGet_t)(CUdevice *, int);
typedef CUresult (*shim_cuDeviceGetAttribute_t)(int *, CUdevice_attribute, CUdevice);
typedef CUresult (*shim_cuCtxGetDevice_t)(CUdevice *);
typedef CUresult (*shim_cuInit_t)(unsigned);

struct shim_real {
    void *libcuda;                                   /* dlopen handle */
    shim_cuGetProcAddress_v2_t cuGetProcAddress_v2;
    shim_cuGetProcAddress_t cuGetProcAddress;
    shim_cuLibraryLoadData_t cuLibraryLoadData;
    shim_cuLibraryLoadFromFile_t cuLibraryLoadFromFile;
    shim_cuLibraryUnload_t cuLibraryUnload;
    shim_cuLibraryGetKernel_t cuLibraryGetKernel;
    shim_cuLibraryGetModule_t cuLibraryGetModule;
    shim_cuKernelGetFunction_t cuKernelGetFunction;
    shim_cuLibraryEnumerateKernels_t cuLibraryEnumerateKernels;
    shim_cuKernelGetName_t cuKernelGetName;
    shim_cuModuleLoadData_t cuModuleLoadData;
    shim_cuModuleLoadDataEx_t cuModuleLoadDataEx;
    shim_cuModuleLoadFatBinary_t cuModuleLoadFatBinary;
    shim_cuModuleLoad_t cuModuleLoad;
    shim_cuModuleUnload_t cuModuleUnload;
    shim_cuModuleGetFunction_t cuModuleGetFunction;
    shim_cuLaunchKernel_t cuLaunchKernel;
    shim_cuLaunchKernel_t cuLaunchKernel_ptsz;
    shim_cuLaunchKernelEx_t cuLaunchKernelEx;
    shim_cuLaunchKernelEx_t cuLaunchKernelEx_ptsz;
    shim_cuDeviceGetCount_t cuDeviceGetCount;
    shim_cuDeviceGet_t cuDeviceGet;
    shim_cuDeviceGetAttribute_t cuDeviceGetAttribute;
    shim_cuCtxGetDevice_t cuCtxGetDevice;
    shim_cuInit_t cuInit;
};

/* Resolve the table once (thread-safe, no recursion through our dlsym).
 * Returns NULL when libcuda.so.1 cannot be opened. */
const struct shim_real *shim_real(void);

/* glibc's dlsym, never ours. */
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
/* Whether a line of `level` would be written at all. */
int shim_log_enabled(enum ss_log_level level);

/* Counters the log and bench read ("images seen / parsed"). */
void shim_count_image_seen(int watched);

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

/* A kernel/function handle was obtained by name from a library/module. */
void shim_kernel_named(void *owner, int owner_is_library, const char *name, void *handle);
/* cuKernelGetFunction / cuLibraryGetModule: one handle is another's alias. */
void shim_handle_alias(void *handle, void *same_as);

/* Diagnose mode: one launch of `f` finished with `result`. */
struct shim_launch_info {
    void *function;
    unsigned grid[3], block[3];
    unsigned shared_bytes;
    int cluster[3];          /* 0,0,0 when not a cluster launch */
    int result;              /* CUresult */
};
void shim_launch_seen(const struct shim_launch_info *launch);

/* ---- launchline.c: the diagnose line of a launch ------------------------- */

/* Writes the line for `launch` of kernel `name` on device `dev` into buf
 * (cut to cap - 1 bytes, always terminated); returns its length. */
size_t shim_format_launch(char *buf, size_t cap, const struct shim_launch_info *launch, int dev,
                          const char *name, int redirected);
/* Writes v in decimal to out (at most 20 bytes, no terminator); returns
 * how many bytes.  The log prefix uses it too. */
size_t shim_put_decimal(char *out, unsigned long long v);

/* ---- repair.c ------------------------------------------------------------- */

/* dlsym(handle, "PyInit_<name>") was answered with `real`: return the
 * function to give the caller (a wrapper for watched extension modules). */
void *shim_repair_wrap_init(void *handle, const char *symbol, void *real);

#endif
