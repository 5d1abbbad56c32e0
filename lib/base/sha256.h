/* sha256.h: SHA-256 (FIPS 180-4), for bundle manifest checks.
 *
 * Every bundle file is hashed in every process that uses it (bundle.c), so
 * the hash must be fast: where the CPU has SHA instructions (x86-64 SHA-NI,
 * ARMv8 SHA2) they are used, chosen at run time; the portable C version is
 * used elsewhere and is the reference the others are tested against. */
#ifndef SAGESHIM_SHA256_H
#define SAGESHIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct ss_sha256 {
    uint32_t state[8];
    uint64_t length;      /* bytes hashed so far */
    uint8_t block[64];
    size_t used;
};

void ss_sha256_init(struct ss_sha256 *s);
void ss_sha256_update(struct ss_sha256 *s, const void *data, size_t len);
void ss_sha256_final(struct ss_sha256 *s, uint8_t digest[32]);
/* One call: hex digest (64 chars + NUL) of a buffer. */
void ss_sha256_hex(const void *data, size_t len, char hex[65]);

enum ss_sha256_impl {
    SS_SHA256_BEST,        /* the fastest this CPU has (the default) */
    SS_SHA256_PORTABLE,    /* plain C */
    SS_SHA256_X86_SHANI,   /* x86-64 SHA extensions (sha256rnds2, sha256msg1/2) */
    SS_SHA256_ARMV8,       /* ARMv8 SHA2 extension (sha256h, sha256su0/1) */
};

/* Whether this CPU (and this build) has `impl`. */
int ss_sha256_available(enum ss_sha256_impl impl);
/* Use `impl` from now on, in the whole process (tests and benchmarks);
 * 0, or -1 when it is not available (nothing changes). */
int ss_sha256_use(enum ss_sha256_impl impl);
/* The implementation in use: "portable", "x86-64 SHA-NI" or "ARMv8 SHA2". */
const char *ss_sha256_impl_name(void);

#endif
