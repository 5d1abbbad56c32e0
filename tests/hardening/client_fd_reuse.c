/* client_fd_reuse DATA MODULE KERNEL: a program that closes every
 * descriptor above 2 and opens its own data file, which then gets the
 * number the preload library's log had (issue 15, case 5).  It then loads
 * MODULE's image and launches KERNEL (the library logs the redirect) and
 * writes a second line to its file.  The file must hold exactly the
 * program's two lines.  Prints "ok" and exits 0, or "FAIL ..." and 1. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: client_fd_reuse DATA MODULE KERNEL\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    /* What daemons and sandboxes do at start-up. */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int data = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (data < 0) {
        printf("FAIL open %s\n", argv[1]);
        return 1;
    }
    if (write(data, "first\n", 6) != 6)
        return 1;
    struct driver d;
    if (driver_open(&d) != 0)
        return 1;
    void *module = dlopen(argv[2], RTLD_NOW);
    const void *const *wrapper = module ? dlsym(module, "sageshim_fixture_wrapper") : NULL;
    if (!wrapper) {
        printf("FAIL dlopen %s: %s\n", argv[2], dlerror());
        return 1;
    }
    if (driver_load_and_launch(&d, *wrapper, argv[3], NULL) != 0)
        return 1;
    if (write(data, "second\n", 7) != 7)
        return 1;
    close(data);
    printf("ok fd=%d\n", data);
    return 0;
}
