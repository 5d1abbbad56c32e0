/* registry.c: in diagnose mode, which handle belongs to which watched or
 * observed module and kernel, and how often each kernel was launched.
 *
 * Handles (CUlibrary, CUmodule, CUkernel, CUfunction) are keys of one
 * fixed-size open-addressing table; modules and kernels are records in fixed
 * arrays that are never removed, so the summary at exit still has them.
 * Everything is bounded: past the limits new names are simply not tracked.
 * In the other modes every function returns at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/fused.h"
#include "policy.h"
#include "base/printable.h"

#define TABLE_SLOTS 16384          /* power of two */
#define TABLE_FILL_MAX (TABLE_SLOTS / 4 * 3)
#define MAX_MODULES 64
#define MAX_KERNELS 4096

enum handle_kind { HANDLE_FREE, HANDLE_OWNER, HANDLE_KERNEL };

struct handle_slot {
    void *key;
    enum handle_kind kind;
    int index;                     /* module (owner) or kernel index */
    int redirected;                /* owner: its image came from the bundle */
    int hotfixed;                  /* kernel: the hotfix image's handle */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle_slot table[TABLE_SLOTS];
static size_t table_used;
static struct shim_module_stats modules[MAX_MODULES];
static size_t nmodules;
static struct shim_kernel_stats kernels[MAX_KERNELS];
static size_t nkernels;

static atomic_ulong images_total, images_watched;

static int diagnosing(void)
{
    return shim_mode_is(SS_MODE_DIAGNOSE);
}

static size_t slot_of(const void *key)
{
    uintptr_t k = (uintptr_t)key;
    k ^= k >> 17;
    k *= 0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 20) & (TABLE_SLOTS - 1);
}

/* The slot holding key, or the free slot where it would go. */
static struct handle_slot *find_slot(const void *key)
{
    size_t i = slot_of(key);
    while (table[i].kind != HANDLE_FREE && table[i].key != key)
        i = (i + 1) & (TABLE_SLOTS - 1);
    return &table[i];
}

static struct handle_slot *lookup(const void *key)
{
    struct handle_slot *s = find_slot(key);
    return s->kind == HANDLE_FREE ? NULL : s;
}

/* Insert or overwrite (a handle value the driver hands out again after an
 * unload belongs to whatever was named last). */
static void store(void *key, enum handle_kind kind, int index, int redirected, int hotfixed)
{
    struct handle_slot *s = find_slot(key);
    if (s->kind == HANDLE_FREE) {
        if (table_used >= TABLE_FILL_MAX)
            return;
        table_used++;
    }
    s->key = key;
    s->kind = kind;
    s->index = index;
    s->redirected = redirected;
    s->hotfixed = hotfixed;
}

/* Linear probing removal: move later members of the cluster back so every
 * key stays reachable from its home slot. */
static void forget(const void *key)
{
    struct handle_slot *s = find_slot(key);
    if (s->kind == HANDLE_FREE)
        return;
    size_t hole = (size_t)(s - table);
    size_t i = hole;
    s->kind = HANDLE_FREE;
    table_used--;
    for (;;) {
        i = (i + 1) & (TABLE_SLOTS - 1);
        if (table[i].kind == HANDLE_FREE)
            return;
        size_t home = slot_of(table[i].key);
        /* Move it when its home is not within (hole, i] cyclically. */
        int stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
        if (!stays) {
            table[hole] = table[i];
            table[i].kind = HANDLE_FREE;
            hole = i;
        }
    }
}

static int module_index(const char *name, int observed)
{
    for (size_t i = 0; i < nmodules; i++)
        if (strcmp(modules[i].name, name) == 0)
            return (int)i;
    if (nmodules >= MAX_MODULES)
        return -1;
    struct shim_module_stats *m = &modules[nmodules];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->observed = observed;
    return (int)nmodules++;
}

static int kernel_index(int module, const char *name, int redirected, int hotfixed)
{
    for (size_t i = 0; i < nkernels; i++)
        if (kernels[i].module == module && kernels[i].redirected == redirected &&
            kernels[i].hotfixed == hotfixed && strcmp(kernels[i].name, name) == 0)
            return (int)i;
    if (nkernels >= MAX_KERNELS)
        return -1;
    char *copy = strdup(name);
    /* The name comes from the program or the image: escaped here, once, so
     * the line of each launch needs no escaping (shim_log_printable_text). */
    size_t len = strlen(name), shown_cap = 4 * len + 1;
    char *shown = malloc(shown_cap);
    if (!copy || !shown) {
        free(copy);
        free(shown);
        return -1;
    }
    ss_printable(shown, shown_cap, name, len);
    struct shim_kernel_stats *k = &kernels[nkernels];
    memset(k, 0, sizeof *k);
    k->name = copy;
    k->shown = shown;
    k->module = module;
    k->redirected = redirected;
    k->hotfixed = hotfixed;
    /* Known _fused kernels: their launches are checked for 32-bit wraps. */
    k->fused = ss_fused_find(name) != NULL;
    return (int)nkernels++;
}

void shim_count_image_seen(int watched)
{
    atomic_fetch_add(&images_total, 1);
    if (watched)
        atomic_fetch_add(&images_watched, 1);
}

