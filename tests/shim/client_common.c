/* client_common.c: see client_common.h. */
#include "client_common.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

enum api { API_LIBRARY, API_MODULE, API_MODULE_EX, API_FATBINARY, API_FILE, API_MODFILE };

struct run {
    const struct client_driver *driver;
    enum api api;
    int launch_ex;
    int via_module;          /* CLIENT_VIA_MODULE */
    int enumerate;           /* CLIENT_ENUMERATE */
    const void *image;       /* in-memory loads */
    const char *path;        /* file loads */
    char **kernels;
    int nkernels;
};

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static int fail(const char *call, const char *kernel, CUresult result)
{
    pthread_mutex_lock(&print_lock);
    if (kernel)
        printf("FAIL %s(%s) = %d\n", call, kernel, (int)result);
    else
        printf("FAIL %s = %d\n", call, (int)result);
    fflush(stdout);
    pthread_mutex_unlock(&print_lock);
    return 1;
}

static int missing(const char *call)
{
    return fail(call, "not available", CUDA_ERROR_NOT_FOUND);
}

static int is_library_api(enum api api)
{
    return api == API_LIBRARY || api == API_FILE;
}

static int load(const struct run *run, void **handle)
{
    const struct client_driver *d = run->driver;
    CUresult r;
    switch (run->api) {
    case API_LIBRARY: {
        /* As the runtime does: one library option, BINARY_IS_PRESERVED. */
        CUlibraryOption option = CU_LIBRARY_BINARY_IS_PRESERVED;
        void *value = (void *)(size_t)1;
        if (!d->library_load_data)
            return missing("cuLibraryLoadData");
        r = d->library_load_data((CUlibrary *)handle, run->image, NULL, NULL, 0, &option,
                                 &value, 1);
        return r == CUDA_SUCCESS ? 0 : fail("cuLibraryLoadData", NULL, r);
    }
    case API_FILE:
        if (!d->library_load_from_file)
            return missing("cuLibraryLoadFromFile");
        r = d->library_load_from_file((CUlibrary *)handle, run->path, NULL, NULL, 0, NULL,
                                      NULL, 0);
        return r == CUDA_SUCCESS ? 0 : fail("cuLibraryLoadFromFile", NULL, r);
    case API_MODULE:
        if (!d->module_load_data)
            return missing("cuModuleLoadData");
        r = d->module_load_data((CUmodule *)handle, run->image);
        return r == CUDA_SUCCESS ? 0 : fail("cuModuleLoadData", NULL, r);
    case API_MODULE_EX:
        if (!d->module_load_data_ex)
            return missing("cuModuleLoadDataEx");
        r = d->module_load_data_ex((CUmodule *)handle, run->image, 0, NULL, NULL);
        return r == CUDA_SUCCESS ? 0 : fail("cuModuleLoadDataEx", NULL, r);
    case API_FATBINARY:
        if (!d->module_load_fat_binary)
            return missing("cuModuleLoadFatBinary");
        r = d->module_load_fat_binary((CUmodule *)handle, run->image);
        return r == CUDA_SUCCESS ? 0 : fail("cuModuleLoadFatBinary", NULL, r);
    case API_MODFILE:
        if (!d->module_load)
            return missing("cuModuleLoad");
        r = d->module_load((CUmodule *)handle, run->path);
        return r == CUDA_SUCCESS ? 0 : fail("cuModuleLoad", NULL, r);
    }
    return 1;
}

/* CLIENT_ENUMERATE: the kernel of `library` whose name is `name`. */
static int find_by_enumeration(const struct run *run, CUlibrary library, const char *name,
                               CUkernel *kernel)
{
    const struct client_driver *d = run->driver;
    if (!d->library_get_kernel_count || !d->library_enumerate_kernels || !d->kernel_get_name)
        return missing("cuLibraryGetKernelCount/cuLibraryEnumerateKernels/cuKernelGetName");
    unsigned count = 0;
    CUresult r = d->library_get_kernel_count(&count, library);
    if (r != CUDA_SUCCESS)
        return fail("cuLibraryGetKernelCount", name, r);
    CUkernel all[64];
    if (count == 0 || count > 64)
        return fail("cuLibraryGetKernelCount", name, CUDA_ERROR_NOT_FOUND);
    r = d->library_enumerate_kernels(all, count, library);
    if (r != CUDA_SUCCESS)
        return fail("cuLibraryEnumerateKernels", name, r);
    for (unsigned i = 0; i < count; i++) {
        const char *found = NULL;
        if (d->kernel_get_name(&found, all[i]) == CUDA_SUCCESS && found &&
            strcmp(found, name) == 0) {
            *kernel = all[i];
            return 0;
        }
    }
    return fail("cuKernelGetName", name, CUDA_ERROR_NOT_FOUND);
}

