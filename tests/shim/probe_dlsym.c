/* probe_dlsym.c: dlsym answers that must not change when the preload
 * library is there.  Prints one line per probe, "<probe> same" or
 * "<probe> DIFFERENT", then "wrapped=yes|no" (whether dlsym(libcuda,
 * "cuModuleLoadData") was answered with something else than the driver's own
 * function), and exits 0 when every probe printed "same".
 *
 *   rtld_next_dlsym  dlsym(RTLD_NEXT, "dlsym") from this program is the
 *                    `dlsym` this program calls: the object after the
 *                    program, not after the preload library
 *   rtld_next_puts   dlsym(RTLD_NEXT, "puts") is libc's puts
 *   default_malloc   dlsym(RTLD_DEFAULT, "malloc") is the malloc we call
 *   cudnnCreate      "cu" + lower case: the driver library's own symbol
 *   cuDriverGetVersion  a cu* name the shim does not wrap: the driver's own
 *   missing          an unknown name: NULL with a dlerror() message */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void probe(const char *what, const void *got, const void *expected)
{
    int same = got == expected;
    printf("%s %s\n", what, same ? "same" : "DIFFERENT");
    failures += !same;
}

int main(void)
{
    void *(*volatile our_dlsym)(void *, const char *) = dlsym;
    void *(*volatile our_malloc)(size_t) = malloc;
    int (*volatile our_puts)(const char *) = puts;

    probe("rtld_next_dlsym", dlsym(RTLD_NEXT, "dlsym"), (void *)our_dlsym);
    probe("rtld_next_puts", dlsym(RTLD_NEXT, "puts"), (void *)our_puts);
    probe("default_malloc", dlsym(RTLD_DEFAULT, "malloc"), (void *)our_malloc);

    void *libcuda = dlopen("libcuda.so.1", RTLD_NOW);
    if (!libcuda) {
        printf("dlopen(libcuda.so.1) failed: %s\n", dlerror());
        return 1;
    }
    void *(*address_of)(const char *, int, int) =
        (void *(*)(const char *, int, int))dlsym(libcuda, "fakecuda_address_of");
    if (!address_of) {
        printf("not the fake driver: no fakecuda_address_of\n");
        return 1;
    }

    void *cudnn = dlsym(libcuda, "cudnnCreate");
    Dl_info info;
    int in_driver = cudnn && dladdr(cudnn, &info) && info.dli_sname &&
                    strcmp(info.dli_sname, "cudnnCreate") == 0 && info.dli_fname &&
                    strstr(info.dli_fname, "libcuda.so") != NULL;
    probe("cudnnCreate", in_driver ? cudnn : NULL, cudnn);
    probe("cuDriverGetVersion", dlsym(libcuda, "cuDriverGetVersion"),
          address_of("cuDriverGetVersion", 13000, 0));
    dlerror();
    void *missing = dlsym(libcuda, "cuNoSuchFunction");
    const char *message = dlerror();
    probe("missing", message ? missing : (void *)1, NULL);

    void *load = dlsym(libcuda, "cuModuleLoadData");
    printf("wrapped=%s\n", load && load != address_of("cuModuleLoadData", 13000, 0)
                               ? "yes" : "no");
    return failures ? 1 : 0;
}
