/* kernels.c: wrappers of the calls that turn a name into a kernel handle, so
 * the registry can name kernels in diagnostics and count their launches, and
 * so a hot-fixed kernel (hotfix.c) is handed out wherever the original would
 * be.  The out-parameter is read only after the real call succeeded; a
 * lookup the driver refuses is refused as it was. */
#include "interpose.h"

CUresult shim_wrap_cuLibraryGetKernel(CUkernel *kernel, CUlibrary library, const char *name)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryGetKernel)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLibraryGetKernel(kernel, library, name);
    if (result == CUDA_SUCCESS && kernel && name && !shim_mode_is(SS_MODE_OFF)) {
        CUkernel original = *kernel;
        *kernel = (CUkernel)shim_hotfix_lookup(library, 1, name, original);
        shim_kernel_named(library, 1, name, *kernel, *kernel != original);
    }
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
 * costs a driver call per kernel, so only when it matters: diagnose mode
 * (which counts launches) and processes with a hotfix image loaded.  Each
 * kernel is named once, here, and the name serves both: the hotfix swaps
 * the handle, the registry records it. */
CUresult shim_wrap_cuLibraryEnumerateKernels(CUkernel *kernels, unsigned count,
                                             CUlibrary library)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryEnumerateKernels)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLibraryEnumerateKernels(kernels, count, library);
    if (result != CUDA_SUCCESS || !kernels || !r->cuKernelGetName ||
        shim_mode_is(SS_MODE_OFF))
        return result;
    int hotfix = shim_hotfix_active();
    int diagnose = shim_mode_is(SS_MODE_DIAGNOSE);
    if (!hotfix && !diagnose)
        return result;
    for (unsigned i = 0; i < count; i++) {
        const char *name = NULL;
        if (!kernels[i] || r->cuKernelGetName(&name, kernels[i]) != CUDA_SUCCESS || !name)
            continue;
        CUkernel original = kernels[i];
        if (hotfix)
            kernels[i] = (CUkernel)shim_hotfix_lookup(library, 1, name, original);
        if (diagnose)
            shim_kernel_named(library, 1, name, kernels[i], kernels[i] != original);
    }
    return result;
}

/* The CUDA 12.9 runtime takes a library's module and looks its kernels up
 * with cuModuleGetFunction: the module handle must lead to the library's
 * record and to its hotfix. */
CUresult shim_wrap_cuLibraryGetModule(CUmodule *module, CUlibrary library)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryGetModule)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLibraryGetModule(module, library);
    if (result == CUDA_SUCCESS && module && !shim_mode_is(SS_MODE_OFF)) {
        shim_handle_alias(*module, library);
        shim_hotfix_view(*module, library);
    }
    return result;
}

CUresult shim_wrap_cuModuleGetFunction(CUfunction *function, CUmodule module,
                                       const char *name)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuModuleGetFunction)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuModuleGetFunction(function, module, name);
    if (result == CUDA_SUCCESS && function && name && !shim_mode_is(SS_MODE_OFF)) {
        CUfunction original = *function;
        *function = (CUfunction)shim_hotfix_lookup(module, 0, name, original);
        shim_kernel_named(module, 0, name, *function, *function != original);
    }
    return result;
}
