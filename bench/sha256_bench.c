/* sha256_bench: SHA-256 throughput of every implementation this CPU has,
 * and the time to open a bundle (read, hash, parse every file) with each.
 * Needs no GPU: `make` builds it as $(BUILD)/bench/sha256_bench, and
 * bench/bench.sh runs it for its report.
 *
 *   sha256_bench [BUNDLE_DIR]
 *
 * Prints one line per implementation:
 *   sha256 impl=<tag> mb_per_s=<median of 7 runs over 64 MiB>
 *   bundle_open impl=<tag> bytes=<hashed> ms=<median of 15 opens>
 * tags: portable, x86-shani, armv8-sha2.  MB is 10^6 bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan/bundle.h"
#include "base/sha256.h"

static const struct {
    enum ss_sha256_impl impl;
    const char *tag;
} impls[] = {
    { SS_SHA256_PORTABLE, "portable" },
    { SS_SHA256_X86_SHANI, "x86-shani" },
    { SS_SHA256_ARMV8, "armv8-sha2" },
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return v[n / 2];
}

static void ignore(void *ctx, const char *file, int line, const char *message)
{
    (void)ctx;
    (void)file;
    (void)line;
    (void)message;
}

int main(int argc, char **argv)
{
    enum { SIZE = 64 << 20, RUNS = 7, OPENS = 15 };
    const char *bundle = argc > 1 ? argv[1] : NULL;
    unsigned char *data = malloc(SIZE);
    if (!data) {
        fprintf(stderr, "sha256_bench: out of memory\n");
        return 1;
    }
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
        if (ss_sha256_use(impls[i].impl) != 0)
            continue;
        double rates[RUNS];
        char hex[65];
        for (int r = 0; r < RUNS; r++) {
            double t0 = now_s();
            ss_sha256_hex(data, SIZE, hex);
            rates[r] = SIZE / (now_s() - t0) / 1e6;
        }
        printf("sha256 impl=%s mb_per_s=%.0f\n", impls[i].tag, median(rates, RUNS));
        if (!bundle)
            continue;
        double ms[OPENS];
        size_t bytes = 0;
        for (int r = 0; r < OPENS; r++) {
            struct ss_bundle b;
            struct ss_error err = { 0 };
            double t0 = now_s();
            int rc = ss_bundle_open(bundle, &b, ignore, NULL, &err);
            ms[r] = (now_s() - t0) * 1e3;
            if (rc != 0 || b.nfiles + b.nhotfixes == 0) {
                fprintf(stderr, "sha256_bench: %s: no usable file (%s)\n", bundle, err.message);
                ss_bundle_close(&b);
                free(data);
                return 1;
            }
            bytes = 0;
            for (size_t f = 0; f < b.nfiles; f++)
                bytes += b.files[f].len;
            for (size_t f = 0; f < b.nhotfixes; f++)
                bytes += b.hotfixes[f].len;
            ss_bundle_close(&b);
        }
        printf("bundle_open impl=%s bytes=%zu ms=%.2f\n", impls[i].tag, bytes, median(ms, OPENS));
    }
    free(data);
    return 0;
}
