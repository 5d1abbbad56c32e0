/* fakecuda.c: a test double of libcuda.so.1 for the CPU tests of the preload
 * library.  It parses every image it is given with the core library, picks
 * the entry a device of the current compute capability would run, and writes
 * one line per call to $FAKECUDA_LOG so tests can see exactly which bytes
 * reached "the driver":
 *
 *   load api=<fn> ptr=<p> bytes=<n> sha256=<hex> kernels=<n> entry=<arch> entry_sha256=<hex> [path=<file>]
 *   load-failed api=<fn> reason=<text>
 *   kernel name=<name> entry=<arch> image=<id>   (nokernel ... when not in the entry)
 *   launch name=<name> grid=x,y,z block=x,y,z smem=<n> api=<fn> [cluster=x,y,z] image=<id>
 *   unload api=<fn>
 *
 * sha256 is over the measured image (for a host wrapper: the container it
 * points to; for a file: the whole file); entry_sha256 over the selected
 * entry's stored bytes (header + payload).  <id> is the first 16 hex digits of
 * the sha256 of the load that made the kernel's library or module, so a test
 * can tell which image a launched kernel came from.
 *
 * Devices come from FAKECUDA_DEVICES ("9.0,8.9"; default "9.0"), the current
 * one from FAKECUDA_CURRENT (index, default 0).
 *
 * Linked with -Bsymbolic (module.mk): like the real driver, the pointers its
 * cuGetProcAddress hands out are its own functions even though the preload
 * library exports the same names. */
#include <cuda.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader/image.h"
#include "reader/select.h"
#include "base/sha256.h"

#undef cuGetProcAddress

#pragma GCC visibility push(default)
CUresult cuGetProcAddress(const char *symbol, void **pfn, int version, cuuint64_t flags);
CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                             unsigned bx, unsigned by, unsigned bz, unsigned smem,
                             CUstream stream, void **params, void **extra);
CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f, void **params,
                               void **extra);
int cudnnCreate(void **handle);
void *fakecuda_address_of(const char *name, int version, int per_thread);
#pragma GCC visibility pop

#define MODULE_MAGIC 0x464d4f44u   /* "FMOD" */
#define VIEW_MAGIC 0x46564957u     /* "FVIW" */
#define KERNEL_MAGIC 0x464b524eu   /* "FKRN" */

struct fake_kernel {
    uint32_t magic;
    struct fake_module *owner;
    char *name;
    struct fake_kernel *next;
};

/* The CUmodule cuLibraryGetModule hands out: a handle of its own, as in the
 * real driver, that leads back to its library. */
struct fake_view {
    uint32_t magic;
    struct fake_module *library;
    int context;               /* the context it was handed out in */
};

/* Contexts: FAKE_CONTEXT (0 or 1, read at each call) names the calling
 * thread's current context, so a client can act as the CUDA 12.x runtime
 * does with two devices: one cuLibraryGetModule per context, and a
 * module of one context refused in the other. */
#define FAKE_CONTEXTS 2
static int current_context(void)
{
    const char *c = getenv("FAKE_CONTEXT");
    return c && *c == '1' ? 1 : 0;
}

struct fake_module {
    uint32_t magic;
    int is_library;
    struct ss_image image;
    uint8_t *file_bytes;       /* owned copy for file loads */
    const struct ss_entry *entry;
    char arch[32];
    char image_id[17];         /* first 16 hex digits of the load's sha256 */
    pthread_mutex_t lock;      /* guards kernels */
    struct fake_kernel *kernels;
    struct fake_view view[FAKE_CONTEXTS];   /* libraries only, one per context */
};

/* ---- log ------------------------------------------------------------------ */

/* One write(2) per line on an O_APPEND descriptor: lines from concurrent
 * threads never interleave. */
static void fake_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fake_log(const char *fmt, ...)
{
    const char *path = getenv("FAKECUDA_LOG");
    if (!path || !*path)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t written = write(fd, line, (size_t)n);
    (void)written;
    close(fd);
}

/* ---- devices -------------------------------------------------------------- */

#define MAX_DEVICES 8

