/* client_dlsym.c: looks driver functions up by name in the libcuda handle,
 * as PyTorch does for cuModuleLoadData, cuLaunchKernel, ... */
#include <dlfcn.h>
#include <stdio.h>

#include "client_common.h"

static void *libcuda;

static void *get(const char *name)
{
    void *fn = dlsym(libcuda, name);
    if (!fn)
        printf("FAIL dlsym(%s) = not found\n", name);
    return fn;
}

int main(int argc, char **argv)
{
    libcuda = dlopen("libcuda.so.1", RTLD_NOW);
    if (!libcuda) {
        printf("FAIL dlopen(libcuda.so.1) = %s\n", dlerror());
        return 1;
    }
    struct client_driver d = {
        .init = get("cuInit"),
        .library_load_data = get("cuLibraryLoadData"),
        .library_load_from_file = get("cuLibraryLoadFromFile"),
        .library_unload = get("cuLibraryUnload"),
        .library_get_kernel = get("cuLibraryGetKernel"),
        .kernel_get_function = get("cuKernelGetFunction"),
        .module_load_data = get("cuModuleLoadData"),
        .module_load_data_ex = get("cuModuleLoadDataEx"),
        .module_load_fat_binary = get("cuModuleLoadFatBinary"),
        .module_load = get("cuModuleLoad"),
        .module_unload = get("cuModuleUnload"),
        .module_get_function = get("cuModuleGetFunction"),
        .launch_kernel = get("cuLaunchKernel"),
        .launch_kernel_ex = get("cuLaunchKernelEx"),
        .library_get_module = get("cuLibraryGetModule"),
        .library_get_kernel_count = get("cuLibraryGetKernelCount"),
        .library_enumerate_kernels = get("cuLibraryEnumerateKernels"),
        .kernel_get_name = get("cuKernelGetName"),
    };
    return client_main(argc, argv, &d);
}
