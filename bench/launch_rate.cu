// launch_rate: launches per second of an empty kernel through
// cudaLaunchKernel, from a module loaded with dlopen (watched or not,
// depending on its path).  Prints
//   rate=<median launches/s> runs=<r> launches=<n> enqueue_ns=<ns>
//   vmrss_kb=<k> vmhwm_kb=<k>
// rate is whole-pipeline throughput (the stream's queue fills up, so the GPU
// and the host both set it).  enqueue_ns is the host's own cost of one
// launch: ENQUEUE_BATCHES batches of ENQUEUE_BATCH launches, each timed
// while it is queued (far below the queue's depth, so nothing waits for the
// GPU) and followed by a synchronize; the median batch, per launch.  That is
// the part a preload library can change, and a median of short batches is
// not moved by the preemptions that make the rate noisy on a shared VM.
// usage: launch_rate <module.so> <launches per run> <runs>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*init_fn)(void);
typedef int (*launch_many_fn)(long);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void check(int err, const char *what)
{
    if (err != 0) {
        fprintf(stderr, "%s failed: %s (%d)\n", what, cudaGetErrorString((cudaError_t)err), err);
        exit(1);
    }
}

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t klen = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            kb = strtol(line + klen + 1, NULL, 10);
    fclose(f);
    return kb;
}

#define ENQUEUE_BATCH 256
#define ENQUEUE_BATCHES 400

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s <module.so> <launches per run> <runs>\n", argv[0]);
        return 2;
    }
    long launches = atol(argv[2]);
    int runs = atoi(argv[3]);
    if (launches <= 0 || runs <= 0 || runs > 100) {
        fprintf(stderr, "bad launch count or runs\n");
        return 2;
    }
    void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!module) {
        fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    init_fn init = (init_fn)dlsym(module, "bench_init");
    launch_many_fn launch_many = (launch_many_fn)dlsym(module, "bench_launch_many");
    if (!init || !launch_many) {
        fprintf(stderr, "%s: bench_init / bench_launch_many missing\n", argv[1]);
        return 1;
    }
    check(init(), "bench_init");
    // Warm-up: module load, first-launch lookups, queue in steady state.
    check(launch_many(10000), "warm-up launches");
    check((int)cudaDeviceSynchronize(), "cudaDeviceSynchronize");

    double *rates = (double *)calloc((size_t)runs, sizeof(double));
    if (!rates)
        return 1;
    for (int r = 0; r < runs; r++) {
        double t0 = now_s();
        check(launch_many(launches), "launches");
        check((int)cudaDeviceSynchronize(), "cudaDeviceSynchronize");
        rates[r] = (double)launches / (now_s() - t0);
    }
    qsort(rates, (size_t)runs, sizeof(double), by_value);

    double *batch_ns = (double *)calloc(ENQUEUE_BATCHES, sizeof(double));
    if (!batch_ns)
        return 1;
    for (int b = 0; b < ENQUEUE_BATCHES; b++) {
        double t0 = now_s();
        check(launch_many(ENQUEUE_BATCH), "batch launches");
        batch_ns[b] = (now_s() - t0) * 1e9 / ENQUEUE_BATCH;
        check((int)cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }
    qsort(batch_ns, ENQUEUE_BATCHES, sizeof(double), by_value);

    printf("rate=%.0f runs=%d launches=%ld enqueue_ns=%.1f vmrss_kb=%ld vmhwm_kb=%ld\n",
           rates[runs / 2], runs, launches, batch_ns[ENQUEUE_BATCHES / 2], status_kb("VmRSS"),
           status_kb("VmHWM"));
    free(batch_ns);
    free(rates);
    return 0;
}
