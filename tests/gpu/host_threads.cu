// host_threads: two threads, released together, each making its kernels'
// first launches on its own stream and buffer - the shim's first-launch
// bookkeeping must hold up under a race.
#include <pthread.h>

#include "host_common.h"

enum { rounds = 4, threads = 2 };

struct job {
    const struct wrong_lib *lib;
    pthread_barrier_t *start;
    float *x;
    cudaStream_t stream;
    int err;
};

static void *work(void *arg)
{
    struct job *job = (struct job *)arg;
    pthread_barrier_wait(job->start);
    for (int r = 0; r < rounds && job->err == 0; r++) {
        job->err = job->lib->scale(job->x, factor, n_elems, job->stream);
        if (job->err == 0)
            job->err = job->lib->scale_smem(job->x, factor, n_elems, job->stream);
    }
    if (job->err == 0)
        job->err = (int)cudaStreamSynchronize(job->stream);
    return NULL;
}

int main(int argc, char **argv)
{
    struct wrong_lib lib = open_library(argc, argv);
    pthread_barrier_t start;
    pthread_t tid[threads];
    struct job jobs[threads];
    int code = EXIT_RIGHT;

    pthread_barrier_init(&start, NULL, threads);
    for (int t = 0; t < threads; t++) {
        jobs[t].lib = &lib;
        jobs[t].start = &start;
        jobs[t].x = make_input();
        jobs[t].err = 0;
        CHECK(cudaStreamCreateWithFlags(&jobs[t].stream, cudaStreamNonBlocking));
    }
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, work, &jobs[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return EXIT_ERROR;
        }
    }
    for (int t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    for (int t = 0; t < threads; t++) {
        CHECK_LIB(jobs[t].err);
        int one = classify(jobs[t].x, 2 * rounds);
        // Both threads must agree; a mix is garbage.
        code = t == 0 ? one : (one == code ? code : EXIT_GARBAGE);
        CHECK(cudaStreamDestroy(jobs[t].stream));
        CHECK(cudaFree(jobs[t].x));
    }
    pthread_barrier_destroy(&start);
    return report("threads", code, threads * rounds * 2);
}