static int get_function(const struct run *run, void *handle, const char *name,
                        CUfunction *function)
{
    const struct client_driver *d = run->driver;
    CUresult r;
    if (is_library_api(run->api) && run->via_module) {
        CUmodule module;
        if (!d->library_get_module || !d->module_get_function)
            return missing("cuLibraryGetModule/cuModuleGetFunction");
        r = d->library_get_module(&module, (CUlibrary)handle);
        if (r != CUDA_SUCCESS)
            return fail("cuLibraryGetModule", name, r);
        r = d->module_get_function(function, module, name);
        return r == CUDA_SUCCESS ? 0 : fail("cuModuleGetFunction", name, r);
    }
    if (is_library_api(run->api)) {
        CUkernel kernel;
        if (!d->library_get_kernel || !d->kernel_get_function)
            return missing("cuLibraryGetKernel/cuKernelGetFunction");
        if (run->enumerate) {
            if (find_by_enumeration(run, (CUlibrary)handle, name, &kernel))
                return 1;
        } else {
            r = d->library_get_kernel(&kernel, (CUlibrary)handle, name);
            if (r != CUDA_SUCCESS)
                return fail("cuLibraryGetKernel", name, r);
        }
        r = d->kernel_get_function(function, kernel);
        return r == CUDA_SUCCESS ? 0 : fail("cuKernelGetFunction", name, r);
    }
    if (!d->module_get_function)
        return missing("cuModuleGetFunction");
    r = d->module_get_function(function, (CUmodule)handle, name);
    return r == CUDA_SUCCESS ? 0 : fail("cuModuleGetFunction", name, r);
}

static int launch(const struct run *run, CUfunction function, const char *name)
{
    const struct client_driver *d = run->driver;
    float *data = NULL;
    float factor = 2.0f;
    int n = 128;
    void *params[] = {&data, &factor, &n};
    CUresult r;
    if (run->launch_ex) {
        CUlaunchAttribute cluster;
        memset(&cluster, 0, sizeof cluster);
        cluster.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
        cluster.value.clusterDim.x = 2;
        cluster.value.clusterDim.y = 1;
        cluster.value.clusterDim.z = 1;
        CUlaunchConfig config;
        memset(&config, 0, sizeof config);
        config.gridDimX = 2;
        config.gridDimY = config.gridDimZ = 1;
        config.blockDimX = 64;
        config.blockDimY = config.blockDimZ = 1;
        config.attrs = &cluster;
        config.numAttrs = 1;
        if (!d->launch_kernel_ex)
            return missing("cuLaunchKernelEx");
        r = d->launch_kernel_ex(&config, function, params, NULL);
        return r == CUDA_SUCCESS ? 0 : fail("cuLaunchKernelEx", name, r);
    }
    if (!d->launch_kernel)
        return missing("cuLaunchKernel");
    r = d->launch_kernel(function, 2, 1, 1, 64, 1, 1, 0, NULL, params, NULL);
    return r == CUDA_SUCCESS ? 0 : fail("cuLaunchKernel", name, r);
}

static int unload(const struct run *run, void *handle)
{
    const struct client_driver *d = run->driver;
    CUresult r;
    if (is_library_api(run->api)) {
        if (!d->library_unload)
            return missing("cuLibraryUnload");
        r = d->library_unload((CUlibrary)handle);
        return r == CUDA_SUCCESS ? 0 : fail("cuLibraryUnload", NULL, r);
    }
    if (!d->module_unload)
        return missing("cuModuleUnload");
    r = d->module_unload((CUmodule)handle);
    return r == CUDA_SUCCESS ? 0 : fail("cuModuleUnload", NULL, r);
}

static int run_sequence(const struct run *run)
{
    void *handle = NULL;
    if (!run->driver->init)
        return missing("cuInit");
    CUresult r = run->driver->init(0);
    if (r != CUDA_SUCCESS)
        return fail("cuInit", NULL, r);
    if (load(run, &handle))
        return 1;
    int failed = 0;
    for (int i = 0; i < run->nkernels && !failed; i++) {
        CUfunction function;
        failed = get_function(run, handle, run->kernels[i], &function) ||
                 launch(run, function, run->kernels[i]);
    }
    /* CLIENT_SECOND_CONTEXT (with the fake driver's FAKE_CONTEXT): look every
     * kernel up again and launch it in context 1, as a runtime does for a
     * second device.  Single-threaded clients only (FAKE_CONTEXT is the
     * process's environment). */
    if (!failed && getenv("CLIENT_SECOND_CONTEXT")) {
        setenv("FAKE_CONTEXT", "1", 1);
        for (int i = 0; i < run->nkernels && !failed; i++) {
            CUfunction function;
            failed = get_function(run, handle, run->kernels[i], &function) ||
                     launch(run, function, run->kernels[i]);
        }
        unsetenv("FAKE_CONTEXT");
    }
    return unload(run, handle) || failed;
}

