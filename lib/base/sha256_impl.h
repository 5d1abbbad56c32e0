/* sha256_impl.h: what the SHA-256 implementations share (sha256.c picks
 * one at run time).  Each compresses whole 64-byte blocks into the state. */
#ifndef SAGESHIM_SHA256_IMPL_H
#define SAGESHIM_SHA256_IMPL_H

#include <stddef.h>
#include <stdint.h>

typedef void (*ss_sha256_blocks_fn)(uint32_t state[8], const uint8_t *data, size_t nblocks);

/* FIPS 180-4, 4.2.2: the round constants. */
extern const uint32_t ss_sha256_k[64];

/* sha256_x86.c: 1 when the CPU has SHA-NI, SSSE3 and SSE4.1 (always 0
 * off x86-64). */
int ss_sha256_x86_available(void);
void ss_sha256_x86_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks);

/* sha256_arm.c: 1 when the CPU has the ARMv8 SHA2 instructions (always 0
 * off little-endian aarch64). */
int ss_sha256_arm_available(void);
void ss_sha256_arm_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks);

#endif
