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
