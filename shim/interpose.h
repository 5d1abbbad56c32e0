/* interpose.h: what the interposition files (dlsym.c, procaddr.c, exports.c,
 * loads.c, kernels.c, launch.c, real.c) share among themselves.  Policy files
 * never include it.
 *
 * Every wrapper below has exactly the ABI of the driver function it stands
 * for; the `_ptsz` ones call the per-thread-default-stream variant.  They are
 * handed out by shim_wrapper_for() (dlsym, cuGetProcAddress) and called by the
 * exported symbols of exports.c.
 *
 * No file here holds a lock (real.c and dlsym.c publish their one-time
 * results with atomics), so a child after fork has nothing to reset here. */
#ifndef SAGESHIM_INTERPOSE_H
#define SAGESHIM_INTERPOSE_H

#include "shim.h"

/* The wrapper standing in for `real_fn`, a pointer the driver handed out
 * (identified by comparing it with the real table), or `real_fn` itself when
 * it is not one of the wrapped functions, when the mode is off, or (launches)
 * when the mode is not diagnose. */
void *shim_wrapper_for(void *real_fn);

/* loads.c */
CUresult shim_wrap_cuLibraryLoadData(CUlibrary *library, const void *code,
                                     CUjit_option *jit_options, void **jit_values,
                                     unsigned njit, CUlibraryOption *lib_options,
                                     void **lib_values, unsigned nlib);
CUresult shim_wrap_cuLibraryLoadFromFile(CUlibrary *library, const char *path,
                                         CUjit_option *jit_options, void **jit_values,
                                         unsigned njit, CUlibraryOption *lib_options,
                                         void **lib_values, unsigned nlib);
CUresult shim_wrap_cuLibraryUnload(CUlibrary library);
CUresult shim_wrap_cuModuleLoadData(CUmodule *module, const void *image);
CUresult shim_wrap_cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned nopts,
                                      CUjit_option *options, void **values);
CUresult shim_wrap_cuModuleLoadFatBinary(CUmodule *module, const void *fatbin);
CUresult shim_wrap_cuModuleLoad(CUmodule *module, const char *path);
CUresult shim_wrap_cuModuleUnload(CUmodule module);

/* kernels.c */
CUresult shim_wrap_cuLibraryGetKernel(CUkernel *kernel, CUlibrary library, const char *name);
CUresult shim_wrap_cuKernelGetFunction(CUfunction *function, CUkernel kernel);
CUresult shim_wrap_cuLibraryGetModule(CUmodule *module, CUlibrary library);
CUresult shim_wrap_cuLibraryEnumerateKernels(CUkernel *kernels, unsigned count,
                                             CUlibrary library);
CUresult shim_wrap_cuModuleGetFunction(CUfunction *function, CUmodule module,
                                       const char *name);

/* launch.c (diagnose mode: call the real launch, then shim_launch_seen) */
CUresult shim_wrap_cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                  unsigned bx, unsigned by, unsigned bz, unsigned smem,
                                  CUstream stream, void **params, void **extra);
CUresult shim_wrap_cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                       unsigned bx, unsigned by, unsigned bz, unsigned smem,
                                       CUstream stream, void **params, void **extra);
CUresult shim_wrap_cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f,
                                    void **params, void **extra);
CUresult shim_wrap_cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f,
                                         void **params, void **extra);

/* procaddr.c */
CUresult shim_wrap_cuGetProcAddress(const char *symbol, void **pfn, int version,
                                    cuuint64_t flags);
CUresult shim_wrap_cuGetProcAddress_v2(const char *symbol, void **pfn, int version,
                                       cuuint64_t flags,
                                       CUdriverProcAddressQueryResult *status);

#endif
