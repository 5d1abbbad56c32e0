/* host_common.h: what the suite's host programs share.
 *
 * Each program dlopens the wrongsm90 library named by argv[1] (RTLD_NOW |
 * RTLD_LOCAL, as CPython imports an extension), runs its launches on
 * 1..7-valued data, and exits with what it found:
 *   0 RIGHT    every element is init * factor^k      (the corrected code ran)
 *   3 WRONG    every element is init * (factor+1)^k  (the sm_90 "miscompile")
 *   4 GARBAGE  anything else (mixed, NaN, ...)
 *   1 a CUDA or loading error, 2 usage.
 * It prints one result line with "api_launches=N": the launches it made
 * through the runtime, which diagnose mode must log. */
#ifndef HOST_COMMON_H
#define HOST_COMMON_H

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "wrongsm90.h"

enum { EXIT_RIGHT = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_WRONG = 3, EXIT_GARBAGE = 4 };

static const int n_elems = 1 << 16;
static const float factor = 2.0f;

#define CHECK(call) check_cuda((call), #call, __FILE__, __LINE__)
/* The library returns its runtime's cudaError_t as int. */
#define CHECK_LIB(call) check_cuda((cudaError_t)(call), #call, __FILE__, __LINE__)

static void check_cuda(cudaError_t err, const char *what, const char *file, int line)
{
    if (err == cudaSuccess)
        return;
    fprintf(stderr, "%s:%d: %s failed: %s (%d)\n", file, line, what, cudaGetErrorString(err),
            (int)err);
    exit(EXIT_ERROR);
}

struct wrong_lib {
    wrong_init_fn init;
    wrong_scale_fn scale;
    wrong_scale_fn scale_cluster;
    wrong_scale_fn scale_smem;
};

static void *must_find(void *handle, const char *path, const char *name)
{
    void *p = dlsym(handle, name);
    if (!p) {
        fprintf(stderr, "%s: symbol %s not found: %s\n", path, name, dlerror());
        exit(EXIT_ERROR);
    }
    return p;
}

/* Opens the library named on the command line and initialises its runtime
 * (as PyTorch has long done before any extension launches). */
static struct wrong_lib open_library(int argc, char **argv)
{
    struct wrong_lib lib;
    if (argc != 2) {
        fprintf(stderr, "usage: %s /path/to/sageattention/_qattn_sm90....so\n", argv[0]);
        exit(EXIT_USAGE);
    }
    void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
        exit(EXIT_ERROR);
    }
    lib.init = (wrong_init_fn)must_find(handle, argv[1], WRONG_INIT);
    lib.scale = (wrong_scale_fn)must_find(handle, argv[1], WRONG_SCALE);
    lib.scale_cluster = (wrong_scale_fn)must_find(handle, argv[1], WRONG_SCALE_CLUSTER);
    lib.scale_smem = (wrong_scale_fn)must_find(handle, argv[1], WRONG_SCALE_SMEM);
    CHECK_LIB(lib.init());
    return lib;
}

static float initial_value(int i)
{
    return (float)(i % 7 + 1);
}

/* A device buffer holding initial_value(i). */
static float *make_input(void)
{
    float *host = (float *)malloc(n_elems * sizeof(float));
    float *dev = NULL;
    if (!host) {
        fprintf(stderr, "out of memory\n");
        exit(EXIT_ERROR);
    }
    for (int i = 0; i < n_elems; i++)
        host[i] = initial_value(i);
    CHECK(cudaMalloc((void **)&dev, n_elems * sizeof(float)));
    CHECK(cudaMemcpy(dev, host, n_elems * sizeof(float), cudaMemcpyHostToDevice));
    free(host);
    return dev;
}

static float power(float base, int k)
{
    float p = 1.0f;
    for (int i = 0; i < k; i++)
        p *= base;
    return p;
}

/* Classify a buffer after k multiplications (values stay exact in float). */
static int classify(const float *dev, int k)
{
    float *host = (float *)malloc(n_elems * sizeof(float));
    if (!host) {
        fprintf(stderr, "out of memory\n");
        exit(EXIT_ERROR);
    }
    CHECK(cudaMemcpy(host, dev, n_elems * sizeof(float), cudaMemcpyDeviceToHost));
    int right = 0, wrong = 0;
    for (int i = 0; i < n_elems; i++) {
        right += host[i] == initial_value(i) * power(factor, k);
        wrong += host[i] == initial_value(i) * power(factor + 1.0f, k);
    }
    int code = right == n_elems ? EXIT_RIGHT : wrong == n_elems ? EXIT_WRONG : EXIT_GARBAGE;
    if (code == EXIT_GARBAGE)
        fprintf(stderr, "%d of %d right, %d wrong; x[0]=%g x[1]=%g\n", right, n_elems, wrong,
                host[0], host[1]);
    free(host);
    return code;
}

static const char *verdict_name(int code)
{
    return code == EXIT_RIGHT ? "RIGHT" : code == EXIT_WRONG ? "WRONG" : "GARBAGE";
}

static int report(const char *what, int code, int api_launches)
{
    printf("%s: %s api_launches=%d\n", what, verdict_name(code), api_launches);
    fflush(stdout);
    return code;
}

/* The whole of a program that makes one launch through `pick`. */
static inline int run_one_launch(int argc, char **argv, const char *what,
                          wrong_scale_fn (*pick)(const struct wrong_lib *))
{
    struct wrong_lib lib = open_library(argc, argv);
    float *x = make_input();
    CHECK_LIB(pick(&lib)(x, factor, n_elems, NULL));
    CHECK(cudaDeviceSynchronize());
    int code = classify(x, 1);
    CHECK(cudaFree(x));
    return report(what, code, 1);
}

#endif