struct device_list {
    int count;
    int major[MAX_DEVICES], minor[MAX_DEVICES];
};

static void read_devices(struct device_list *list)
{
    const char *spec = getenv("FAKECUDA_DEVICES");
    if (!spec || !*spec)
        spec = "9.0";
    list->count = 0;
    const char *p = spec;
    while (*p && list->count < MAX_DEVICES) {
        int major = 0, minor = 0, used = 0;
        if (sscanf(p, "%d.%d%n", &major, &minor, &used) != 2)
            break;
        list->major[list->count] = major;
        list->minor[list->count] = minor;
        list->count++;
        p += used;
        if (*p == ',')
            p++;
    }
}

static int current_device(void)
{
    const char *s = getenv("FAKECUDA_CURRENT");
    return s && *s ? atoi(s) : 0;
}

CUresult cuInit(unsigned flags)
{
    return flags == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuDriverGetVersion(int *version)
{
    if (!version)
        return CUDA_ERROR_INVALID_VALUE;
    *version = 13000;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count)
{
    struct device_list list;
    if (!count)
        return CUDA_ERROR_INVALID_VALUE;
    read_devices(&list);
    *count = list.count;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal)
{
    struct device_list list;
    read_devices(&list);
    if (!device)
        return CUDA_ERROR_INVALID_VALUE;
    if (ordinal < 0 || ordinal >= list.count)
        return CUDA_ERROR_INVALID_DEVICE;
    *device = ordinal;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attr, CUdevice device)
{
    struct device_list list;
    read_devices(&list);
    if (!value)
        return CUDA_ERROR_INVALID_VALUE;
    if (device < 0 || device >= list.count)
        return CUDA_ERROR_INVALID_DEVICE;
    if (attr == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
        *value = list.major[device];
    else if (attr == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
        *value = list.minor[device];
    else
        return CUDA_ERROR_INVALID_VALUE;
    return CUDA_SUCCESS;
}

CUresult cuCtxGetDevice(CUdevice *device)
{
    struct device_list list;
    read_devices(&list);
    int current = current_device();
    if (!device)
        return CUDA_ERROR_INVALID_VALUE;
    if (current < 0 || current >= list.count)
        return CUDA_ERROR_INVALID_CONTEXT;
    *device = current;
    return CUDA_SUCCESS;
}

/* Not a driver function: lets tests check that "cu" + lower case names are
 * passed through untouched. */
int cudnnCreate(void **handle)
{
    if (handle)
        *handle = NULL;
    return 0;
}

/* ---- loading -------------------------------------------------------------- */

static void free_module(struct fake_module *m)
{
    struct fake_kernel *k = m->kernels;
    while (k) {
        struct fake_kernel *next = k->next;
        k->magic = 0;
        free(k->name);
        free(k);
        k = next;
    }
    ss_image_free(&m->image);
    free(m->file_bytes);
    pthread_mutex_destroy(&m->lock);
    m->magic = 0;
    free(m);
}

/* Pick the entry for the current device and log the load.  Takes ownership
 * of m; returns the result code and the handle through *out. */
static CUresult finish_load(const char *api, struct fake_module *m, const void *ptr,
                            const uint8_t *measured, size_t nbytes, const char *path,
                            void **out)
{
    struct device_list list;
    read_devices(&list);
    int dev = current_device();
    if (dev < 0 || dev >= list.count) {
        fake_log("load-failed api=%s reason=no-current-device", api);
        free_module(m);
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    char sha[65], entry_sha[65] = "none";
    ss_sha256_hex(measured, nbytes, sha);
    snprintf(m->image_id, sizeof m->image_id, "%.16s", sha);
    const struct ss_container *c = &m->image.containers[0];
    int index = ss_select_entry(c, list.major[dev], list.minor[dev], 0);
    size_t nkernels = 0;
    snprintf(m->arch, sizeof m->arch, "none");
    if (index >= 0) {
        m->entry = &c->entries[index];
        ss_entry_arch_name(m->entry, m->arch, sizeof m->arch);
        ss_sha256_hex(m->entry->bytes, m->entry->size, entry_sha);
        nkernels = m->entry->nkernels;
    }
    fake_log("load api=%s ptr=%p bytes=%zu sha256=%s kernels=%zu entry=%s entry_sha256=%s%s%s",
             api, ptr, nbytes, sha, nkernels, m->arch, entry_sha, path ? " path=" : "",
             path ? path : "");
    if (index < 0) {
        free_module(m);
        return CUDA_ERROR_NO_BINARY_FOR_GPU;
    }
    *out = m;
    return CUDA_SUCCESS;
}

static struct fake_module *new_module(int is_library)
{
    struct fake_module *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->magic = MODULE_MAGIC;
    m->is_library = is_library;
    for (int c = 0; c < FAKE_CONTEXTS; c++) {
        m->view[c].magic = VIEW_MAGIC;
        m->view[c].library = m;
        m->view[c].context = c;
    }
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

static CUresult load_memory(const char *api, const void *image, int is_library, void **out)
{
    if (!out || !image)
        return CUDA_ERROR_INVALID_VALUE;
    struct fake_module *m = new_module(is_library);
    if (!m)
        return CUDA_ERROR_OUT_OF_MEMORY;
    struct ss_error err;
    if (ss_image_parse_loaded(image, &m->image, &err) < 0 || m->image.ncontainers == 0) {
        fake_log("load-failed api=%s reason=%s", api, err.message);
        free_module(m);
        return CUDA_ERROR_INVALID_IMAGE;
    }
    /* The measured bytes start at the container a wrapper points to. */
    const uint8_t *start = image;
    uint32_t magic;
    memcpy(&magic, image, sizeof magic);
    if (magic == SS_WRAPPER_MAGIC)
        memcpy(&start, (const uint8_t *)image + 8, sizeof start);
    return finish_load(api, m, image, start, ss_image_measure(image), NULL, out);
}

static CUresult load_file(const char *api, const char *path, int is_library, void **out)
{
    if (!out || !path)
        return CUDA_ERROR_INVALID_VALUE;
    struct fake_module *m = new_module(is_library);
    if (!m)
        return CUDA_ERROR_OUT_OF_MEMORY;
    struct ss_error err;
    size_t len = 0;
    if (ss_read_file(path, &m->file_bytes, &len, &err) < 0) {
        fake_log("load-failed api=%s reason=%s", api, err.message);
        free_module(m);
        return CUDA_ERROR_FILE_NOT_FOUND;
    }
    if (ss_image_parse(m->file_bytes, len, &m->image, &err) < 0 || m->image.ncontainers == 0) {
        fake_log("load-failed api=%s reason=%s", api, err.message);
        free_module(m);
        return CUDA_ERROR_INVALID_IMAGE;
    }
    return finish_load(api, m, NULL, m->file_bytes, len, path, out);
}

static struct fake_module *as_module(void *handle, int is_library)
{
    struct fake_module *m = handle;
    if (!m)
        return NULL;
    /* Both structures start with their magic. */
    if (!is_library && m->magic == VIEW_MAGIC) {
        const struct fake_view *view = handle;
        if (view->context != current_context()) {
            fake_log("wrongcontext module-of=%d current=%d", view->context, current_context());
            return NULL;
        }
        return view->library;
    }
    if (m->magic != MODULE_MAGIC || m->is_library != is_library)
        return NULL;
    return m;
}

CUresult cuLibraryLoadData(CUlibrary *library, const void *code, CUjit_option *jit_options,
                           void **jit_values, unsigned njit, CUlibraryOption *lib_options,
                           void **lib_values, unsigned nlib)
{
    return load_memory("cuLibraryLoadData", code, 1, (void **)library);
}

CUresult cuLibraryLoadFromFile(CUlibrary *library, const char *path,
                               CUjit_option *jit_options, void **jit_values, unsigned njit,
                               CUlibraryOption *lib_options, void **lib_values, unsigned nlib)
{
    return load_file("cuLibraryLoadFromFile", path, 1, (void **)library);
}

CUresult cuModuleLoadData(CUmodule *module, const void *image)
{
    return load_memory("cuModuleLoadData", image, 0, (void **)module);
}

CUresult cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned nopts,
                            CUjit_option *options, void **values)
{
    return load_memory("cuModuleLoadDataEx", image, 0, (void **)module);
}

CUresult cuModuleLoadFatBinary(CUmodule *module, const void *fatbin)
{
    return load_memory("cuModuleLoadFatBinary", fatbin, 0, (void **)module);
}

CUresult cuModuleLoad(CUmodule *module, const char *path)
{
    return load_file("cuModuleLoad", path, 0, (void **)module);
}

static CUresult unload(const char *api, void *handle, int is_library)
{
    struct fake_module *m = as_module(handle, is_library);
    if (!m)
        return CUDA_ERROR_INVALID_HANDLE;
    fake_log("unload api=%s", api);
    free_module(m);
    return CUDA_SUCCESS;
}

CUresult cuLibraryUnload(CUlibrary library)
{
    return unload("cuLibraryUnload", library, 1);
}

CUresult cuModuleUnload(CUmodule module)
{
    return unload("cuModuleUnload", module, 0);
}

/* ---- kernels -------------------------------------------------------------- */

static CUresult get_kernel(void *handle, int is_library, const char *name, void **out)
{
    struct fake_module *m = as_module(handle, is_library);
    if (!m)
        return CUDA_ERROR_INVALID_HANDLE;
    if (!out || !name)
        return CUDA_ERROR_INVALID_VALUE;
    if (!ss_entry_find_kernel(m->entry, name)) {
        fake_log("nokernel name=%s entry=%s", name, m->arch);
        return CUDA_ERROR_NOT_FOUND;
    }
    pthread_mutex_lock(&m->lock);
    struct fake_kernel *k = m->kernels;
    while (k && strcmp(k->name, name) != 0)
        k = k->next;
    if (!k) {
        k = calloc(1, sizeof *k);
        char *copy = strdup(name);
        if (!k || !copy) {
            free(k);
            free(copy);
            pthread_mutex_unlock(&m->lock);
            return CUDA_ERROR_OUT_OF_MEMORY;
        }
        k->magic = KERNEL_MAGIC;
        k->owner = m;
        k->name = copy;
        k->next = m->kernels;
        m->kernels = k;
    }
    pthread_mutex_unlock(&m->lock);
    fake_log("kernel name=%s entry=%s image=%s", name, m->arch, m->image_id);
    *out = k;
    return CUDA_SUCCESS;
}

CUresult cuLibraryGetKernel(CUkernel *kernel, CUlibrary library, const char *name)
{
    return get_kernel(library, 1, name, (void **)kernel);
}

/* What the CUDA 12.9 runtime does instead of cuLibraryGetKernel: enumerate
 * the library's kernels (those of the entry this device runs), then ask each
 * one's name. */
CUresult cuLibraryEnumerateKernels(CUkernel *kernels, unsigned count, CUlibrary library)
{
    struct fake_module *m = as_module(library, 1);
    if (!m)
        return CUDA_ERROR_INVALID_HANDLE;
    if (!kernels || count != m->entry->nkernels)
        return CUDA_ERROR_INVALID_VALUE;
    for (unsigned i = 0; i < count; i++) {
        CUresult r = get_kernel(library, 1, m->entry->kernels[i].name, (void **)&kernels[i]);
        if (r != CUDA_SUCCESS)
            return r;
    }
    fake_log("enumerate count=%u entry=%s", count, m->arch);
    return CUDA_SUCCESS;
}

CUresult cuLibraryGetKernelCount(unsigned *count, CUlibrary library)
{
    struct fake_module *m = as_module(library, 1);
    if (!m)
        return CUDA_ERROR_INVALID_HANDLE;
    if (!count)
        return CUDA_ERROR_INVALID_VALUE;
    *count = (unsigned)m->entry->nkernels;
    return CUDA_SUCCESS;
}

CUresult cuKernelGetName(const char **name, CUkernel kernel)
{
    struct fake_kernel *k = (struct fake_kernel *)kernel;
    if (!name)
        return CUDA_ERROR_INVALID_VALUE;
    if (!k || k->magic != KERNEL_MAGIC)
        return CUDA_ERROR_INVALID_HANDLE;
    *name = k->name;
    return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule module, const char *name)
{
    return get_kernel(module, 0, name, (void **)function);
}

/* A CUkernel is usable as a CUfunction (the runtime launches it so); here
 * they are the same object. */
CUresult cuKernelGetFunction(CUfunction *function, CUkernel kernel)
{
    struct fake_kernel *k = (struct fake_kernel *)kernel;
    if (!function)
        return CUDA_ERROR_INVALID_VALUE;
    if (!k || k->magic != KERNEL_MAGIC)
        return CUDA_ERROR_INVALID_HANDLE;
    *function = (CUfunction)k;
    return CUDA_SUCCESS;
}

CUresult cuLibraryGetModule(CUmodule *module, CUlibrary library)
{
    if (!module)
        return CUDA_ERROR_INVALID_VALUE;
    struct fake_module *m = as_module(library, 1);
    if (!m)
        return CUDA_ERROR_INVALID_HANDLE;
    *module = (CUmodule)&m->view[current_context()];
    return CUDA_SUCCESS;
}

/* ---- launches ------------------------------------------------------------- */

static CUresult launch(const char *api, CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                       unsigned bx, unsigned by, unsigned bz, unsigned smem,
                       const unsigned *cluster)
{
    struct fake_kernel *k = (struct fake_kernel *)f;
    if (!k || k->magic != KERNEL_MAGIC)
        return CUDA_ERROR_INVALID_HANDLE;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0)
        return CUDA_ERROR_INVALID_VALUE;
    char cluster_text[64] = "";
    if (cluster)
        snprintf(cluster_text, sizeof cluster_text, " cluster=%u,%u,%u", cluster[0],
                 cluster[1], cluster[2]);
    fake_log("launch name=%s grid=%u,%u,%u block=%u,%u,%u smem=%u api=%s%s image=%s", k->name,
             gx, gy, gz, bx, by, bz, smem, api, cluster_text, k->owner->image_id);
    return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned smem, CUstream stream,
                        void **params, void **extra)
{
    return launch("cuLaunchKernel", f, gx, gy, gz, bx, by, bz, smem, NULL);
}

CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                             unsigned bx, unsigned by, unsigned bz, unsigned smem,
                             CUstream stream, void **params, void **extra)
{
    return launch("cuLaunchKernel_ptsz", f, gx, gy, gz, bx, by, bz, smem, NULL);
}

static CUresult launch_ex(const char *api, const CUlaunchConfig *config, CUfunction f)
{
    if (!config)
        return CUDA_ERROR_INVALID_VALUE;
    unsigned cluster[3] = {0, 0, 0};
    int has_cluster = 0;
    for (unsigned i = 0; config->attrs && i < config->numAttrs; i++) {
        if (config->attrs[i].id != CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION)
            continue;
        cluster[0] = config->attrs[i].value.clusterDim.x;
        cluster[1] = config->attrs[i].value.clusterDim.y;
        cluster[2] = config->attrs[i].value.clusterDim.z;
        has_cluster = 1;
    }
    return launch(api, f, config->gridDimX, config->gridDimY, config->gridDimZ,
                  config->blockDimX, config->blockDimY, config->blockDimZ,
                  config->sharedMemBytes, has_cluster ? cluster : NULL);
}

CUresult cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f, void **params,
                          void **extra)
{
    return launch_ex("cuLaunchKernelEx", config, f);
}

CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f, void **params,
                               void **extra)
{
    return launch_ex("cuLaunchKernelEx_ptsz", config, f);
}

