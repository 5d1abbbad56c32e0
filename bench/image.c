/* image.c: a watched shared object that holds the benchmark module's fatbin
 * as data, the way an nvcc-built object does (the container in .nv_fatbin,
 * reached through a host wrapper), with no CUDA runtime attached: the
 * load-time benchmark hands the wrapper to cuLibraryLoadData itself.
 * BENCH_FATBIN is the fatbin's path, given with -D. */
#include <stdint.h>

#ifndef BENCH_FATBIN
#error "build with -DBENCH_FATBIN='\"path/to/empty.fatbin\"'"
#endif

__asm__(".pushsection .nv_fatbin, \"a\"\n"
        ".balign 16\n"
        "bench_container:\n"
        ".incbin \"" BENCH_FATBIN "\"\n"
        ".popsection\n");

extern const uint8_t bench_container[];

/* The runtime's __fatBinC_Wrapper_t: magic, version 1, the container. */
struct fatbin_wrapper {
    uint32_t magic;
    uint32_t version;
    const void *data;
    void *unused;
};

static const struct fatbin_wrapper wrapper = { 0x466243B1u, 1, bench_container, 0 };

__attribute__((visibility("default"))) const void *bench_image_wrapper(void)
{
    return &wrapper;
}
