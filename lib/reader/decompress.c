/* decompress.c: an entry's payload as plain bytes (fatbin-format.md §3).
 * 0x2000 = raw LZ4 block, 0x8000 = zstd frame, anything else is stored raw.
 * LTO-IR (kind 8) is never decoded: its payload lacks the zstd magic even
 * though 0x8000 is set. */
#include "image.h"
#include "image_internal.h"

#include <lz4.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* Raw payloads are padded to 8 bytes; give back the bytes that belong to
 * the code object so raw and decompressed entries compare equal: an ELF up
 * to its last header/section, PTX up to and including its NUL. */
static size_t raw_length(const struct ss_entry *e, const uint8_t *payload, size_t stored)
{
    if (e->kind == SS_KIND_ELF) {
        size_t extent = ss_elf_extent(payload, stored);
        return extent ? extent : stored;
    }
    if (e->kind == SS_KIND_PTX) {
        const uint8_t *nul = memchr(payload, 0, stored);
        return nul ? (size_t)(nul - payload) + 1 : stored;
    }
    return stored;
}

static int decode(const struct ss_entry *e, const uint8_t *src, uint8_t *dst,
                  size_t payload_at, struct ss_error *err)
{
    size_t want = (size_t)e->uncompressed_size;
    if (e->compression == SS_COMPRESS_LZ4) {
        int got = LZ4_decompress_safe((const char *)src, (char *)dst,
                                      (int)e->compressed_size, (int)want);
        if (got < 0)
            return ss_fail(err, payload_at,
                           "LZ4 payload is corrupt or larger than uncompressed_size %zu", want);
        if ((size_t)got != want)
            return ss_fail(err, e->offset + 0x38,
                           "LZ4 payload gave %d bytes, uncompressed_size says %zu", got, want);
        return 0;
    }
    /* The frame header usually records the size too; a disagreement is
     * clearer reported as such than as "destination too small". */
    unsigned long long framed = ZSTD_getFrameContentSize(src, e->compressed_size);
    if (framed == ZSTD_CONTENTSIZE_ERROR)
        return ss_fail(err, payload_at, "zstd payload has no valid frame header");
    if (framed != ZSTD_CONTENTSIZE_UNKNOWN && framed != want)
        return ss_fail(err, e->offset + 0x38, "zstd frame holds %llu bytes, uncompressed_size says %zu",
                       framed, want);
    size_t got = ZSTD_decompress(dst, want, src, e->compressed_size);
    if (ZSTD_isError(got))
        return ss_fail(err, payload_at, "zstd payload is corrupt: %s", ZSTD_getErrorName(got));
    if (got != want)
        return ss_fail(err, e->offset + 0x38,
                       "zstd payload gave %zu bytes, uncompressed_size says %zu", got, want);
    return 0;
}

/* The command's budget: bytes decompressed by the whole process so far,
 * and its limit (0: none).  Atomic: the shim parses on any thread. */
static _Atomic uint64_t command_used;
static _Atomic uint64_t command_limit;

void ss_decompress_set_command_budget(uint64_t bytes)
{
    atomic_store(&command_limit, bytes);
}

#define MIB(n) ((unsigned long long)((n) >> 20))

/* Charge `want` bytes to the image and the command, or say which budget
 * is spent.  Charged before decompressing: the claim is what memory costs. */
static int charge(struct ss_entry *e, uint64_t *image_used, uint64_t want)
{
    if (image_used && want > SS_MAX_IMAGE_DECOMPRESSED - *image_used) {
        snprintf(e->note, sizeof e->note,
                 "not decompressed: %llu MiB more would pass the image's decompression budget "
                 "of %llu MiB (%llu MiB used)", MIB(want + ((1u << 20) - 1)),
                 MIB(SS_MAX_IMAGE_DECOMPRESSED), MIB(*image_used));
        return -1;
    }
    uint64_t limit = atomic_load(&command_limit);
    if (limit) {
        uint64_t before = atomic_fetch_add(&command_used, want);
        if (before > limit || want > limit - before) {
            atomic_fetch_sub(&command_used, want);
            snprintf(e->note, sizeof e->note,
                     "not decompressed: %llu MiB more would pass the command's decompression "
                     "budget of %llu MiB (%llu MiB used)", MIB(want + ((1u << 20) - 1)),
                     MIB(limit), MIB(before));
            return -1;
        }
    }
    if (image_used)
        *image_used += want;
    return 0;
}

int ss_entry_decompress(struct ss_entry *e, struct ss_error *err)
{
    uint64_t used = 0;
    return ss_entry_decompress_within(e, &used, err);
}

int ss_entry_decompress_within(struct ss_entry *e, uint64_t *image_used, struct ss_error *err)
{
    if (e->data)
        return 0; /* done already (ss_container_parse decompresses) */
    if (e->kind == SS_KIND_LTOIR) {
        snprintf(e->note, sizeof e->note, "LTO-IR entry not decompressed (kind 8)");
        return 0;
    }
    if (e->kind != SS_KIND_PTX && e->kind != SS_KIND_ELF) {
        snprintf(e->note, sizeof e->note, "unknown entry kind %u skipped", e->kind);
        return 0;
    }
    if (!e->bytes || e->header_size > e->size || e->payload_size > e->size - e->header_size)
        return ss_fail(err, e->offset, "entry sizes are inconsistent");
    const uint8_t *payload = e->bytes + e->header_size;
    size_t payload_at = e->offset + e->header_size;
    if (e->compression == SS_COMPRESS_NONE) {
        e->data = (uint8_t *)payload; /* not owned: points into the caller's buffer */
        e->data_len = raw_length(e, payload, (size_t)e->payload_size);
        e->data_owned = 0;
        return 0;
    }
    if (e->compressed_size == 0 || e->compressed_size > e->payload_size)
        return ss_fail(err, e->offset + 0x10, "compressed_size %u does not fit payload_size %llu",
                       e->compressed_size, (unsigned long long)e->payload_size);
    if (e->uncompressed_size == 0 || e->uncompressed_size > SS_MAX_PAYLOAD)
        return ss_fail(err, e->offset + 0x38, "uncompressed_size %llu is out of range (1..%u)",
                       (unsigned long long)e->uncompressed_size, SS_MAX_PAYLOAD);
    if (charge(e, image_used, e->uncompressed_size) < 0)
        return 0;   /* left compressed; the note says why */
    uint8_t *dst = malloc((size_t)e->uncompressed_size);
    if (!dst)
        return ss_fail_nooffset(err, "out of memory for %llu decompressed bytes",
                                (unsigned long long)e->uncompressed_size);
    if (decode(e, payload, dst, payload_at, err) < 0) {
        free(dst);
        return -1;
    }
    e->data = dst;
    e->data_len = (size_t)e->uncompressed_size;
    e->data_owned = 1;
    return 0;
}