/* ---- cuGetProcAddress ----------------------------------------------------- */

/* One row per (name, first version): a name may have several rows, the
 * highest version not above the caller's wins; per_thread is the variant
 * for CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, when there is one. */
struct proc_entry {
    const char *name;
    int version;
    void *fn;
    void *per_thread;
};

CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *status);

static const struct proc_entry procs[] = {
    {"cuGetProcAddress", 11030, (void *)cuGetProcAddress, NULL},
    {"cuGetProcAddress", 12000, (void *)cuGetProcAddress_v2, NULL},
    {"cuInit", 2000, (void *)cuInit, NULL},
    {"cuDriverGetVersion", 2020, (void *)cuDriverGetVersion, NULL},
    {"cuDeviceGetCount", 2000, (void *)cuDeviceGetCount, NULL},
    {"cuDeviceGet", 2000, (void *)cuDeviceGet, NULL},
    {"cuDeviceGetAttribute", 2000, (void *)cuDeviceGetAttribute, NULL},
    {"cuCtxGetDevice", 2000, (void *)cuCtxGetDevice, NULL},
    {"cuLibraryLoadData", 12000, (void *)cuLibraryLoadData, NULL},
    {"cuLibraryLoadFromFile", 12000, (void *)cuLibraryLoadFromFile, NULL},
    {"cuLibraryUnload", 12000, (void *)cuLibraryUnload, NULL},
    {"cuLibraryGetKernel", 12000, (void *)cuLibraryGetKernel, NULL},
    {"cuLibraryGetModule", 12000, (void *)cuLibraryGetModule, NULL},
    {"cuKernelGetFunction", 12000, (void *)cuKernelGetFunction, NULL},
    {"cuLibraryEnumerateKernels", 12040, (void *)cuLibraryEnumerateKernels, NULL},
    {"cuLibraryGetKernelCount", 12040, (void *)cuLibraryGetKernelCount, NULL},
    {"cuKernelGetName", 12030, (void *)cuKernelGetName, NULL},
    {"cuModuleLoadData", 2000, (void *)cuModuleLoadData, NULL},
    {"cuModuleLoadDataEx", 2010, (void *)cuModuleLoadDataEx, NULL},
    {"cuModuleLoadFatBinary", 2000, (void *)cuModuleLoadFatBinary, NULL},
    {"cuModuleLoad", 2000, (void *)cuModuleLoad, NULL},
    {"cuModuleUnload", 2000, (void *)cuModuleUnload, NULL},
    {"cuModuleGetFunction", 2000, (void *)cuModuleGetFunction, NULL},
    {"cuLaunchKernel", 4000, (void *)cuLaunchKernel, (void *)cuLaunchKernel_ptsz},
    {"cuLaunchKernelEx", 11060, (void *)cuLaunchKernelEx, (void *)cuLaunchKernelEx_ptsz},
};

