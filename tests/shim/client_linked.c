/* client_linked.c: calls the driver through symbols bound at link time
 * (-lcuda), as SageAttention's _qattn_sm90 does; a preloaded library that
 * exports the same names is called instead.  Built twice: client_linked, and
 * client_linked_ptds with CUDA_API_PER_THREAD_DEFAULT_STREAM, where cuda.h
 * binds the launches to their _ptsz symbols. */
#include "client_common.h"

int main(int argc, char **argv)
{
    struct client_driver d = {
        .init = cuInit,
        .library_load_data = cuLibraryLoadData,
        .library_load_from_file = cuLibraryLoadFromFile,
        .library_unload = cuLibraryUnload,
        .library_get_kernel = cuLibraryGetKernel,
        .kernel_get_function = cuKernelGetFunction,
        .module_load_data = cuModuleLoadData,
        .module_load_data_ex = cuModuleLoadDataEx,
        .module_load_fat_binary = cuModuleLoadFatBinary,
        .module_load = cuModuleLoad,
        .module_unload = cuModuleUnload,
        .module_get_function = cuModuleGetFunction,
        .launch_kernel = cuLaunchKernel,
        .launch_kernel_ex = cuLaunchKernelEx,
        .library_get_module = cuLibraryGetModule,
        .library_get_kernel_count = cuLibraryGetKernelCount,
        .library_enumerate_kernels = cuLibraryEnumerateKernels,
        .kernel_get_name = cuKernelGetName,
    };
    return client_main(argc, argv, &d);
}
