/* driver.h: the few driver calls the hardening clients make, found with
 * dlsym on libcuda.so.1 (so the preload library's dlsym hook answers). */
#ifndef SAGESHIM_HARDENING_DRIVER_H
#define SAGESHIM_HARDENING_DRIVER_H

#include <cuda.h>
#include <dlfcn.h>
#include <stdio.h>

struct driver {
    CUresult (*init)(unsigned);
    CUresult (*load)(CUlibrary *, const void *, CUjit_option *, void **, unsigned,
                     CUlibraryOption *, void **, unsigned);
    CUresult (*unload)(CUlibrary);
    CUresult (*get_kernel)(CUkernel *, CUlibrary, const char *);
    CUresult (*get_function)(CUfunction *, CUkernel);
    CUresult (*launch)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                       unsigned, CUstream, void **, void **);
};

static inline int driver_open(struct driver *d)
{
    void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!cuda) {
        printf("FAIL dlopen libcuda.so.1: %s\n", dlerror());
        return -1;
    }
    *(void **)&d->init = dlsym(cuda, "cuInit");
    *(void **)&d->load = dlsym(cuda, "cuLibraryLoadData");
    *(void **)&d->unload = dlsym(cuda, "cuLibraryUnload");
    *(void **)&d->get_kernel = dlsym(cuda, "cuLibraryGetKernel");
    *(void **)&d->get_function = dlsym(cuda, "cuKernelGetFunction");
    *(void **)&d->launch = dlsym(cuda, "cuLaunchKernel");
    if (!d->init || !d->load || !d->unload || !d->get_kernel || !d->get_function || !d->launch) {
        printf("FAIL dlsym of a driver function\n");
        return -1;
    }
    return d->init(0) == CUDA_SUCCESS ? 0 : -1;
}

/* Load `image`, get `kernel`, launch it once (grid 2, block 64).  Keeps the
 * library loaded when lib is not NULL, unloads it otherwise.  0 or -1. */
static inline int driver_load_and_launch(const struct driver *d, const void *image,
                                         const char *kernel, CUlibrary *lib)
{
    CUlibrary l;
    CUkernel k;
    CUfunction f;
    CUresult r = d->load(&l, image, NULL, NULL, 0, NULL, NULL, 0);
    if (r != CUDA_SUCCESS) {
        printf("FAIL cuLibraryLoadData = %d\n", (int)r);
        return -1;
    }
    if ((r = d->get_kernel(&k, l, kernel)) != CUDA_SUCCESS ||
        (r = d->get_function(&f, k)) != CUDA_SUCCESS ||
        (r = d->launch(f, 2, 1, 1, 64, 1, 1, 0, NULL, NULL, NULL)) != CUDA_SUCCESS) {
        printf("FAIL get/launch(%s) = %d\n", kernel, (int)r);
        d->unload(l);
        return -1;
    }
    if (lib) {
        *lib = l;
        return 0;
    }
    return d->unload(l) == CUDA_SUCCESS ? 0 : -1;
}

#endif