static void *thread_main(void *arg)
{
    return (void *)(size_t)run_sequence(arg);
}

static int parse_api(const char *name, enum api *api)
{
    static const struct { const char *name; enum api api; } names[] = {
        {"library", API_LIBRARY},     {"module", API_MODULE}, {"moduleex", API_MODULE_EX},
        {"fatbinary", API_FATBINARY}, {"file", API_FILE},     {"modfile", API_MODFILE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *api = names[i].api;
            return 0;
        }
    return -1;
}

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--api library|module|moduleex|fatbinary|file|modfile]\n"
            "          [--image wrapper|container] [--launch plain|ex] [--threads N]\n"
            "          [--lookup kernel|enumerate|module]\n"
            "          MODULE KERNEL...\n",
            prog);
    return 2;
}

/* The image pointer a fixture module exports (see module_image.c). */
static const void *module_image(const char *path, const char *which)
{
    void *module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!module) {
        printf("FAIL dlopen(%s) = %s\n", path, dlerror());
        return NULL;
    }
    char symbol[64];
    snprintf(symbol, sizeof symbol, "sageshim_fixture_%s", which);
    const void *const *pointer = dlsym(module, symbol);
    if (!pointer || !*pointer) {
        printf("FAIL dlsym(%s) = not found\n", symbol);
        return NULL;
    }
    return *pointer;
}

int client_main(int argc, char **argv, const struct client_driver *driver)
{
    struct run run = {.driver = driver, .api = API_LIBRARY,
                      .via_module = getenv("CLIENT_VIA_MODULE") != NULL,
                      .enumerate = getenv("CLIENT_ENUMERATE") != NULL};
    const char *image_kind = "wrapper";
    int threads = 1;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (i + 1 >= argc)
            return usage(argv[0]);
        const char *value = argv[++i];
        if (strcmp(argv[i - 1], "--api") == 0) {
            if (parse_api(value, &run.api) < 0)
                return usage(argv[0]);
        } else if (strcmp(argv[i - 1], "--image") == 0) {
            if (strcmp(value, "wrapper") != 0 && strcmp(value, "container") != 0)
                return usage(argv[0]);
            image_kind = value;
        } else if (strcmp(argv[i - 1], "--launch") == 0) {
            if (strcmp(value, "plain") != 0 && strcmp(value, "ex") != 0)
                return usage(argv[0]);
            run.launch_ex = strcmp(value, "ex") == 0;
        } else if (strcmp(argv[i - 1], "--lookup") == 0) {
            /* The same choices as CLIENT_ENUMERATE / CLIENT_VIA_MODULE. */
            if (strcmp(value, "kernel") != 0 && strcmp(value, "enumerate") != 0 &&
                strcmp(value, "module") != 0)
                return usage(argv[0]);
            run.enumerate = strcmp(value, "enumerate") == 0;
            run.via_module = strcmp(value, "module") == 0;
        } else if (strcmp(argv[i - 1], "--threads") == 0) {
            threads = atoi(value);
            if (threads < 1 || threads > MAX_THREADS)
                return usage(argv[0]);
        } else {
            return usage(argv[0]);
        }
    }
    if (i >= argc)
        return usage(argv[0]);
    if (run.api == API_FILE || run.api == API_MODFILE) {
        run.path = argv[i];
    } else {
        run.image = module_image(argv[i], image_kind);
        if (!run.image)
            return 1;
    }
    run.kernels = argv + i + 1;
    run.nkernels = argc - i - 1;

    int failed = 0;
    if (threads == 1) {
        failed = run_sequence(&run);
    } else {
        pthread_t ids[MAX_THREADS];
        int started = 0;
        for (; started < threads; started++)
            if (pthread_create(&ids[started], NULL, thread_main, &run) != 0) {
                failed = fail("pthread_create", NULL, 0);
                break;
            }
        for (int t = 0; t < started; t++) {
            void *status;
            pthread_join(ids[t], &status);
            failed |= status != NULL;
        }
    }
    if (!failed)
        printf("ok\n");
    return failed ? 1 : 0;
}
