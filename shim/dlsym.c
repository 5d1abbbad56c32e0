/* dlsym.c: the dlsym override.
 *
 * The CUDA runtime takes nothing from libcuda's symbol table but
 * cuGetProcAddress_v2, fetched with dlsym; PyTorch fetches a few cu* names the
 * same way, and CPython fetches PyInit_<name> from every extension it imports.
 * So the process's dlsym is ours: it answers those names with wrappers and
 * everything else with exactly what the real dlsym answers.
 *
 * The dlsym it forwards to is real.c's shim_next_dlsym(): the next
 * preloaded interposer's, or glibc's.  The override can be called before our
 * constructor ran, from any thread, and from inside the dynamic loader, so
 * nothing on its path waits on a lock.
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
#include <stddef.h>

#include "interpose.h"

/* initial-exec: the default TLS model may call malloc on first access, and a
 * malloc interposer may call dlsym. */
static __thread int in_hook __attribute__((tls_model("initial-exec")));

/* The names routed through shim_wrapper_for: every call hooks.def hands out
 * a wrapper for.  Only these ("cu" + capital letter): a prefix match would
 * also catch cudnn*, cublas*, ... */
static const char *const wrapped_names[] = {
#define SHIM_CALL(name, handed_out, exported, params, args) WRAPPED_NAME_##handed_out(name)
#define WRAPPED_NAME_NEVER(name)
#define WRAPPED_NAME_ACTIVE(name) #name,
#define WRAPPED_NAME_DIAGNOSE(name) #name,
#include "hooks.def"
#undef SHIM_CALL
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
static void *lookup_and_wrap(shim_dlsym_fn next, void *handle, const char *name)
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
    shim_dlsym_fn next = shim_next_dlsym();
    if (!next)
        return NULL;
    if (handle != RTLD_NEXT && !in_hook &&
        (is_wrapped_name(name) || is_python_init(name)))
        return lookup_and_wrap(next, handle, name);
    return next(handle, name);   /* tail call: see the top of the file */
}
#pragma GCC visibility pop
