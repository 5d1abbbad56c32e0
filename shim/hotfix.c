/* hotfix.c: the hotfix images loaded beside the originals, and the kernel
 * lookups that hand out their kernels.
 *
 * When a load's plan (plan.h) hot-fixes kernels, the hotfix fatbin is loaded
 * once for that original with the same API family (a CUlibrary beside a
 * CUlibrary, a CUmodule beside a CUmodule) and unloaded with it.  Every
 * lookup of a hot-fixed kernel by name - cuLibraryGetKernel,
 * cuLibraryEnumerateKernels, cuModuleGetFunction on the module or on the
 * library's module (cuLibraryGetModule) - then answers with the hotfix
 * image's kernel of that name, so launches, cuKernelGetFunction and
 * attributes set on the handle all reach it with no per-launch work.
 *
 * Records live in a small list under one lock; an atomic count lets every
 * lookup of a process without hotfixes return after one load. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "policy.h"

struct hotfix_record {
    void *owner;              /* the original CUlibrary / CUmodule */
    int is_library;
    void *image;              /* the hotfix CUlibrary / CUmodule */
    /* library: the original's CUmodules handed out by cuLibraryGetModule,
     * one per context (the CUDA 12.x runtime asks once per device). */
    void *views[SHIM_MAX_DEVICES];
    size_t nviews;
    char module[256];
    size_t nnames;
    char **names;             /* hot-fixed kernels */
    struct hotfix_record *next;
};

static pthread_mutex_t hotfix_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hotfix_record *records;
static atomic_size_t nrecords;

static void free_record(struct hotfix_record *rec)
{
    for (size_t i = 0; i < rec->nnames; i++)
        free(rec->names[i]);
    free(rec->names);
    free(rec);
}

static int hot_fixed(const struct hotfix_record *rec, const char *name)
{
    for (size_t i = 0; i < rec->nnames; i++)
        if (strcmp(rec->names[i], name) == 0)
            return 1;
    return 0;
}

/* The record of an original library or module (or a library's module). */
static struct hotfix_record *find(void *owner, int *via_view)
{
    for (struct hotfix_record *rec = records; rec; rec = rec->next) {
        if (rec->owner == owner) {
            *via_view = 0;
            return rec;
        }
        for (size_t v = 0; v < rec->nviews; v++) {
            if (rec->views[v] == owner) {
                *via_view = 1;
                return rec;
            }
        }
    }
    return NULL;
}

void shim_hotfix_attach(void *owner, int is_library, const struct ss_plan *plan)
{
    if (!owner || !plan || plan->nhotfixed == 0 || plan->dry_run || !plan->hotfix_file)
        return;
    const struct shim_real *r = shim_real();
    struct hotfix_record *rec = calloc(1, sizeof *rec);
    if (rec)
        rec->names = calloc(plan->nhotfixed, sizeof *rec->names);
    if (!r || !rec || !rec->names) {
        shim_log(SS_LOG_WARN, "hotfix %s: out of memory; original kernels kept", plan->module);
        if (rec)
            free(rec->names);
        free(rec);
        return;
    }
    for (size_t k = 0; k < plan->nkernels; k++) {
        if (!plan->kernels[k].hotfixed)
            continue;
        rec->names[rec->nnames] = strdup(plan->kernels[k].name);
        if (!rec->names[rec->nnames]) {
            shim_log(SS_LOG_WARN, "hotfix %s: out of memory; original kernels kept",
                     plan->module);
            free_record(rec);
            return;
        }
        rec->nnames++;
    }
    /* The bundle stays open for the life of the process, so the driver may
     * read the bytes whenever it likes (lazy loading). */
    const void *bytes = plan->hotfix_file->bytes;
    CUresult result = CUDA_ERROR_NOT_FOUND;
    if (is_library && r->cuLibraryLoadData)
        result = r->cuLibraryLoadData((CUlibrary *)&rec->image, bytes, NULL, NULL, 0, NULL,
                                      NULL, 0);
    else if (!is_library && r->cuModuleLoadData)
        result = r->cuModuleLoadData((CUmodule *)&rec->image, bytes);
    if (result != CUDA_SUCCESS || !rec->image) {
        shim_log(SS_LOG_WARN, "hotfix %s: the driver refused %s (%s, result %d); original "
                 "kernels kept", plan->module, plan->hotfix_file->item->file,
                 is_library ? "cuLibraryLoadData" : "cuModuleLoadData", (int)result);
        free_record(rec);
        return;
    }
    rec->owner = owner;
    rec->is_library = is_library;
    snprintf(rec->module, sizeof rec->module, "%s", plan->module);
    pthread_mutex_lock(&hotfix_lock);
    rec->next = records;
    records = rec;
    atomic_fetch_add(&nrecords, 1);
    pthread_mutex_unlock(&hotfix_lock);
}

