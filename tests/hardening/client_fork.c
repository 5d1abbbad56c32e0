/* client_fork MODULE KERNEL [--no-background]: a program that forks after
 * loading.
 *
 * Loads MODULE's image (its sageshim_fixture_wrapper) and launches KERNEL,
 * then starts a thread that keeps loading and unloading while the main
 * thread forks FORKS times.  Each child launches the function loaded before
 * the fork, loads the image again, launches, unloads and exits; the parent
 * waits for it.  A deadlock in a child shows as the harness's timeout.
 * --no-background: no loading thread (under valgrind: a load in flight in a
 * thread the child does not inherit is memory the child can never free).
 * Prints "ok" and exits 0, or "FAIL ..." and exits 1. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"

#define FORKS 8

struct job {
    const struct driver *driver;
    const void *image;
    const char *kernel;
    atomic_int stop;
    int failed;
};

static void *keep_loading(void *arg)
{
    struct job *job = arg;
    while (!atomic_load(&job->stop))
        if (driver_load_and_launch(job->driver, job->image, job->kernel, NULL) != 0) {
            job->failed = 1;
            break;
        }
    return NULL;
}

static int child(const struct driver *d, const void *image, const char *kernel, CUfunction f)
{
    if (d->launch(f, 2, 1, 1, 64, 1, 1, 0, NULL, NULL, NULL) != CUDA_SUCCESS) {
        printf("FAIL child launch of the parent's function\n");
        return 1;
    }
    return driver_load_and_launch(d, image, kernel, NULL) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    int background = !(argc == 4 && strcmp(argv[3], "--no-background") == 0);
    if (argc != 3 && background) {
        fprintf(stderr, "usage: client_fork MODULE KERNEL [--no-background]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    struct driver d;
    if (driver_open(&d) != 0)
        return 1;
    void *module = dlopen(argv[1], RTLD_NOW);
    const void *const *wrapper = module ? dlsym(module, "sageshim_fixture_wrapper") : NULL;
    if (!wrapper) {
        printf("FAIL dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    CUlibrary lib;
    CUkernel k;
    CUfunction f;
    if (driver_load_and_launch(&d, *wrapper, argv[2], &lib) != 0 ||
        d.get_kernel(&k, lib, argv[2]) != CUDA_SUCCESS || d.get_function(&f, k) != CUDA_SUCCESS)
        return 1;

    struct job job = { .driver = &d, .image = *wrapper, .kernel = argv[2] };
    pthread_t thread;
    if (background && pthread_create(&thread, NULL, keep_loading, &job) != 0) {
        printf("FAIL pthread_create\n");
        return 1;
    }
    int failed = 0;
    for (int i = 0; i < FORKS && !failed; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(child(&d, *wrapper, argv[2], f));
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            printf("FAIL child %d: status %#x\n", i, status);
            failed = 1;
        }
    }
    atomic_store(&job.stop, 1);
    if (background)
        pthread_join(thread, NULL);
    if (job.failed)
        failed = 1;
    if (!failed && driver_load_and_launch(&d, *wrapper, argv[2], NULL) != 0)
        failed = 1;
    d.unload(lib);
    if (!failed)
        printf("ok\n");
    return failed;
}
