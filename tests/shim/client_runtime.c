/* client_runtime.c: obtains the driver the way the CUDA runtime does -
 * dlopen("libcuda.so.1"), dlsym(handle, "cuGetProcAddress_v2"), then every
 * function through cuGetProcAddress - and launches through the per-thread
 * default stream variants (flags = 2), which the runtime also asks for.
 *
 * Before the sequence of client_common.h it checks what the runtime relies
 * on: "cuGetProcAddress" answers at version 12000 (5 arguments) and 11030
 * (4 arguments, used here for cuInit), a request below a function's first
 * version fails with VERSION_NOT_SUFFICIENT, and the per-thread launch is a
 * different function from the legacy one. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_common.h"

typedef CUresult (*getproc_v2_fn)(const char *, void **, int, cuuint64_t,
                                  CUdriverProcAddressQueryResult *);
typedef CUresult (*getproc_fn)(const char *, void **, int, cuuint64_t);

#define VERSION 13000

static getproc_v2_fn getproc;

static void *get(const char *name, cuuint64_t flags)
{
    void *fn = NULL;
    CUdriverProcAddressQueryResult status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
    CUresult r = getproc(name, &fn, VERSION, flags, &status);
    if (r != CUDA_SUCCESS || status != CU_GET_PROC_ADDRESS_SUCCESS || !fn) {
        printf("FAIL cuGetProcAddress(%s) = %d status %d\n", name, (int)r, (int)status);
        return NULL;
    }
    return fn;
}

/* The checks listed at the top; 0 when all hold. */
static int check_versions(struct client_driver *d)
{
    void *fn = NULL;
    CUdriverProcAddressQueryResult status = CU_GET_PROC_ADDRESS_SUCCESS;
    CUresult r = getproc("cuGetProcAddress", &fn, 11030, 0, &status);
    if (r != CUDA_SUCCESS || !fn) {
        printf("FAIL cuGetProcAddress(cuGetProcAddress@11030) = %d\n", (int)r);
        return 1;
    }
    getproc_fn legacy = (getproc_fn)fn;
    r = legacy("cuInit", &fn, 2000, 0);
    if (r != CUDA_SUCCESS || !fn) {
        printf("FAIL legacy cuGetProcAddress(cuInit) = %d\n", (int)r);
        return 1;
    }
    d->init = (CUresult(*)(unsigned))fn;

    fn = (void *)1;
    r = getproc("cuLibraryLoadData", &fn, 11000, 0, &status);
    if (r == CUDA_SUCCESS || fn != NULL || status != CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT) {
        printf("FAIL cuGetProcAddress(cuLibraryLoadData@11000) = %d status %d\n", (int)r,
               (int)status);
        return 1;
    }
    void *plain = get("cuLaunchKernel", 0);
    void *per_thread = get("cuLaunchKernel", CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);
    if (!plain || !per_thread || plain == per_thread) {
        printf("FAIL cuGetProcAddress(cuLaunchKernel) per-thread variant = same as legacy\n");
        return 1;
    }
    return 0;
}

/* With CLIENT_REPORT_LAUNCH_OWNER set, say on stderr which object the launch
 * functions handed out live in: the driver itself, or the shim (a wrapper). */
static void report_launch_owner(void *libcuda, void *from_getproc)
{
    void *from_dlsym = dlsym(libcuda, "cuLaunchKernel");
    void *fns[2] = { from_getproc, from_dlsym };
    const char *how[2] = { "getproc", "dlsym" };
    for (int i = 0; i < 2; i++) {
        Dl_info info;
        const char *owner = "unknown";
        if (fns[i] && dladdr(fns[i], &info) && info.dli_fname) {
            const char *slash = strrchr(info.dli_fname, '/');
            owner = slash ? slash + 1 : info.dli_fname;
        }
        fprintf(stderr, "launch_owner %s=%s\n", how[i], owner);
    }
}

int main(int argc, char **argv)
{
    void *libcuda = dlopen("libcuda.so.1", RTLD_NOW);
    if (!libcuda) {
        printf("FAIL dlopen(libcuda.so.1) = %s\n", dlerror());
        return 1;
    }
    getproc_v2_fn first = (getproc_v2_fn)dlsym(libcuda, "cuGetProcAddress_v2");
    if (!first) {
        printf("FAIL dlsym(cuGetProcAddress_v2) = not found\n");
        return 1;
    }
    /* The runtime asks the function it found for itself, and uses that. */
    getproc = first;
    getproc = (getproc_v2_fn)get("cuGetProcAddress", 0);
    if (!getproc)
        return 1;

    struct client_driver d = {0};
    if (check_versions(&d))
        return 1;
    const cuuint64_t ptds = CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
    d.library_load_data = get("cuLibraryLoadData", 0);
    d.library_load_from_file = get("cuLibraryLoadFromFile", 0);
    d.library_unload = get("cuLibraryUnload", 0);
    d.library_get_kernel = get("cuLibraryGetKernel", 0);
    d.kernel_get_function = get("cuKernelGetFunction", 0);
    d.module_load_data = get("cuModuleLoadData", 0);
    d.module_load_data_ex = get("cuModuleLoadDataEx", 0);
    d.module_load_fat_binary = get("cuModuleLoadFatBinary", 0);
    d.module_load = get("cuModuleLoad", 0);
    d.module_unload = get("cuModuleUnload", 0);
    d.module_get_function = get("cuModuleGetFunction", 0);
    d.launch_kernel = get("cuLaunchKernel", ptds);
    d.launch_kernel_ex = get("cuLaunchKernelEx", ptds);
    d.library_get_module = get("cuLibraryGetModule", 0);
    d.library_get_kernel_count = get("cuLibraryGetKernelCount", 0);
    d.library_enumerate_kernels = get("cuLibraryEnumerateKernels", 0);
    d.kernel_get_name = get("cuKernelGetName", 0);
    if (getenv("CLIENT_REPORT_LAUNCH_OWNER"))
        report_launch_owner(libcuda, get("cuLaunchKernel", 0));
    return client_main(argc, argv, &d);
}
