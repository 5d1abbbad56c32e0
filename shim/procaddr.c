/* procaddr.c: cuGetProcAddress / cuGetProcAddress_v2, and the one place that
 * decides which wrapper stands in for a driver function.
 *
 * The driver is always asked first; its answer is then identified by pointer
 * identity with the real table (real.c).  That hands out the wrapper of
 * exactly the variant the driver chose for the (name, version, flags) asked
 * for - the _ptsz launch for a per-thread request, the 4-argument
 * cuGetProcAddress for version 11030 - and leaves everything we do not wrap,
 * and symbolStatus, as the driver set them. */
#include "interpose.h"

/* Launch wrappers cost a call per launch, so they are handed out only when
 * diagnose mode wants to count launches. */
static void *launch_wrapper_for(const struct shim_real *r, void *fn)
{
    if (!shim_mode_is(SS_MODE_DIAGNOSE))
        return fn;
    if (fn == (void *)r->cuLaunchKernel)
        return (void *)shim_wrap_cuLaunchKernel;
    if (fn == (void *)r->cuLaunchKernel_ptsz)
        return (void *)shim_wrap_cuLaunchKernel_ptsz;
    if (fn == (void *)r->cuLaunchKernelEx)
        return (void *)shim_wrap_cuLaunchKernelEx;
    if (fn == (void *)r->cuLaunchKernelEx_ptsz)
        return (void *)shim_wrap_cuLaunchKernelEx_ptsz;
    return fn;
}

void *shim_wrapper_for(void *fn)
{
    if (!fn || shim_mode_is(SS_MODE_OFF))
        return fn;
    const struct shim_real *r = shim_real();
    if (!r)
        return fn;
    if (fn == (void *)r->cuGetProcAddress_v2)
        return (void *)shim_wrap_cuGetProcAddress_v2;
    if (fn == (void *)r->cuGetProcAddress)
        return (void *)shim_wrap_cuGetProcAddress;
    if (fn == (void *)r->cuLibraryLoadData)
        return (void *)shim_wrap_cuLibraryLoadData;
    if (fn == (void *)r->cuLibraryLoadFromFile)
        return (void *)shim_wrap_cuLibraryLoadFromFile;
    if (fn == (void *)r->cuLibraryUnload)
        return (void *)shim_wrap_cuLibraryUnload;
    if (fn == (void *)r->cuLibraryGetKernel)
        return (void *)shim_wrap_cuLibraryGetKernel;
    if (fn == (void *)r->cuKernelGetFunction)
        return (void *)shim_wrap_cuKernelGetFunction;
    if (fn == (void *)r->cuLibraryGetModule)
        return (void *)shim_wrap_cuLibraryGetModule;
    if (fn == (void *)r->cuLibraryEnumerateKernels)
        return (void *)shim_wrap_cuLibraryEnumerateKernels;
    if (fn == (void *)r->cuModuleLoadData)
        return (void *)shim_wrap_cuModuleLoadData;
    if (fn == (void *)r->cuModuleLoadDataEx)
        return (void *)shim_wrap_cuModuleLoadDataEx;
    if (fn == (void *)r->cuModuleLoadFatBinary)
        return (void *)shim_wrap_cuModuleLoadFatBinary;
    if (fn == (void *)r->cuModuleLoad)
        return (void *)shim_wrap_cuModuleLoad;
    if (fn == (void *)r->cuModuleUnload)
        return (void *)shim_wrap_cuModuleUnload;
    if (fn == (void *)r->cuModuleGetFunction)
        return (void *)shim_wrap_cuModuleGetFunction;
    return launch_wrapper_for(r, fn);
}

/* log_level = debug: every request, so a runtime that reaches the driver
 * some other way can be seen. */
static void log_request(const char *symbol, int version, cuuint64_t flags, void *real,
                        void *given)
{
    shim_log(SS_LOG_DEBUG, "cuGetProcAddress %s version %d flags %llu: %s", symbol ? symbol : "",
             version, (unsigned long long)flags,
             !real ? "not found" : real == given ? "driver's own" : "wrapped");
}

CUresult shim_wrap_cuGetProcAddress_v2(const char *symbol, void **pfn, int version,
                                       cuuint64_t flags,
                                       CUdriverProcAddressQueryResult *status)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuGetProcAddress_v2)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuGetProcAddress_v2(symbol, pfn, version, flags, status);
    if (result == CUDA_SUCCESS && pfn) {
        void *real = *pfn;
        *pfn = shim_wrapper_for(real);
        log_request(symbol, version, flags, real, *pfn);
    }
    return result;
}

CUresult shim_wrap_cuGetProcAddress(const char *symbol, void **pfn, int version,
                                    cuuint64_t flags)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuGetProcAddress)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuGetProcAddress(symbol, pfn, version, flags);
    if (result == CUDA_SUCCESS && pfn) {
        void *real = *pfn;
        *pfn = shim_wrapper_for(real);
        log_request(symbol, version, flags, real, *pfn);
    }
    return result;
}