void shim_hotfix_detach(void *owner)
{
    if (!owner || atomic_load(&nrecords) == 0)
        return;
    struct hotfix_record *found = NULL;
    pthread_mutex_lock(&hotfix_lock);
    for (struct hotfix_record **p = &records; *p; p = &(*p)->next) {
        if ((*p)->owner == owner) {
            found = *p;
            *p = found->next;
            atomic_fetch_sub(&nrecords, 1);
            break;
        }
    }
    pthread_mutex_unlock(&hotfix_lock);
    if (!found)
        return;
    const struct shim_real *r = shim_real();
    if (r && found->is_library && r->cuLibraryUnload)
        r->cuLibraryUnload((CUlibrary)found->image);
    else if (r && !found->is_library && r->cuModuleUnload)
        r->cuModuleUnload((CUmodule)found->image);
    free_record(found);
}

void shim_hotfix_view(void *view, void *library)
{
    if (!view || atomic_load(&nrecords) == 0)
        return;
    pthread_mutex_lock(&hotfix_lock);
    for (struct hotfix_record *rec = records; rec; rec = rec->next) {
        if (rec->owner != library || !rec->is_library)
            continue;
        int known = 0;
        for (size_t v = 0; v < rec->nviews; v++)
            known |= rec->views[v] == view;
        if (known)
            continue;
        if (rec->nviews < SHIM_MAX_DEVICES)
            rec->views[rec->nviews++] = view;
        else   /* more contexts than devices: this one keeps the original kernels */
            shim_log(SS_LOG_WARN, "hotfix %s: more than %d modules of one library; the "
                     "original kernels are used in this context", rec->module, SHIM_MAX_DEVICES);
    }
    pthread_mutex_unlock(&hotfix_lock);
}

/* The hotfix image's handle for `name`, asked from the driver.  Called
 * under the lock: records cannot be unloaded meanwhile. */
static void *replacement(const struct shim_real *r, struct hotfix_record *rec, int via_view,
                         int want_kernel, const char *name)
{
    if (!rec->is_library) {
        CUfunction f = NULL;
        if (r->cuModuleGetFunction &&
            r->cuModuleGetFunction(&f, (CUmodule)rec->image, name) == CUDA_SUCCESS)
            return f;
        return NULL;
    }
    if (want_kernel || !via_view) {
        CUkernel k = NULL;
        if (r->cuLibraryGetKernel &&
            r->cuLibraryGetKernel(&k, (CUlibrary)rec->image, name) == CUDA_SUCCESS)
            return k;
        return NULL;
    }
    /* The hotfix library's module for the current context, asked each time:
     * a module belongs to one context, and the caller's context is the one
     * its own cuLibraryGetModule answered for (a lookup, not a launch). */
    CUmodule m = NULL;
    if (!r->cuLibraryGetModule ||
        r->cuLibraryGetModule(&m, (CUlibrary)rec->image) != CUDA_SUCCESS || !m)
        return NULL;
    CUfunction f = NULL;
    if (r->cuModuleGetFunction &&
        r->cuModuleGetFunction(&f, m, name) == CUDA_SUCCESS)
        return f;
    return NULL;
}

void *shim_hotfix_lookup(void *owner, int want_kernel, const char *name, void *original)
{
    if (atomic_load_explicit(&nrecords, memory_order_acquire) == 0 || !owner || !name)
        return original;
    const struct shim_real *r = shim_real();
    if (!r)
        return original;
    void *given = original;
    int via_view = 0;
    pthread_mutex_lock(&hotfix_lock);
    struct hotfix_record *rec = find(owner, &via_view);
    if (rec && hot_fixed(rec, name)) {
        void *h = replacement(r, rec, via_view, want_kernel, name);
        if (h)
            given = h;
        else
            shim_log(SS_LOG_WARN, "hotfix %s: the hotfix image has no %s; the original is used",
                     rec->module, name);
    }
    pthread_mutex_unlock(&hotfix_lock);
    return given;
}

int shim_hotfix_active(void)
{
    return atomic_load_explicit(&nrecords, memory_order_acquire) != 0;
}

static void hotfix_after_fork_in_child(void)
{
    pthread_mutex_init(&hotfix_lock, NULL);
}

__attribute__((constructor)) static void hotfix_start(void)
{
    pthread_atfork(NULL, NULL, hotfix_after_fork_in_child);
}