void shim_images_seen(unsigned long *total, unsigned long *watched)
{
    *total = atomic_load(&images_total);
    *watched = atomic_load(&images_watched);
}

void shim_registry_loaded(void *handle, const struct shim_load_note *note)
{
    if (!diagnosing() || !handle)
        return;
    pthread_mutex_lock(&registry_lock);
    int m = module_index(note->module, note->observed);
    if (m >= 0) {
        modules[m].loads++;
        if (note->redirected)
            modules[m].redirected_loads++;
        if (note->outcome)
            snprintf(modules[m].outcome, sizeof modules[m].outcome, "%s", note->outcome);
        store(handle, HANDLE_OWNER, m, note->redirected, 0);
    }
    pthread_mutex_unlock(&registry_lock);
}

void shim_registry_unloaded(void *handle)
{
    if (!diagnosing() || !handle)
        return;
    pthread_mutex_lock(&registry_lock);
    forget(handle);
    pthread_mutex_unlock(&registry_lock);
}

void shim_kernel_named(void *owner, int owner_is_library, const char *name, void *handle,
                       int hotfixed)
{
    if (!diagnosing() || !owner || !handle || !name)
        return;
    pthread_mutex_lock(&registry_lock);
    struct handle_slot *o = lookup(owner);
    if (o && o->kind == HANDLE_OWNER) {
        int k = kernel_index(o->index, name, o->redirected, hotfixed);
        if (k >= 0)
            store(handle, HANDLE_KERNEL, k, o->redirected, hotfixed);
    } else {
        /* An unwatched kernel may reuse the value of an unloaded one. */
        forget(handle);
    }
    pthread_mutex_unlock(&registry_lock);
}

void shim_handle_alias(void *handle, void *same_as)
{
    if (!diagnosing() || !handle || !same_as || handle == same_as)
        return;
    pthread_mutex_lock(&registry_lock);
    struct handle_slot *s = lookup(same_as);
    if (s) {
        struct handle_slot copy = *s;
        store(handle, copy.kind, copy.index, copy.redirected, copy.hotfixed);
    } else {
        forget(handle);
    }
    pthread_mutex_unlock(&registry_lock);
}

static int current_device(void)
{
    const struct shim_real *real = shim_real();
    CUdevice dev = 0;
    if (real && real->cuCtxGetDevice && real->cuCtxGetDevice(&dev) == CUDA_SUCCESS)
        return (int)dev;
    return 0;
}

void shim_launch_seen(const struct shim_launch_info *launch)
{
    if (!diagnosing() || !launch)
        return;
    const char *name = NULL, *shown = NULL;
    int redirected = 0, hotfixed = 0, fused = 0;
    size_t index = 0;
    /* Most launches in a process (PyTorch, cuBLAS) are not ours: find out
     * with one lookup before asking the driver anything. */
    pthread_mutex_lock(&registry_lock);
    struct handle_slot *s = lookup(launch->function);
    if (s && s->kind == HANDLE_KERNEL) {
        index = s->index;
        /* Kernel names are never freed, so the pointers outlive the lock. */
        name = kernels[index].name;
        shown = kernels[index].shown;
        redirected = kernels[index].redirected;
        hotfixed = kernels[index].hotfixed;
        fused = kernels[index].fused;
    }
    pthread_mutex_unlock(&registry_lock);
    if (!name)
        return;

    /* Would upstream's 32-bit offsets have wrapped on this launch? */
    int wraps = fused && launch->result == 0
                    ? ss_fused_launch_wraps(name, launch->params, launch->grid, launch->block)
                    : -1;
    int dev = current_device();
    /* Ask for the devices now (cached after the first time): the summary at
     * exit must not call the driver, and a process with only observed
     * modules never asked during a load. */
    struct shim_devices devices;
    char why[128];
    shim_devices(&devices, why, sizeof why);
    pthread_mutex_lock(&registry_lock);
    struct shim_kernel_stats *k = &kernels[index];
    if (dev >= 0 && dev < SHIM_MAX_DEVICES)
        k->launches[dev]++;
    if (launch->result != 0)
        k->failed++;
    if (wraps == 1)
        k->past_32bit++;
    pthread_mutex_unlock(&registry_lock);

    enum ss_log_level level = launch->result == 0 ? SS_LOG_INFO : SS_LOG_WARN;
    if (!shim_log_enabled(level))
        return;
    char line[2048];
    size_t len = shim_format_launch(line, sizeof line, launch, dev, shown, redirected, hotfixed);
    shim_log_printable_text(level, line, len);
}

void shim_registry_walk(void (*fn)(void *ctx, const struct shim_module_stats *mods,
                                   size_t nmods, const struct shim_kernel_stats *ks,
                                   size_t nks),
                        void *ctx)
{
    pthread_mutex_lock(&registry_lock);
    fn(ctx, modules, nmodules, kernels, nkernels);
    pthread_mutex_unlock(&registry_lock);
}

/* A forked child has one thread: a lock another thread held at the fork
 * is released by nobody. */
static void reset_lock_in_child(void)
{
    pthread_mutex_init(&registry_lock, NULL);
}

__attribute__((constructor)) static void registry_register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, reset_lock_in_child);
}
