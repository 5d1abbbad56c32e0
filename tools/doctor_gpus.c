/* doctor_gpus.c: the GPUs, through the driver API loaded at run time (the
 * command runs where there is no driver), and what the preload library does
 * on each: an entry redirect only on devices whose arch is in `archs`; the
 * hotfix and the Python repair do not look at `archs` (lib/plan/plan_hotfix.c
 * considers every device of the process; shim/repair.py no device). */
#include "doctor.h"

#include <cuda.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef CUresult (*cu_init_fn)(unsigned int);
typedef CUresult (*cu_count_fn)(int *);
typedef CUresult (*cu_get_fn)(CUdevice *, int);
typedef CUresult (*cu_name_fn)(char *, int, CUdevice);
typedef CUresult (*cu_attr_fn)(int *, CUdevice_attribute, CUdevice);
typedef CUresult (*cu_version_fn)(int *);

void doctor_gpus_query(struct doctor_gpus *g)
{
    memset(g, 0, sizeof *g);
    void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!cuda) {
        snprintf(g->state, sizeof g->state,
                 "no CUDA driver (libcuda.so.1 cannot be loaded): nothing runs on a GPU here");
        return;
    }
    cu_init_fn cu_init = (cu_init_fn)dlsym(cuda, "cuInit");
    cu_count_fn cu_count = (cu_count_fn)dlsym(cuda, "cuDeviceGetCount");
    cu_get_fn cu_get = (cu_get_fn)dlsym(cuda, "cuDeviceGet");
    cu_name_fn cu_name = (cu_name_fn)dlsym(cuda, "cuDeviceGetName");
    cu_attr_fn cu_attr = (cu_attr_fn)dlsym(cuda, "cuDeviceGetAttribute");
    cu_version_fn cu_version = (cu_version_fn)dlsym(cuda, "cuDriverGetVersion");
    int count = 0;
    if (!cu_init || !cu_count || !cu_get || !cu_attr) {
        snprintf(g->state, sizeof g->state,
                 "libcuda.so.1 lacks the device functions: not a usable CUDA driver");
    } else if (cu_init(0) != CUDA_SUCCESS) {
        snprintf(g->state, sizeof g->state,
                 "the CUDA driver is installed but cuInit failed: no usable GPU");
    } else if (cu_count(&count) != CUDA_SUCCESS || count == 0) {
        snprintf(g->state, sizeof g->state, "the CUDA driver reports no GPU");
    } else {
        if (cu_version && cu_version(&g->driver_version) != CUDA_SUCCESS)
            g->driver_version = 0;
        for (int i = 0; i < count && g->count < DOCTOR_MAX_GPUS; i++) {
            CUdevice dev;
            int major = 0, minor = 0;
            if (cu_get(&dev, i) != CUDA_SUCCESS
                || cu_attr(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) != CUDA_SUCCESS
                || cu_attr(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev) != CUDA_SUCCESS)
                continue;
            snprintf(g->name[g->count], sizeof g->name[0], "?");
            if (cu_name)
                cu_name(g->name[g->count], (int)sizeof g->name[0], dev);
            g->cc[g->count++] = (unsigned)(major * 10 + minor);
        }
    }
    dlclose(cuda);
}

static int in_archs(const struct ss_config *cfg, unsigned sm)
{
    for (size_t i = 0; i < cfg->narchs; i++)
        if (cfg->archs[i] == sm)
            return 1;
    return 0;
}

void doctor_gpus_report(const struct doctor_gpus *g, const struct ss_config *cfg)
{
    printf("GPUs\n");
    if (g->count == 0) {
        printf("  %s\n", g->state);
        return;
    }
    if (g->driver_version)
        printf("  driver supports CUDA %d.%d\n", g->driver_version / 1000,
               g->driver_version % 1000 / 10);
    char archs[96] = "";
    for (size_t i = 0; i < cfg->narchs; i++)
        ss_append(archs, sizeof archs, "%s%u", i ? "," : "", cfg->archs[i]);
    int off = cfg->mode == SS_MODE_OFF;
    for (size_t i = 0; i < g->count; i++) {
        unsigned sm = g->cc[i];
        printf("  GPU %zu %s sm_%u (compute capability %u.%u): ", i, g->name[i], sm, sm / 10,
               sm % 10);
        if (off)
            printf("untouched (mode = off)\n");
        else if (in_archs(cfg, sm))
            printf("in archs (%s): entry redirect of watched modules, hotfix, long inputs run "
                   "in pieces (repair)\n", archs);
        else
            printf("not in archs (%s): untouched - no entry redirect, no hotfix in this "
                   "process (one hotfix serves every GPU), no pieces; add %u to `archs` to "
                   "include it\n", archs[0] ? archs : "none", sm);
    }
}
