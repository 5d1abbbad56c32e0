/* client_fork_dlsym MODULE: forks while another thread looks up PyInit_
 * symbols (issue 15, case 6).
 *
 * MODULE is a watched extension module (a "sageattention/_qattn_sm90" .so
 * exporting PyInit__qattn_sm90), so each dlsym of that name goes through
 * the preload library's repair, which takes its lock.  A thread keeps
 * looking the name up while the main thread forks for up to 3 s; each
 * child looks the name up once and exits.  A child forked while the lock
 * was held waits forever unless the lock is reset after fork: the parent
 * gives each child 2 s, then kills it and reports the deadlock.
 * Prints "ok" and exits 0, or "FAIL ..." and exits 1. */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYMBOL "PyInit__qattn_sm90"

static void *module;
static atomic_int stop;

static void *keep_looking(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        (void)dlsym(module, SYMBOL);
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 0: the child exited 0 within 2 s. */
static int wait_child(pid_t pid)
{
    double deadline = now() + 2.0;
    int status = 0;
    while (now() < deadline) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
        if (got < 0)
            return -1;
        usleep(200);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -2;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: client_fork_dlsym MODULE\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    module = dlopen(argv[1], RTLD_NOW);
    if (!module || !dlsym(module, SYMBOL)) {
        printf("FAIL dlopen/dlsym %s: %s\n", argv[1], dlerror());
        return 1;
    }
    pthread_t thread;
    if (pthread_create(&thread, NULL, keep_looking, NULL) != 0) {
        printf("FAIL pthread_create\n");
        return 1;
    }
    int forks = 0, deadlocks = 0, failures = 0;
    double end = now() + 3.0;
    while (now() < end && forks < 2000) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(dlsym(module, SYMBOL) ? 0 : 1);
        if (pid < 0) {
            failures++;
            break;
        }
        forks++;
        int rc = wait_child(pid);
        if (rc == -2)
            deadlocks++;
        else if (rc != 0)
            failures++;
        if (deadlocks)
            break;
    }
    atomic_store(&stop, 1);
    pthread_join(thread, NULL);
    if (deadlocks || failures) {
        printf("FAIL %d of %d children deadlocked, %d failed\n", deadlocks, forks, failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
