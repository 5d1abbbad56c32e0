/* bombs.h: inputs that cost far more to unpack than to store, built in
 * memory for the budget tests (issue 15, cases 7 and 8). */
#ifndef SAGESHIM_TESTS_BOMBS_H
#define SAGESHIM_TESTS_BOMBS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void bomb_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void bomb_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void bomb_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A zstd frame of `size` zero bytes (a multiple of 128 KiB) made of RLE
 * blocks: 4 bytes per 128 KiB.  Returns its length; out needs
 * 13 + 4 * size / 128 KiB bytes. */
static inline size_t bomb_zstd_zeros(uint8_t *out, uint64_t size)
{
    size_t n = 0;
    bomb_put32(out, 0xFD2FB528u);        /* magic */
    out[4] = 0xE0;                       /* 8-byte content size, single segment */
    bomb_put64(out + 5, size);
    n = 13;
    uint64_t blocks = size / (128 * 1024);
    for (uint64_t b = 0; b < blocks; b++) {
        uint32_t header = (uint32_t)(b + 1 == blocks) | 1u << 1 /* RLE */ | (128u * 1024) << 3;
        out[n++] = (uint8_t)header;
        out[n++] = (uint8_t)(header >> 8);
        out[n++] = (uint8_t)(header >> 16);
        out[n++] = 0;                    /* the byte repeated */
    }
    return n;
}

/* A fatbin container of `entries` sm_90 ELF entries, each a zstd frame
 * claiming 256 MiB of zeros (about 8 KiB stored each).  Caller frees. */
static inline uint8_t *bomb_container(unsigned entries, size_t *len)
{
    const uint64_t claim = 256u * 1024 * 1024;
    size_t frame_max = 13 + 4 * (size_t)(claim / (128 * 1024));
    size_t entry_max = 64 + ((frame_max + 7) & ~(size_t)7);
    uint8_t *buf = calloc(1, 16 + entries * entry_max);
    if (!buf)
        return NULL;
    size_t at = 16;
    for (unsigned i = 0; i < entries; i++) {
        uint8_t *h = buf + at;
        size_t frame = bomb_zstd_zeros(h + 64, claim);
        size_t padded = (frame + 7) & ~(size_t)7;
        bomb_put16(h + 0x00, 2);             /* ELF */
        bomb_put16(h + 0x02, 0x0101);
        bomb_put32(h + 0x04, 64);            /* header size */
        bomb_put64(h + 0x08, padded);        /* payload size */
        bomb_put32(h + 0x10, (uint32_t)frame); /* compressed size */
        bomb_put32(h + 0x1c, 90);            /* sm_90 */
        bomb_put64(h + 0x28, 0x8000u | 0x1u); /* zstd, 64-bit */
        bomb_put64(h + 0x38, claim);         /* uncompressed size */
        at += 64 + padded;
    }
    bomb_put32(buf, 0xBA55ED50u);
    bomb_put16(buf + 4, 1);
    bomb_put16(buf + 6, 16);
    bomb_put64(buf + 8, at - 16);
    *len = at;
    return buf;
}

/* Write bomb_container(entries) to path; 0 or -1. */
static inline int bomb_write(const char *path, unsigned entries)
{
    size_t len = 0;
    uint8_t *bytes = bomb_container(entries, &len);
    FILE *f = bytes ? fopen(path, "wb") : NULL;
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(bytes);
    return ok ? 0 : -1;
}

#endif
