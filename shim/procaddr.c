/* procaddr.c: cuGetProcAddress / cuGetProcAddress_v2, and the one place that
 * decides which wrapper stands in for a driver function.
 *
 * The driver is always asked first; its answer is then identified by pointer
 * identity with the real table (real.c).  That hands out the wrapper of
 * exactly the variant the driver chose for the (name, version, flags) asked
 * for - the _ptsz launch for a per-thread request, the 4-argument
 * cuGetProcAddress for version 11030 - and leaves everything we do not wrap,
 * and symbolStatus, as the driver set them. */
#include <stddef.h>
#include <string.h>

#include "interpose.h"

/* Each wrapped call of hooks.def: where the driver's function sits in the
 * real table, the wrapper standing in for it, and in which modes. */
struct hook {
    size_t real_offset;          /* offsetof(struct shim_real, <name>) */
    void *wrapper;
    enum shim_handed_out when;
};

static const struct hook hooks[] = {
#define SHIM_CALL(name, handed_out, exported, params, args) HOOK_##handed_out(name)
#define HOOK_NEVER(name)
#define HOOK_ACTIVE(name) {offsetof(struct shim_real, name), (void *)shim_wrap_##name, SHIM_ACTIVE},
#define HOOK_DIAGNOSE(name) \
    {offsetof(struct shim_real, name), (void *)shim_wrap_##name, SHIM_DIAGNOSE},
#include "hooks.def"
#undef SHIM_CALL
};

/* Launch wrappers cost a call per launch, so they are handed out only when
 * diagnose mode wants to count launches. */
int shim_hands_out(enum shim_handed_out when)
{
    switch (when) {
    case SHIM_ACTIVE:
        return !shim_mode_is(SS_MODE_OFF);
    case SHIM_DIAGNOSE:
        return shim_mode_is(SS_MODE_DIAGNOSE);
    case SHIM_NEVER:
        break;
    }
    return 0;
}

/* The driver's function at `offset` in the table.  Every field is a function
 * pointer of the same size as void * (POSIX), copied out as bytes. */
static void *real_at(const struct shim_real *r, size_t offset)
{
    void *fn;
    memcpy(&fn, (const char *)r + offset, sizeof fn);
    return fn;
}

void *shim_wrapper_for(void *fn)
{
    if (!fn || shim_mode_is(SS_MODE_OFF))
        return fn;
    const struct shim_real *r = shim_real();
    if (!r)
        return fn;
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
        if (real_at(r, hooks[i].real_offset) == fn)
            return shim_hands_out(hooks[i].when) ? hooks[i].wrapper : fn;
    return fn;
}

/* log_level = debug: every request, so a runtime that reaches the driver
 * some other way can be seen. */
static void log_request(const char *symbol, int version, cuuint64_t flags, void *real,
                        void *given)
{
    shim_announce();   /* a driver entry point was resolved: the shim may speak */
    shim_log(SS_LOG_DEBUG, "cuGetProcAddress %s version %d flags %llu: %s", symbol ? symbol : "",
             version, (unsigned long long)flags,
             !real ? "not found" : real == given ? "driver's own" : "wrapped");
}

CUresult shim_wrap_cuGetProcAddress_v2(const char *symbol, void **pfn, int version,
                                       cuuint64_t flags,
                                       CUdriverProcAddressQueryResult *status)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuGetProcAddress_v2)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuGetProcAddress_v2(symbol, pfn, version, flags, status);
    if (result == CUDA_SUCCESS && pfn) {
        void *real = *pfn;
        *pfn = shim_wrapper_for(real);
        log_request(symbol, version, flags, real, *pfn);
    }
    return result;
}

CUresult shim_wrap_cuGetProcAddress(const char *symbol, void **pfn, int version,
                                    cuuint64_t flags)
{
    const struct shim_real *r = shim_real();
    if (!r || !r->cuGetProcAddress)
        return CUDA_ERROR_NOT_FOUND;
    CUresult result = r->cuGetProcAddress(symbol, pfn, version, flags);
    if (result == CUDA_SUCCESS && pfn) {
        void *real = *pfn;
        *pfn = shim_wrapper_for(real);
        log_request(symbol, version, flags, real, *pfn);
    }
    return result;
}
