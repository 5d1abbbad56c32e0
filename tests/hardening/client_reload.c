/* client_reload MODULE KERNEL ROUNDS [unload-first|dlclose-first]: an
 * extension module opened, its image loaded and launched, and the module
 * closed again, ROUNDS times.
 *
 *   unload-first   cuLibraryUnload, then dlclose (default)
 *   dlclose-first  dlclose while the library is still loaded (the driver
 *                  keeps its own copy; so must the preload library), then
 *                  launch once more and cuLibraryUnload
 * Prints "ok" and exits 0, or "FAIL ..." and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

static int round_trip(const struct driver *d, const char *path, const char *kernel,
                      int dlclose_first)
{
    void *module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    const void *const *wrapper = module ? dlsym(module, "sageshim_fixture_wrapper") : NULL;
    if (!wrapper) {
        printf("FAIL dlopen %s: %s\n", path, dlerror());
        return -1;
    }
    CUlibrary lib;
    if (driver_load_and_launch(d, *wrapper, kernel, &lib) != 0)
        return -1;
    if (!dlclose_first) {
        d->unload(lib);
        return dlclose(module) == 0 ? 0 : -1;
    }
    if (dlclose(module) != 0)
        return -1;
    CUkernel k;
    CUfunction f;
    CUresult r;
    if ((r = d->get_kernel(&k, lib, kernel)) != CUDA_SUCCESS ||
        (r = d->get_function(&f, k)) != CUDA_SUCCESS ||
        (r = d->launch(f, 2, 1, 1, 64, 1, 1, 0, NULL, NULL, NULL)) != CUDA_SUCCESS) {
        printf("FAIL launch after dlclose = %d\n", (int)r);
        return -1;
    }
    return d->unload(lib) == CUDA_SUCCESS ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: client_reload MODULE KERNEL ROUNDS [unload-first|dlclose-first]\n");
        return 2;
    }
    int rounds = atoi(argv[3]);
    int dlclose_first = argc == 5 && strcmp(argv[4], "dlclose-first") == 0;
    struct driver d;
    if (driver_open(&d) != 0)
        return 1;
    for (int i = 0; i < rounds; i++)
        if (round_trip(&d, argv[1], argv[2], dlclose_first) != 0) {
            printf("FAIL round %d\n", i);
            return 1;
        }
    printf("ok\n");
    return 0;
}
