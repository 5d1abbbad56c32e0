/* sha256.h: SHA-256 (FIPS 180-4), for bundle manifest checks. */
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

#endif
