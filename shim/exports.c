/* exports.c: the cu* symbols this library exports, for programs and
 * extensions linked with -lcuda (SageAttention's _qattn_sm90 is one): an
 * LD_PRELOAD library's definitions come before libcuda's, so these names bind
 * here.  One definition per entry of hooks.def marked EXPORTED; the version
 * script module.mk derives from the same list exports exactly these (and
 * dlsym), and the build checks the result.
 *
 * Each definition calls the wrapper of the same function when the current
 * mode hands that wrapper out, and the driver's own function otherwise: a
 * launch outside diagnose mode goes straight to the driver (a tail call), as
 * it would through cuGetProcAddress.
 *
 * cuda.h renames cuGetProcAddress to cuGetProcAddress_v2 with a macro (and,
 * per thread default stream, the launches to their _ptsz names); the driver
 * exports every one of them, so the macros are undone and every exported
 * definition spells out its own ABI (hooks.def). */
#include "interpose.h"

#undef cuGetProcAddress
#undef cuLaunchKernel
#undef cuLaunchKernelEx

#pragma GCC visibility push(default)

#define SHIM_CALL(name, handed_out, exported, params, args) \
    EXPORT_IF_##exported(name, handed_out, params, args)
#define EXPORT_IF_NOT_EXPORTED(name, handed_out, params, args)
#define EXPORT_IF_EXPORTED(name, handed_out, params, args)          \
    CUresult name params;                                           \
    CUresult name params                                            \
    {                                                               \
        if (shim_hands_out(SHIM_##handed_out))                      \
            return shim_wrap_##name args;                           \
        const struct shim_real *r = shim_real();                    \
        if (!r || !r->name)                                         \
            return CUDA_ERROR_NOT_FOUND;                            \
        return r->name args;                                        \
    }
#include "hooks.def"
#undef SHIM_CALL

#pragma GCC visibility pop
