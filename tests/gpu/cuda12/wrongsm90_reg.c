/* wrongsm90_reg.c: the GPU suite's wrongsm90 library with device code from
 * the CUDA 12.x compiler.
 *
 * PyPI has no 12.x nvcc, so this file does by hand what nvcc's generated
 * host code does: it embeds a fatbin (WRONG12_FATBIN, a path given with -D:
 * sm_80 + sm_90a cubins that NVRTC 12.9 compiled from
 * tests/gpu/wrongsm90_kernels.cuh, packed with LZ4 by fatbinary), registers
 * it and its three kernels with the runtime when loaded, and launches them
 * through the runtime API.  It is built by the host C compiler against the
 * 12.x runtime headers and libcudart.so.12 (tests/gpu/cuda12/run.sh).
 *
 * The exported functions behave as wrongsm90.cu's (see wrongsm90.h): each
 * launch multiplies x[0..n) by factor, except on sm_90a, whose code is the
 * "miscompiled" one.  Returns are cudaError_t values as int. */
#include <stddef.h>
#include <stdlib.h>

#include <cuda_runtime_api.h>

#include "wrongsm90.h"

#ifndef WRONG12_FATBIN
#error "build with -DWRONG12_FATBIN='\"path/to.fatbin\"'"
#endif

#define EXPORT __attribute__((visibility("default")))

/* ---- the device code ------------------------------------------------------ */

/* Where nvcc puts a translation unit's fatbin: a container in .nv_fatbin,
 * 8-byte aligned (the runtime and the shim read it through the wrapper; the
 * shim's readers also walk the section, containers back to back). */
__asm__(".pushsection .nv_fatbin, \"a\"\n"
        ".balign 8\n"
        "wrong12_fatbin:\n"
        ".incbin \"" WRONG12_FATBIN "\"\n"
        ".balign 8\n"
        ".popsection\n");

extern const unsigned long long wrong12_fatbin[];

/* nvcc's __fatBinC_Wrapper_t (fatbinary_section.h): magic, version 1 (one
 * translation unit's fatbin), the container, no file name.  It lives in
 * .nvFatBinSegment like nvcc's __fatDeviceText. */
struct fatbin_wrapper {
    int magic;
    int version;
    const unsigned long long *data;
    void *filename_or_fatbins;
};

__attribute__((aligned(8), section(".nvFatBinSegment")))
static const struct fatbin_wrapper fatbin_wrapper = { 0x466243b1, 1, wrong12_fatbin, NULL };

/* The runtime's registration entry points (crt/host_runtime.h, not in the
 * runtime wheel's headers). */
extern void **__cudaRegisterFatBinary(void *fatCubin);
extern void __cudaRegisterFatBinaryEnd(void **fatCubinHandle);
extern void __cudaUnregisterFatBinary(void **fatCubinHandle);
extern void __cudaRegisterFunction(void **fatCubinHandle, const char *hostFun, char *deviceFun,
                                   const char *deviceName, int thread_limit, uint3 *tid,
                                   uint3 *bid, dim3 *bDim, dim3 *gDim, int *wSize);

/* scale_kernel's by-value parameter, as wrongsm90_kernels.cuh declares it. */
struct scale_params {
    float factor;
    int n;
};

/* As in wrongsm90_kernels.cuh. */
static const int threads_per_block = 256;

/* ---- host stubs ------------------------------------------------------------ */

/* One host function per kernel, like nvcc's __device_stub_*: its address is
 * the key the runtime maps to the kernel, and it launches with that key.
 * (Each body names itself, so no two can be folded into one address.) */
static cudaError_t launch_scale_kernel(dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                                       float *x, struct scale_params p)
{
    void *args[] = { &x, &p };
    return cudaLaunchKernel((const void *)launch_scale_kernel, grid, block, args, smem, stream);
}

static cudaError_t launch_cluster_scale_kernel(const cudaLaunchConfig_t *config, float *x,
                                               float factor, int n)
{
    void *args[] = { &x, &factor, &n };
    return cudaLaunchKernelExC(config, (const void *)launch_cluster_scale_kernel, args);
}

