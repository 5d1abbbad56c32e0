/* real.c: the real driver entry points, resolved once from libcuda.so.1,
 * and the dlsym after ours, through which every lookup the shim makes for
 * itself goes.  The bottom layer: it calls nothing else of the shim.
 *
 * No lock and no pthread_once anywhere here: both are first asked for from
 * inside the dlsym override, possibly while the loader lock is held by a
 * dlopen in another thread, and waiting there could deadlock.  Instead each
 * result is computed by whichever thread finds none and published with an
 * atomic; racing threads compute the same answer.
 *
 * The next-dlsym functions are built without sanitizer instrumentation, like
 * all of dlsym.c: the override calls shim_next_dlsym() for every dlsym in the
 * process, and the sanitizer runtimes call dlsym while they initialise,
 * before instrumented code may run.  The table below them is instrumented as
 * usual (ThreadSanitizer must see its publication). */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "interpose.h"

/* ---- the next dlsym ---------------------------------------------------------- */

#define NOT_INSTRUMENTED __attribute__((no_sanitize("address", "undefined", "thread")))

static _Atomic(shim_dlsym_fn) next_dlsym;

/* initial-exec: the default TLS model may call malloc on first access, and a
 * malloc interposer may call dlsym. */
static __thread int resolving __attribute__((tls_model("initial-exec")));

/* Which dlsym is "next": glibc's is found with dlvsym (which we do not
 * override, so no recursion), then asked for dlsym(RTLD_NEXT, "dlsym") from
 * inside this library, which is the next preloaded interposer's dlsym when
 * there is one (so tracers preloaded after us keep working) and glibc's own
 * otherwise. */
NOT_INSTRUMENTED static shim_dlsym_fn glibc_dlsym(void)
{
    void *found = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
#if defined(__x86_64__)
    if (!found)
        found = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
#elif defined(__aarch64__)
    if (!found)
        found = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.17");
#endif
    return (shim_dlsym_fn)found;
}

/* Racing threads compute the same answer; the last store wins harmlessly. */
NOT_INSTRUMENTED shim_dlsym_fn shim_next_dlsym(void)
{
    shim_dlsym_fn next = atomic_load_explicit(&next_dlsym, memory_order_acquire);
    if (next)
        return next;
    if (resolving)
        return NULL;   /* re-entered from inside dlvsym (a malloc hook) */
    resolving = 1;
    shim_dlsym_fn glibc = glibc_dlsym();
    if (glibc) {
        /* Called from here, RTLD_NEXT means "after this library". */
        next = (shim_dlsym_fn)glibc(RTLD_NEXT, "dlsym");
        if (!next)
            next = glibc;
        atomic_store_explicit(&next_dlsym, next, memory_order_release);
    }
    resolving = 0;
    return next;
}

NOT_INSTRUMENTED void *shim_real_dlsym(void *handle, const char *name)
{
    shim_dlsym_fn next = shim_next_dlsym();
    return next ? next(handle, name) : NULL;
}

/* ---- the table of real functions (hooks.def) --------------------------------- */

static _Atomic(struct shim_real *) published;

/* Function pointers come back from dlsym as void *; POSIX guarantees the
 * conversion, the casts only spell out each type. */
static void fill_table(struct shim_real *r, void *h)
{
    r->libcuda = h;
#define SHIM_CALL(name, handed_out, exported, params, args) \
    r->name = (shim_##name##_t)shim_real_dlsym(h, #name);
#include "hooks.def"
#undef SHIM_CALL
}

/* Every thread that finds no table builds one and tries to publish it with a
 * compare-and-swap; a thread that loses the race drops its copy and uses the
 * winner's.  Building twice costs a dlopen and a few dlsym calls. */
const struct shim_real *shim_real(void)
{
    struct shim_real *table = atomic_load_explicit(&published, memory_order_acquire);
    if (table)
        return table;

    /* RTLD_NOLOAD first: the process normally has the driver loaded already,
     * and we should not be the ones to load it into a process that has not. */
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    if (!h)
        h = dlopen("libcuda.so.1", RTLD_NOW);
    if (!h)
        return NULL;   /* not cached: a later call may find the driver */

    struct shim_real *mine = calloc(1, sizeof *mine);
    if (!mine) {
        dlclose(h);
        return NULL;
    }
    fill_table(mine, h);

    struct shim_real *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&published, &expected, mine,
                                                memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    dlclose(h);
    free(mine);
    return expected;
}
