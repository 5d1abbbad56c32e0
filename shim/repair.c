/* repair.c: the PyInit_ wrapper that restores SageAttention's sm90 op.
 *
 * SageAttention 2.2.0's sm90_compile.py defines a custom op and then its fake
 * under the same Python name, so the module attribute ends up bound to the
 * fake and no attention kernel ever runs (docs: sageattention.md).  When the
 * importer looks up PyInit_<name> of a watched extension module we hand out a
 * wrapper; after the real init returns (sm90_compile is then executing its
 * first line) the wrapper runs a few lines of Python (repair_py.c) that make
 * torch.library.register_fake return the op, not the fake, for exactly that
 * clash.  The Python is reached through the C API found in the process at run
 * time: the library does not link against libpython. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repair.h"
#include "shim.h"

/* Several extension modules may be watched; each gets one slot with its own
 * wrapper function below (a wrapper takes no arguments, so it can only find
 * its real init through which function it is). */
#define REPAIR_SLOTS 4

struct repair_slot {
    repair_init_fn real;
    char module[128];        /* dotted name, for the log */
    char package[128];       /* "sageattention" */
};

static struct {
    pthread_mutex_t lock;
    struct repair_slot slots[REPAIR_SLOTS];
    size_t used;
    int logged_off;
} repair_state = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A child forked while another thread held the lock (a dlsym of a PyInit_
 * in progress) would wait for it forever: the child starts it free. */
static void repair_after_fork_in_child(void)
{
    pthread_mutex_init(&repair_state.lock, NULL);
}

__attribute__((constructor)) static void repair_watch_forks(void)
{
    pthread_atfork(NULL, NULL, repair_after_fork_in_child);
}

static void *run_slot(struct repair_slot *slot)
{
    void *module = slot->real();
    /* A failed init has an exception pending and nothing to repair.  A
     * Ctrl-C during the repair fails the init as one during it would have:
     * NULL with the exception set (the reference is released already). */
    if (module && repair_py_after_init(slot->module, slot->package, module) != 0)
        return NULL;
    return module;
}

static void *init_slot0(void) { return run_slot(&repair_state.slots[0]); }
static void *init_slot1(void) { return run_slot(&repair_state.slots[1]); }
static void *init_slot2(void) { return run_slot(&repair_state.slots[2]); }
static void *init_slot3(void) { return run_slot(&repair_state.slots[3]); }

static void *const slot_wrappers[REPAIR_SLOTS] = {
    (void *)init_slot0, (void *)init_slot1, (void *)init_slot2, (void *)init_slot3,
};

/* Does the directory holding `path` end with the package's components, e.g.
 * ".../sageattention/_qattn_sm90.cpython-311-x86_64-linux-gnu.so" for the
 * package "sageattention"?  `package` is dotted ("a.b" -> ".../a/b/x.so"). */
static int path_in_package(const char *path, const char *package, size_t package_len)
{
    const char *end = strrchr(path, '/');       /* end of the directory part */
    if (!end)
        return 0;
    size_t remaining = package_len;
    while (remaining > 0) {
        /* last dotted component of package[0, remaining) */
        size_t start = remaining;
        while (start > 0 && package[start - 1] != '.')
            start--;
        size_t component_len = remaining - start;
        /* last path component before `end` */
        const char *dir = end;
        while (dir > path && dir[-1] != '/')
            dir--;
        if ((size_t)(end - dir) != component_len
            || memcmp(dir, package + start, component_len) != 0)
            return 0;
        if (start == 0)
            return 1;
        if (dir == path)
            return 0;
        end = dir - 1;
        remaining = start - 1;
    }
    return 0;
}

/* The configured module ("sageattention._qattn_sm90") that `symbol` and the
 * file holding `real` belong to, or NULL. */
static const char *watched_module(const struct ss_config *cfg, const char *symbol, void *real)
{
    const char *init_name = symbol + strlen("PyInit_");
    Dl_info info;
    if (!dladdr(real, &info) || !info.dli_fname)
        return NULL;
    for (size_t i = 0; i < cfg->nrepair_modules; i++) {
        const char *module = cfg->repair_modules[i];
        const char *dot = strrchr(module, '.');
        if (!dot || strcmp(dot + 1, init_name) != 0)
            continue;
        size_t package_len = (size_t)(dot - module);
        if (path_in_package(info.dli_fname, module, package_len))
            return module;
        /* The path as loaded may be relative or too short; try the real one. */
        char resolved[PATH_MAX];
        if (realpath(info.dli_fname, resolved)
            && path_in_package(resolved, module, package_len))
            return module;
    }
    return NULL;
}

/* The wrapper handed out for `real` (claiming a slot), or NULL. */
static void *wrapper_for(const char *module, repair_init_fn real)
{
    void *wrapper = NULL;
    pthread_mutex_lock(&repair_state.lock);
    for (size_t i = 0; i < repair_state.used; i++) {
        if (repair_state.slots[i].real == real) {
            wrapper = slot_wrappers[i];
            break;
        }
    }
    if (!wrapper && repair_state.used < REPAIR_SLOTS) {
        struct repair_slot *slot = &repair_state.slots[repair_state.used];
        slot->real = real;
        snprintf(slot->module, sizeof slot->module, "%s", module);
        size_t package_len = (size_t)(strrchr(module, '.') - module);
        if (package_len >= sizeof slot->package)
            package_len = sizeof slot->package - 1;
        memcpy(slot->package, module, package_len);
        slot->package[package_len] = '\0';
        wrapper = slot_wrappers[repair_state.used];
        repair_state.used++;
    }
    pthread_mutex_unlock(&repair_state.lock);
    return wrapper;
}

/* Log "repair off" once per process (not once per lookup). */
static int first_time_off(void)
{
    pthread_mutex_lock(&repair_state.lock);
    int first = !repair_state.logged_off;
    repair_state.logged_off = 1;
    pthread_mutex_unlock(&repair_state.lock);
    return first;
}

void *shim_repair_wrap_init(void *handle, const char *symbol, void *real)
{
    (void)handle;
    if (!real || !symbol || strncmp(symbol, "PyInit_", strlen("PyInit_")) != 0)
        return real;
    const struct ss_config *cfg = shim_config();
    if (!cfg)
        return real;
    const char *module = watched_module(cfg, symbol, real);
    if (!module)
        return real;
    shim_announce();   /* a watched Python module is being imported */
    if (!cfg->repair) {
        if (first_time_off())
            shim_log(SS_LOG_INFO, "repair off: %s loaded as is", module);
        return real;
    }
    void *wrapper = wrapper_for(module, (repair_init_fn)real);
    if (!wrapper) {
        shim_log(SS_LOG_WARN, "repair: no free slot for %s; not watched", module);
        return real;
    }
    shim_log(SS_LOG_DEBUG, "repair: watching the init of %s", module);
    return wrapper;
}
