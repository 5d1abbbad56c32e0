/* client_fused: loads MODULE's image (its sageshim_fixture_wrapper) with
 * cuLibraryLoadData, finds KERNEL with cuLibraryGetKernel +
 * cuKernelGetFunction, and launches it once per LAUNCH argument with the
 * nine parameters of a TransposePadPermuteKernel (tests/hotfix/
 * fused_transpose.cu), every driver function taken through dlsym:
 *
 *   client_fused MODULE KERNEL N,X_SN,X_SH,GRID_X,GRID_Y,BLOCK_X...
 *
 * Other strides are small constants.  Prints "ok", or "FAIL <call> = <n>". */
#include <cuda.h>
#include <dlfcn.h>
#include <stdio.h>

static int fail(const char *call, int result)
{
    printf("FAIL %s = %d\n", call, result);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: client_fused MODULE KERNEL N,X_SN,X_SH,GX,GY,BX...\n");
        return 2;
    }
    void *cuda = dlopen("libcuda.so.1", RTLD_NOW);
    void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!cuda || !module)
        return fail("dlopen", 0);
    CUresult (*init)(unsigned) = (CUresult(*)(unsigned))dlsym(cuda, "cuInit");
    CUresult (*load)(CUlibrary *, const void *, CUjit_option *, void **, unsigned,
                     CUlibraryOption *, void **, unsigned) =
        (CUresult(*)(CUlibrary *, const void *, CUjit_option *, void **, unsigned,
                     CUlibraryOption *, void **, unsigned))dlsym(cuda, "cuLibraryLoadData");
    CUresult (*get)(CUkernel *, CUlibrary, const char *) =
        (CUresult(*)(CUkernel *, CUlibrary, const char *))dlsym(cuda, "cuLibraryGetKernel");
    CUresult (*function_of)(CUfunction *, CUkernel) =
        (CUresult(*)(CUfunction *, CUkernel))dlsym(cuda, "cuKernelGetFunction");
    CUresult (*launch)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                       unsigned, CUstream, void **, void **) =
        (CUresult(*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                     unsigned, CUstream, void **, void **))dlsym(cuda, "cuLaunchKernel");
    CUresult (*unload)(CUlibrary) = (CUresult(*)(CUlibrary))dlsym(cuda, "cuLibraryUnload");
    const void *const *image = dlsym(module, "sageshim_fixture_wrapper");
    if (!init || !load || !get || !function_of || !launch || !unload || !image)
        return fail("dlsym", 0);
    CUresult r;
    CUlibrary library;
    CUkernel kernel;
    CUfunction function;
    if ((r = init(0)) != CUDA_SUCCESS)
        return fail("cuInit", r);
    if ((r = load(&library, *image, NULL, NULL, 0, NULL, NULL, 0)) != CUDA_SUCCESS)
        return fail("cuLibraryLoadData", r);
    if ((r = get(&kernel, library, argv[2])) != CUDA_SUCCESS)
        return fail("cuLibraryGetKernel", r);
    if ((r = function_of(&function, kernel)) != CUDA_SUCCESS)
        return fail("cuKernelGetFunction", r);
    for (int i = 3; i < argc; i++) {
        void *x = NULL, *y = NULL;
        unsigned n, x_sn, x_sh, gx, gy, bx, x_sb = 0, y_sb = 0, y_sd = 64, y_sh = 4096;
        if (sscanf(argv[i], "%u,%u,%u,%u,%u,%u", &n, &x_sn, &x_sh, &gx, &gy, &bx) != 6) {
            fprintf(stderr, "client_fused: bad launch '%s'\n", argv[i]);
            return 2;
        }
        void *params[] = { &x, &y, &n, &x_sb, &x_sn, &x_sh, &y_sb, &y_sd, &y_sh };
        if ((r = launch(function, gx, gy, 1, bx, 1, 1, 0, NULL, params, NULL)) != CUDA_SUCCESS)
            return fail("cuLaunchKernel", r);
    }
    if ((r = unload(library)) != CUDA_SUCCESS)
        return fail("cuLibraryUnload", r);
    printf("ok\n");
    return 0;
}
