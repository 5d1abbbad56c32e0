/* loads.c: wrappers of the module/library load and unload calls.
 *
 * Each load asks the policy (shim_load_begin) which image to hand to the
 * driver, makes the real call with it, and reports the outcome
 * (shim_load_end).  The driver's out-parameter is read only after the call
 * succeeded.  For the file-based loads the policy may answer with an image in
 * memory instead of the file: then the matching in-memory load is called. */
#include <stddef.h>

#include "interpose.h"

CUresult shim_wrap_cuLibraryLoadData(CUlibrary *library, const void *code,
                                     CUjit_option *jit_options, void **jit_values,
                                     unsigned njit, CUlibraryOption *lib_options,
                                     void **lib_values, unsigned nlib)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryLoadData)
        return CUDA_ERROR_NOT_FOUND;
    if (shim_mode_is(SS_MODE_OFF))
        return r->cuLibraryLoadData(library, code, jit_options, jit_values, njit,
                                    lib_options, lib_values, nlib);
    const void *use = code;
    struct shim_load *load = shim_load_begin("cuLibraryLoadData", code, NULL, &use);
    CUresult result = r->cuLibraryLoadData(library, use, jit_options, jit_values, njit,
                                           lib_options, lib_values, nlib);
    int ok = result == CUDA_SUCCESS && library;
    shim_load_end(load, ok, ok ? (void *)*library : NULL, 1);
    return result;
}

CUresult shim_wrap_cuLibraryLoadFromFile(CUlibrary *library, const char *path,
                                         CUjit_option *jit_options, void **jit_values,
                                         unsigned njit, CUlibraryOption *lib_options,
                                         void **lib_values, unsigned nlib)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryLoadFromFile)
        return CUDA_ERROR_NOT_FOUND;
    if (shim_mode_is(SS_MODE_OFF))
        return r->cuLibraryLoadFromFile(library, path, jit_options, jit_values, njit,
                                        lib_options, lib_values, nlib);
    const void *use = NULL;
    struct shim_load *load = shim_load_begin("cuLibraryLoadFromFile", NULL, path, &use);
    CUresult result;
    if (use && r->cuLibraryLoadData)
        result = r->cuLibraryLoadData(library, use, jit_options, jit_values, njit,
                                      lib_options, lib_values, nlib);
    else
        result = r->cuLibraryLoadFromFile(library, path, jit_options, jit_values, njit,
                                          lib_options, lib_values, nlib);
    int ok = result == CUDA_SUCCESS && library;
    shim_load_end(load, ok, ok ? (void *)*library : NULL, 1);
    return result;
}

CUresult shim_wrap_cuLibraryUnload(CUlibrary library)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLibraryUnload)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLibraryUnload(library);
    if (result == CUDA_SUCCESS && !shim_mode_is(SS_MODE_OFF))
        shim_unload(library, 1);
    return result;
}

CUresult shim_wrap_cuModuleLoadData(CUmodule *module, const void *image)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuModuleLoadData)
        return CUDA_ERROR_NOT_FOUND;
    if (shim_mode_is(SS_MODE_OFF))
        return r->cuModuleLoadData(module, image);
    const void *use = image;
    struct shim_load *load = shim_load_begin("cuModuleLoadData", image, NULL, &use);
    CUresult result = r->cuModuleLoadData(module, use);
    int ok = result == CUDA_SUCCESS && module;
    shim_load_end(load, ok, ok ? (void *)*module : NULL, 0);
    return result;
}

CUresult shim_wrap_cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned nopts,
                                      CUjit_option *options, void **values)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuModuleLoadDataEx)
        return CUDA_ERROR_NOT_FOUND;
    if (shim_mode_is(SS_MODE_OFF))
        return r->cuModuleLoadDataEx(module, image, nopts, options, values);
    const void *use = image;
    struct shim_load *load = shim_load_begin("cuModuleLoadDataEx", image, NULL, &use);
    CUresult result = r->cuModuleLoadDataEx(module, use, nopts, options, values);
    int ok = result == CUDA_SUCCESS && module;
    shim_load_end(load, ok, ok ? (void *)*module : NULL, 0);
    return result;
}

CUresult shim_wrap_cuModuleLoadFatBinary(CUmodule *module, const void *fatbin)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuModuleLoadFatBinary)
        return CUDA_ERROR_NOT_FOUND;
    if (shim_mode_is(SS_MODE_OFF))
        return r->cuModuleLoadFatBinary(module, fatbin);
    const void *use = fatbin;
    struct shim_load *load = shim_load_begin("cuModuleLoadFatBinary", fatbin, NULL, &use);
    CUresult result = r->cuModuleLoadFatBinary(module, use);
    int ok = result == CUDA_SUCCESS && module;
    shim_load_end(load, ok, ok ? (void *)*module : NULL, 0);
    return result;
}

CUresult shim_wrap_cuModuleLoad(CUmodule *module, const char *path)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuModuleLoad)
        return CUDA_ERROR_NOT_FOUND;
    if (shim_mode_is(SS_MODE_OFF))
        return r->cuModuleLoad(module, path);
    const void *use = NULL;
    struct shim_load *load = shim_load_begin("cuModuleLoad", NULL, path, &use);
    CUresult result;
    if (use && r->cuModuleLoadData)
        result = r->cuModuleLoadData(module, use);
    else
        result = r->cuModuleLoad(module, path);
    int ok = result == CUDA_SUCCESS && module;
    shim_load_end(load, ok, ok ? (void *)*module : NULL, 0);
    return result;
}

CUresult shim_wrap_cuModuleUnload(CUmodule module)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuModuleUnload)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuModuleUnload(module);
    if (result == CUDA_SUCCESS && !shim_mode_is(SS_MODE_OFF))
        shim_unload(module, 0);
    return result;
}
