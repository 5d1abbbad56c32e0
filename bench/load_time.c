/* load_time: how long the first cuLibraryLoadData of a watched module's
 * image takes (the shim parses, checks and merges it there), and the first
 * cuLibraryGetKernel + cuKernelGetFunction after it (where lazy loading
 * does the driver's real work).  Driver API only, linked with -lcuda, so the
 * preload library interposes through its exported symbols.  Prints
 *   load_us=<t> first_kernel_us=<t>
 * usage: load_time <image.so> (a bench/image.c object) */
#include <cuda.h>
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

typedef const void *(*wrapper_fn)(void);

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int check(CUresult r, const char *what)
{
    if (r == CUDA_SUCCESS)
        return 0;
    const char *name = NULL;
    cuGetErrorName(r, &name);
    fprintf(stderr, "%s failed: %s (%d)\n", what, name ? name : "?", (int)r);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <image.so>\n", argv[0]);
        return 2;
    }
    void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    wrapper_fn image_wrapper = so ? (wrapper_fn)dlsym(so, "bench_image_wrapper") : NULL;
    if (!image_wrapper) {
        fprintf(stderr, "%s: %s\n", argv[1], so ? "no bench_image_wrapper" : dlerror());
        return 1;
    }
    CUdevice dev;
    CUcontext ctx;
    if (check(cuInit(0), "cuInit") || check(cuDeviceGet(&dev, 0), "cuDeviceGet") ||
        check(cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain") ||
        check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent"))
        return 1;

    CUlibrary lib;
    CUkernel kernel;
    CUfunction function;
    double t0 = now_us();
    if (check(cuLibraryLoadData(&lib, image_wrapper(), NULL, NULL, 0, NULL, NULL, 0),
              "cuLibraryLoadData"))
        return 1;
    double t1 = now_us();
    if (check(cuLibraryGetKernel(&kernel, lib, "empty_kernel"), "cuLibraryGetKernel") ||
        check(cuKernelGetFunction(&function, kernel), "cuKernelGetFunction"))
        return 1;
    double t2 = now_us();
    printf("load_us=%.1f first_kernel_us=%.1f\n", t1 - t0, t2 - t1);
    if (check(cuLibraryUnload(lib), "cuLibraryUnload"))
        return 1;
    cuDevicePrimaryCtxRelease(dev);
    return 0;
}
