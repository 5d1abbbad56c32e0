/* real.c: the real driver entry points, resolved once from libcuda.so.1.
 *
 * No lock and no pthread_once: the table is first asked for from inside the
 * dlsym override, possibly while the loader lock is held by a dlopen in
 * another thread, and waiting there could deadlock.  Instead every thread that
 * finds no table builds one and tries to publish it with a compare-and-swap;
 * a thread that loses the race drops its copy and uses the winner's.  Building
 * twice costs a dlopen and a few dlsym calls, nothing more. */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "interpose.h"

static _Atomic(struct shim_real *) published;

static void *lookup(void *handle, const char *name)
{
    return shim_real_dlsym(handle, name);
}

/* Function pointers come back from dlsym as void *; POSIX guarantees the
 * conversion, the casts below only spell out each type. */
static void fill_table(struct shim_real *r, void *h)
{
    r->libcuda = h;
    r->cuGetProcAddress_v2 = (shim_cuGetProcAddress_v2_t)lookup(h, "cuGetProcAddress_v2");
    r->cuGetProcAddress = (shim_cuGetProcAddress_t)lookup(h, "cuGetProcAddress");
    r->cuLibraryLoadData = (shim_cuLibraryLoadData_t)lookup(h, "cuLibraryLoadData");
    r->cuLibraryLoadFromFile =
        (shim_cuLibraryLoadFromFile_t)lookup(h, "cuLibraryLoadFromFile");
    r->cuLibraryUnload = (shim_cuLibraryUnload_t)lookup(h, "cuLibraryUnload");
    r->cuLibraryGetKernel = (shim_cuLibraryGetKernel_t)lookup(h, "cuLibraryGetKernel");
    r->cuLibraryGetModule = (shim_cuLibraryGetModule_t)lookup(h, "cuLibraryGetModule");
    r->cuKernelGetFunction = (shim_cuKernelGetFunction_t)lookup(h, "cuKernelGetFunction");
    r->cuLibraryEnumerateKernels =
        (shim_cuLibraryEnumerateKernels_t)lookup(h, "cuLibraryEnumerateKernels");
    r->cuKernelGetName = (shim_cuKernelGetName_t)lookup(h, "cuKernelGetName");
    r->cuModuleLoadData = (shim_cuModuleLoadData_t)lookup(h, "cuModuleLoadData");
    r->cuModuleLoadDataEx = (shim_cuModuleLoadDataEx_t)lookup(h, "cuModuleLoadDataEx");
    r->cuModuleLoadFatBinary =
        (shim_cuModuleLoadFatBinary_t)lookup(h, "cuModuleLoadFatBinary");
    r->cuModuleLoad = (shim_cuModuleLoad_t)lookup(h, "cuModuleLoad");
    r->cuModuleUnload = (shim_cuModuleUnload_t)lookup(h, "cuModuleUnload");
    r->cuModuleGetFunction = (shim_cuModuleGetFunction_t)lookup(h, "cuModuleGetFunction");
    r->cuLaunchKernel = (shim_cuLaunchKernel_t)lookup(h, "cuLaunchKernel");
    r->cuLaunchKernel_ptsz = (shim_cuLaunchKernel_t)lookup(h, "cuLaunchKernel_ptsz");
    r->cuLaunchKernelEx = (shim_cuLaunchKernelEx_t)lookup(h, "cuLaunchKernelEx");
    r->cuLaunchKernelEx_ptsz = (shim_cuLaunchKernelEx_t)lookup(h, "cuLaunchKernelEx_ptsz");
    r->cuDeviceGetCount = (shim_cuDeviceGetCount_t)lookup(h, "cuDeviceGetCount");
    r->cuDeviceGet = (shim_cuDeviceGet_t)lookup(h, "cuDeviceGet");
    r->cuDeviceGetAttribute =
        (shim_cuDeviceGetAttribute_t)lookup(h, "cuDeviceGetAttribute");
    r->cuCtxGetDevice = (shim_cuCtxGetDevice_t)lookup(h, "cuCtxGetDevice");
    r->cuInit = (shim_cuInit_t)lookup(h, "cuInit");
}

const struct shim_real *shim_real(void)
{
    struct shim_real *table = atomic_load_explicit(&published, memory_order_acquire);
    if (table)
        return table;   /* its publisher announced (below): nothing added per call */

    /* RTLD_NOLOAD first: the process normally has the driver loaded already,
     * and we should not be the ones to load it into a process that has not. */
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    if (!h)
        h = dlopen("libcuda.so.1", RTLD_NOW);
    if (!h)
        return NULL;   /* not cached: a later call may find the driver */

    struct shim_real *mine = calloc(1, sizeof *mine);
    if (!mine) {
        dlclose(h);
        return NULL;
    }
    fill_table(mine, h);

    struct shim_real *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&published, &expected, mine,
                                                memory_order_acq_rel,
                                                memory_order_acquire)) {
        shim_announce();   /* driver entry points are in use: the shim may speak */
        return mine;
    }
    dlclose(h);
    free(mine);
    shim_announce();
    return expected;
}
