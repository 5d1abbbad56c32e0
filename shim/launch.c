/* launch.c: launch wrappers, handed out in diagnose mode only (procaddr.c,
 * exports.c): each calls the real launch of the same variant, then tells the
 * registry what was launched and how it went. */
#include <string.h>

#include "interpose.h"

static void report_launch(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                          unsigned by, unsigned bz, unsigned smem, void **params,
                          CUresult result)
{
    struct shim_launch_info info;
    memset(&info, 0, sizeof info);
    info.function = f;
    info.grid[0] = gx;
    info.grid[1] = gy;
    info.grid[2] = gz;
    info.block[0] = bx;
    info.block[1] = by;
    info.block[2] = bz;
    info.shared_bytes = smem;
    info.params = params;
    info.result = result;
    shim_launch_seen(&info);
}

static void report_launch_ex(const CUlaunchConfig *config, CUfunction f, void **params,
                             CUresult result)
{
    struct shim_launch_info info;
    memset(&info, 0, sizeof info);
    info.function = f;
    info.params = params;
    info.result = result;
    if (config) {
        info.grid[0] = config->gridDimX;
        info.grid[1] = config->gridDimY;
        info.grid[2] = config->gridDimZ;
        info.block[0] = config->blockDimX;
        info.block[1] = config->blockDimY;
        info.block[2] = config->blockDimZ;
        info.shared_bytes = config->sharedMemBytes;
        for (unsigned i = 0; config->attrs && i < config->numAttrs; i++) {
            const CUlaunchAttribute *attr = &config->attrs[i];
            if (attr->id != CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION)
                continue;
            info.cluster[0] = (int)attr->value.clusterDim.x;
            info.cluster[1] = (int)attr->value.clusterDim.y;
            info.cluster[2] = (int)attr->value.clusterDim.z;
        }
    }
    shim_launch_seen(&info);
}

CUresult shim_wrap_cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                  unsigned bx, unsigned by, unsigned bz, unsigned smem,
                                  CUstream stream, void **params, void **extra)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLaunchKernel)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLaunchKernel(f, gx, gy, gz, bx, by, bz, smem, stream, params, extra);
    report_launch(f, gx, gy, gz, bx, by, bz, smem, params, result);
    return result;
}

CUresult shim_wrap_cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                       unsigned bx, unsigned by, unsigned bz, unsigned smem,
                                       CUstream stream, void **params, void **extra)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLaunchKernel_ptsz)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result =
        r->cuLaunchKernel_ptsz(f, gx, gy, gz, bx, by, bz, smem, stream, params, extra);
    report_launch(f, gx, gy, gz, bx, by, bz, smem, params, result);
    return result;
}

CUresult shim_wrap_cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f,
                                    void **params, void **extra)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLaunchKernelEx)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLaunchKernelEx(config, f, params, extra);
    report_launch_ex(config, f, params, result);
    return result;
}

CUresult shim_wrap_cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f,
                                         void **params, void **extra)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuLaunchKernelEx_ptsz)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuLaunchKernelEx_ptsz(config, f, params, extra);
    report_launch_ex(config, f, params, result);
    return result;
}
