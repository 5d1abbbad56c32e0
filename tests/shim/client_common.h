/* client_common.h: the load/get/launch/unload sequence shared by the test
 * clients.  Each client only differs in how it obtains the driver functions
 * (cuGetProcAddress like the runtime, -lcuda, or dlsym), fills a struct
 * client_driver and calls client_main().
 *
 * Command line (all clients):
 *   client_X [--api library|module|moduleex|fatbinary|file|modfile]
 *            [--image wrapper|container] [--launch plain|ex] [--threads N]
 *            MODULE KERNEL...
 *
 *   --api      library   cuLibraryLoadData + cuLibraryGetKernel + cuKernelGetFunction
 *                        (default); unload with cuLibraryUnload
 *              module    cuModuleLoadData + cuModuleGetFunction; cuModuleUnload
 *              moduleex  cuModuleLoadDataEx (no options)
 *              fatbinary cuModuleLoadFatBinary
 *              file      cuLibraryLoadFromFile(MODULE)   (MODULE is a file path)
 *              modfile   cuModuleLoad(MODULE)
 *   --image    for the in-memory loads: MODULE is dlopen'ed and its exported
 *              sageshim_fixture_wrapper (default) or sageshim_fixture_container
 *              pointer is the image
 *   --launch   plain: cuLaunchKernel (default); ex: cuLaunchKernelEx with a
 *              cluster attribute 2,1,1
 *   --threads  run the whole sequence from N threads at once (default 1)
 *
 * Environment (library loads only): CLIENT_VIA_MODULE finds kernels as the
 * CUDA 12.9 runtime does (cuLibraryGetModule, then cuModuleGetFunction);
 * CLIENT_ENUMERATE as enumeration does (cuLibraryGetKernelCount,
 * cuLibraryEnumerateKernels, cuKernelGetName, then cuKernelGetFunction).
 *
 * Each kernel is launched once with grid 2,1,1 and block 64,1,1.  Output: "ok"
 * and exit 0, or one line per failure "FAIL <call>[(<kernel>)] = <CUresult>"
 * and exit 1 (exit 2 for a bad command line). */
#ifndef SAGESHIM_CLIENT_COMMON_H
#define SAGESHIM_CLIENT_COMMON_H

#include <cuda.h>

#undef cuGetProcAddress

struct client_driver {
    CUresult (*init)(unsigned);
    CUresult (*library_load_data)(CUlibrary *, const void *, CUjit_option *, void **,
                                  unsigned, CUlibraryOption *, void **, unsigned);
    CUresult (*library_load_from_file)(CUlibrary *, const char *, CUjit_option *, void **,
                                       unsigned, CUlibraryOption *, void **, unsigned);
    CUresult (*library_unload)(CUlibrary);
    CUresult (*library_get_kernel)(CUkernel *, CUlibrary, const char *);
    CUresult (*kernel_get_function)(CUfunction *, CUkernel);
    CUresult (*module_load_data)(CUmodule *, const void *);
    CUresult (*module_load_data_ex)(CUmodule *, const void *, unsigned, CUjit_option *,
                                    void **);
    CUresult (*module_load_fat_binary)(CUmodule *, const void *);
    CUresult (*module_load)(CUmodule *, const char *);
    CUresult (*module_unload)(CUmodule);
    CUresult (*module_get_function)(CUfunction *, CUmodule, const char *);
    CUresult (*launch_kernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                              unsigned, unsigned, CUstream, void **, void **);
    CUresult (*launch_kernel_ex)(const CUlaunchConfig *, CUfunction, void **, void **);
    /* Only for CLIENT_VIA_MODULE / CLIENT_ENUMERATE. */
    CUresult (*library_get_module)(CUmodule *, CUlibrary);
    CUresult (*library_get_kernel_count)(unsigned *, CUlibrary);
    CUresult (*library_enumerate_kernels)(CUkernel *, unsigned, CUlibrary);
    CUresult (*kernel_get_name)(const char **, CUkernel);
};

/* Parse the command line, run the sequence, print the outcome; returns the
 * exit status.  A NULL member of `driver` is reported as a failure when the
 * chosen --api needs it. */
int client_main(int argc, char **argv, const struct client_driver *driver);

#endif
