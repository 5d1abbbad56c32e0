/* exports.c: the cu* symbols this library exports, for programs and
 * extensions linked with -lcuda (SageAttention's _qattn_sm90 is one): an
 * LD_PRELOAD library's definitions come before libcuda's, so these names bind
 * here.  Each forwards to the wrapper of the same function.
 *
 * cuda.h renames cuGetProcAddress to cuGetProcAddress_v2 with a macro; the
 * driver exports both (4 and 5 arguments), so the macro is undone here and
 * every exported definition spells out its own ABI.  The list must match
 * exports.map; module.mk checks the built library against it. */
#include "interpose.h"

#undef cuGetProcAddress
#undef cuLaunchKernel
#undef cuLaunchKernelEx

#pragma GCC visibility push(default)

CUresult cuGetProcAddress(const char *symbol, void **pfn, int version, cuuint64_t flags);

CUresult cuLibraryLoadData(CUlibrary *library, const void *code, CUjit_option *jit_options,
                           void **jit_values, unsigned njit, CUlibraryOption *lib_options,
                           void **lib_values, unsigned nlib)
{
    return shim_wrap_cuLibraryLoadData(library, code, jit_options, jit_values, njit,
                                       lib_options, lib_values, nlib);
}

CUresult cuLibraryLoadFromFile(CUlibrary *library, const char *path,
                               CUjit_option *jit_options, void **jit_values, unsigned njit,
                               CUlibraryOption *lib_options, void **lib_values, unsigned nlib)
{
    return shim_wrap_cuLibraryLoadFromFile(library, path, jit_options, jit_values, njit,
                                           lib_options, lib_values, nlib);
}

CUresult cuLibraryUnload(CUlibrary library)
{
    return shim_wrap_cuLibraryUnload(library);
}

CUresult cuLibraryGetKernel(CUkernel *kernel, CUlibrary library, const char *name)
{
    return shim_wrap_cuLibraryGetKernel(kernel, library, name);
}

CUresult cuKernelGetFunction(CUfunction *function, CUkernel kernel)
{
    return shim_wrap_cuKernelGetFunction(function, kernel);
}

/* Exported for hotfixes: a -lcuda caller that finds kernels through the
 * library's module or by enumeration must get the hot-fixed ones too. */
CUresult cuLibraryGetModule(CUmodule *module, CUlibrary library)
{
    return shim_wrap_cuLibraryGetModule(module, library);
}

CUresult cuLibraryEnumerateKernels(CUkernel *kernels, unsigned count, CUlibrary library)
{
    return shim_wrap_cuLibraryEnumerateKernels(kernels, count, library);
}

CUresult cuModuleLoadData(CUmodule *module, const void *image)
{
    return shim_wrap_cuModuleLoadData(module, image);
}

CUresult cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned nopts,
                            CUjit_option *options, void **values)
{
    return shim_wrap_cuModuleLoadDataEx(module, image, nopts, options, values);
}

CUresult cuModuleLoadFatBinary(CUmodule *module, const void *fatbin)
{
    return shim_wrap_cuModuleLoadFatBinary(module, fatbin);
}

CUresult cuModuleLoad(CUmodule *module, const char *path)
{
    return shim_wrap_cuModuleLoad(module, path);
}

CUresult cuModuleUnload(CUmodule module)
{
    return shim_wrap_cuModuleUnload(module);
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule module, const char *name)
{
    return shim_wrap_cuModuleGetFunction(function, module, name);
}

/* Launches: outside diagnose mode straight to the driver (a tail call). */
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned smem, CUstream stream,
                        void **params, void **extra)
{
    if (shim_mode_is(SS_MODE_DIAGNOSE))
        return shim_wrap_cuLaunchKernel(f, gx, gy, gz, bx, by, bz, smem, stream, params,
                                        extra);
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLaunchKernel)
        return CUDA_ERROR_NOT_FOUND;
    return r->cuLaunchKernel(f, gx, gy, gz, bx, by, bz, smem, stream, params, extra);
}

CUresult cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f, void **params,
                          void **extra)
{
    if (shim_mode_is(SS_MODE_DIAGNOSE))
        return shim_wrap_cuLaunchKernelEx(config, f, params, extra);
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLaunchKernelEx)
        return CUDA_ERROR_NOT_FOUND;
    return r->cuLaunchKernelEx(config, f, params, extra);
}

CUresult cuGetProcAddress(const char *symbol, void **pfn, int version, cuuint64_t flags)
{
    return shim_wrap_cuGetProcAddress(symbol, pfn, version, flags);
}

CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *status)
{
    return shim_wrap_cuGetProcAddress_v2(symbol, pfn, version, flags, status);
}

#pragma GCC visibility pop
