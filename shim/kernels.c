/* kernels.c: wrappers of the calls that turn a name into a kernel handle, so
 * the registry can name kernels in diagnostics and count their launches.  The
 * out-parameter is read only after the real call succeeded. */
#include "interpose.h"

CUresult shim_wrap_cuLibraryGetKernel(CUkernel *kernel, CUlibrary library, const char *name)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryGetKernel)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLibraryGetKernel(kernel, library, name);
    if (result == CUDA_SUCCESS && kernel && name && !shim_mode_is(SS_MODE_OFF))
        shim_kernel_named(library, 1, name, *kernel);
    return result;
}

CUresult shim_wrap_cuKernelGetFunction(CUfunction *function, CUkernel kernel)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuKernelGetFunction)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuKernelGetFunction(function, kernel);
    if (result == CUDA_SUCCESS && function && !shim_mode_is(SS_MODE_OFF))
        shim_handle_alias(*function, kernel);
    return result;
}

/* A caller may find a library's kernels by enumerating them and asking each
 * one's name (cuKernelGetName) instead of cuLibraryGetKernel.  Naming them
 * costs a driver call per kernel, so only diagnose mode, the one mode that
 * counts launches, asks. */
CUresult shim_wrap_cuLibraryEnumerateKernels(CUkernel *kernels, unsigned count,
                                             CUlibrary library)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryEnumerateKernels)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLibraryEnumerateKernels(kernels, count, library);
    if (result != CUDA_SUCCESS || !kernels || !r->cuKernelGetName ||
        !shim_mode_is(SS_MODE_DIAGNOSE))
        return result;
    for (unsigned i = 0; i < count; i++) {
        const char *name = NULL;
        if (kernels[i] && r->cuKernelGetName(&name, kernels[i]) == CUDA_SUCCESS && name)
            shim_kernel_named(library, 1, name, kernels[i]);
    }
    return result;
}

/* The CUDA 12.9 runtime takes a library's module and looks its kernels up
 * with cuModuleGetFunction: the module handle must lead to the library's
 * record. */
CUresult shim_wrap_cuLibraryGetModule(CUmodule *module, CUlibrary library)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryGetModule)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLibraryGetModule(module, library);
    if (result == CUDA_SUCCESS && module && !shim_mode_is(SS_MODE_OFF))
        shim_handle_alias(*module, library);
    return result;
}

CUresult shim_wrap_cuModuleGetFunction(CUfunction *function, CUmodule module,
                                       const char *name)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuModuleGetFunction)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuModuleGetFunction(function, module, name);
    if (result == CUDA_SUCCESS && function && name && !shim_mode_is(SS_MODE_OFF))
        shim_kernel_named(module, 0, name, *function);
    return result;
}