static cudaError_t launch_smem_scale_kernel(dim3 grid, dim3 block, size_t smem,
                                            cudaStream_t stream, float *x, float factor, int n)
{
    void *args[] = { &x, &factor, &n };
    return cudaLaunchKernel((const void *)launch_smem_scale_kernel, grid, block, args, smem,
                            stream);
}

/* Mangled names as nvcc and NVRTC give them (the cubins' symbol tables). */
static const struct {
    const void *stub;
    const char *name;
} kernels[WRONG_KERNELS] = {
    { (const void *)launch_scale_kernel, "_Z12scale_kernelPf12scale_params" },
    { (const void *)launch_cluster_scale_kernel, "_Z20cluster_scale_kernelPffi" },
    { (const void *)launch_smem_scale_kernel, "_Z17smem_scale_kernelPffi" },
};

/* ---- registration ---------------------------------------------------------- */

static void **fatbin_handle;

/* nvcc's __cudaUnregisterBinaryUtil. */
static void unregister_module(void)
{
    __cudaUnregisterFatBinary(fatbin_handle);
}

/* nvcc's __sti____cudaRegisterAll: register the fatbin, each kernel under
 * its stub (device name and name both the mangled name, thread limit -1),
 * close the registration, and unregister at exit through atexit() as nvcc
 * does (in a shared object that also runs at dlclose). */
__attribute__((constructor)) static void register_module(void)
{
    fatbin_handle = __cudaRegisterFatBinary((void *)&fatbin_wrapper);
    for (size_t i = 0; i < WRONG_KERNELS; i++)
        __cudaRegisterFunction(fatbin_handle, (const char *)kernels[i].stub,
                               (char *)kernels[i].name, kernels[i].name, -1, NULL, NULL, NULL,
                               NULL, NULL);
    __cudaRegisterFatBinaryEnd(fatbin_handle);
    atexit(unregister_module);
}

/* ---- the exported functions (wrongsm90.h) ---------------------------------- */

static dim3 dims(unsigned x)
{
    dim3 d = { x, 1, 1 };
    return d;
}

static unsigned blocks_for(int n)
{
    int blocks = (n + threads_per_block - 1) / threads_per_block;
    return (unsigned)(blocks + (blocks & 1));  // even, so 2-block clusters tile the grid
}

/* What <<<>>> followed by cudaGetLastError() returns: the launch's error,
 * which also stays pending as the last error until read. */
static int launch_result(cudaError_t launched)
{
    cudaError_t last = cudaGetLastError();
    return (int)(launched != cudaSuccess ? launched : last);
}

EXPORT int wrong_init(void)
{
    return (int)cudaFree(0);
}

EXPORT int wrong_scale(float *x, float factor, int n, void *stream)
{
    struct scale_params p = { factor, n };
    return launch_result(launch_scale_kernel(dims(blocks_for(n)), dims(threads_per_block), 0,
                                             (cudaStream_t)stream, x, p));
}

EXPORT int wrong_scale_cluster(float *x, float factor, int n, void *stream)
{
    cudaLaunchAttribute attribute = { 0 };
    attribute.id = cudaLaunchAttributeClusterDimension;
    attribute.val.clusterDim.x = 2;
    attribute.val.clusterDim.y = 1;
    attribute.val.clusterDim.z = 1;
    cudaLaunchConfig_t config = { 0 };
    config.gridDim = dims(blocks_for(n));
    config.blockDim = dims(threads_per_block);
    config.stream = (cudaStream_t)stream;
    config.attrs = &attribute;
    config.numAttrs = 1;
    return (int)launch_cluster_scale_kernel(&config, x, factor, n);
}

EXPORT int wrong_scale_smem(float *x, float factor, int n, void *stream)
{
    cudaError_t err = cudaFuncSetAttribute((const void *)launch_smem_scale_kernel,
                                           cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           WRONG_SMEM_BYTES);
    if (err != cudaSuccess)
        return (int)err;
    return launch_result(launch_smem_scale_kernel(dims(blocks_for(n)), dims(threads_per_block),
                                                  WRONG_SMEM_BYTES, (cudaStream_t)stream, x,
                                                  factor, n));
}