static CUresult find_proc(const char *symbol, void **pfn, int version, cuuint64_t flags,
                          CUdriverProcAddressQueryResult *status)
{
    const struct proc_entry *best = NULL;
    int known = 0;
    if (pfn)
        *pfn = NULL;
    for (size_t i = 0; symbol && i < sizeof procs / sizeof procs[0]; i++) {
        if (strcmp(procs[i].name, symbol) != 0)
            continue;
        known = 1;
        if (procs[i].version <= version && (!best || procs[i].version > best->version))
            best = &procs[i];
    }
    if (status)
        *status = best ? CU_GET_PROC_ADDRESS_SUCCESS
                : known ? CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
                        : CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
    if (!pfn)
        return CUDA_ERROR_INVALID_VALUE;
    if (!best)
        return CUDA_ERROR_NOT_FOUND;
    int per_thread = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0;
    *pfn = per_thread && best->per_thread ? best->per_thread : best->fn;
    return CUDA_SUCCESS;
}

CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *status)
{
    return find_proc(symbol, pfn, version, flags, status);
}

CUresult cuGetProcAddress(const char *symbol, void **pfn, int version, cuuint64_t flags)
{
    return find_proc(symbol, pfn, version, flags, NULL);
}

/* Test hook: what this fake's cuGetProcAddress answers, asked directly (no
 * preload library in between), so tests have a reference pointer. */
void *fakecuda_address_of(const char *name, int version, int per_thread)
{
    void *fn = NULL;
    find_proc(name, &fn, version,
              per_thread ? CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM : 0, NULL);
    return fn;
}
