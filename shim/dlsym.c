/* dlsym.c: the dlsym override.
 *
 * The CUDA runtime takes nothing from libcuda's symbol table but
 * cuGetProcAddress_v2, fetched with dlsym; PyTorch fetches a few cu* names the
 * same way, and CPython fetches PyInit_<name> from every extension it imports.
 * So the process's dlsym is ours: it answers those names with wrappers and
 * everything else with exactly what the real dlsym answers.
 *
 * Which dlsym is "real": glibc's is found with dlvsym (which we do not
 * override, so no recursion), then asked for dlsym(RTLD_NEXT, "dlsym") from
 * inside this library, which is the next preloaded interposer's dlsym when
 * there is one (so tracers preloaded after us keep working) and glibc's own
 * otherwise.  Both are kept in one atomic pointer, filled on first use: the
 * override can be called before our constructor ran, from any thread, and
 * from inside the dynamic loader, so there is no lock to wait on.
 *
 * Why a tail call: glibc's dlsym finds its caller from its return address,
 * and RTLD_NEXT means "the object after the caller".  If we called it the
 * ordinary way, the shim would be the caller and an application's
 * dlsym(RTLD_NEXT, ...) would find the wrong object (an endless loop in some
 * interposers).  `return next(handle, name);` as the last statement compiles
 * to a jump that leaves the application's return address in place.  That
 * needs optimisation and no stack protector for this file: module.mk
 * compiles it with -O2 -foptimize-sibling-calls -fno-stack-protector, and
 * check_interpose tests dlsym(RTLD_NEXT, "dlsym") from a client.  It is
 * also built without sanitizer instrumentation: ASan's runtime calls dlsym
 * while it initialises, before instrumented code can run.  RTLD_NEXT
 * lookups are therefore never wrapped; other handles name their objects
 * themselves, so wrapped names are looked up with an ordinary call. */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

#include "interpose.h"

typedef void *(*dlsym_fn)(void *, const char *);

static _Atomic(dlsym_fn) next_dlsym;

/* initial-exec: the default TLS model may call malloc on first access, and a
 * malloc interposer may call dlsym. */
static __thread int in_hook __attribute__((tls_model("initial-exec")));
static __thread int resolving __attribute__((tls_model("initial-exec")));

static dlsym_fn glibc_dlsym(void)
{
    void *found = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
#if defined(__x86_64__)
    if (!found)
        found = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
#elif defined(__aarch64__)
    if (!found)
        found = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.17");
#endif
    return (dlsym_fn)found;
}

/* Racing threads compute the same answer; the last store wins harmlessly. */
static dlsym_fn next_dlsym_get(void)
{
    dlsym_fn next = atomic_load_explicit(&next_dlsym, memory_order_acquire);
    if (next)
        return next;
    if (resolving)
        return NULL;   /* re-entered from inside dlvsym (a malloc hook) */
    resolving = 1;
    dlsym_fn glibc = glibc_dlsym();
    if (glibc) {
        /* Called from here, RTLD_NEXT means "after this library". */
        next = (dlsym_fn)glibc(RTLD_NEXT, "dlsym");
        if (!next)
            next = glibc;
        atomic_store_explicit(&next_dlsym, next, memory_order_release);
    }
    resolving = 0;
    return next;
}

void *shim_real_dlsym(void *handle, const char *name)
{
    dlsym_fn next = next_dlsym_get();
    return next ? next(handle, name) : NULL;
}

/* The names routed through shim_wrapper_for.  Only "cu" + capital letter,
 * and only these: a prefix match would also catch cudnn*, cublas*, ... */
static const char *const wrapped_names[] = {
    "cuGetProcAddress",      "cuGetProcAddress_v2",   "cuLibraryLoadData",
    "cuLibraryLoadFromFile", "cuLibraryUnload",       "cuLibraryGetKernel",
    "cuKernelGetFunction",   "cuModuleLoadData",      "cuModuleLoadDataEx",
    "cuModuleLoadFatBinary", "cuModuleLoad",          "cuModuleUnload",
    "cuModuleGetFunction",   "cuLaunchKernel",        "cuLaunchKernel_ptsz",
    "cuLaunchKernelEx",      "cuLaunchKernelEx_ptsz", "cuLibraryEnumerateKernels",
    "cuLibraryGetModule",
};

/* Plain loops rather than strcmp: this runs for every dlsym in the process,
 * also before a sanitizer runtime has set up its own string functions (it
 * looks them up with dlsym). */
static int same_text(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static int is_wrapped_name(const char *name)
{
    if (name[0] != 'c' || name[1] != 'u' || name[2] < 'A' || name[2] > 'Z')
        return 0;
    for (size_t i = 0; i < sizeof wrapped_names / sizeof wrapped_names[0]; i++)
        if (same_text(name, wrapped_names[i]))
            return 1;
    return 0;
}

static int is_python_init(const char *name)
{
    const char *prefix = "PyInit_";
    while (*prefix && *name == *prefix) {
        name++;
        prefix++;
    }
    return *prefix == '\0';
}

/* A wrapped name: look it up, then hand out our function for it.  The guard
 * makes lookups made by the shim itself meanwhile (config, repair) plain. */
static void *lookup_and_wrap(dlsym_fn next, void *handle, const char *name)
{
    in_hook = 1;
    void *found = next(handle, name);
    void *answer = found;
    if (found && !shim_mode_is(SS_MODE_OFF)) {
        if (is_python_init(name))
            answer = shim_repair_wrap_init(handle, name, found);
        else {
            shim_announce();   /* a driver entry point was resolved */
            answer = shim_wrapper_for(found);
        }
    }
    in_hook = 0;
    return answer;
}

#pragma GCC visibility push(default)
/* `name` is declared nonnull by <dlfcn.h>, as in glibc. */
void *dlsym(void *handle, const char *name)
{
    dlsym_fn next = next_dlsym_get();
    if (!next)
        return NULL;
    if (handle != RTLD_NEXT && !in_hook &&
        (is_wrapped_name(name) || is_python_init(name)))
        return lookup_and_wrap(next, handle, name);
    return next(handle, name);   /* tail call: see the top of the file */
}
#pragma GCC visibility pop
