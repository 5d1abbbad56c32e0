/* container.c: one fatbin container - the 16-byte header, then entries
 * back to back (fatbin-format.md §2).  Layout problems fail the container
 * with the offset where they were seen; problems inside one entry's payload
 * (decompression, cubin/PTX reading) stay in that entry's note. */
#include "image.h"
#include "image_internal.h"

#include <stdlib.h>
#include <string.h>

#define CONTAINER_HEADER_SIZE 16
#define ENTRY_HEADER_MIN 64

static enum ss_compression compression_of(uint64_t flags)
{
    if (flags & SS_FLAG_LZ4)
        return SS_COMPRESS_LZ4;
    if (flags & SS_FLAG_ZSTD)
        return SS_COMPRESS_ZSTD;
    return SS_COMPRESS_NONE;
}

static enum ss_variant variant_of(uint64_t flags)
{
    if (flags & SS_FLAG_ARCH_SPECIFIC)
        return SS_VARIANT_A;
    if (flags & SS_FLAG_FAMILY)
        return SS_VARIANT_F;
    return SS_VARIANT_PLAIN;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Read the entry header at bytes[at..end) into e; checks that the header
 * and the stored payload lie inside the container. */
static int entry_header_read(const uint8_t *bytes, size_t at, size_t end,
                             struct ss_entry *e, struct ss_error *err)
{
    const uint8_t *h = bytes + at;
    size_t room = end - at;
    if (room < ENTRY_HEADER_MIN)
        return ss_fail(err, at, "truncated entry header: %zu of %d bytes left in the container",
                       room, ENTRY_HEADER_MIN);
    memset(e, 0, sizeof *e);
    e->offset = at;
    e->bytes = h;
    e->kind = ss_load16(h + 0x00);
    e->header_size = ss_load32(h + 0x04);
    e->payload_size = ss_load64(h + 0x08);
    e->compressed_size = ss_load32(h + 0x10);
    e->sm = ss_load32(h + 0x1c);
    e->flags = ss_load64(h + 0x28);
    e->uncompressed_size = ss_load64(h + 0x38);
    e->is_64bit = (e->flags & SS_FLAG_64BIT) != 0;
    e->is_debug = (e->flags & SS_FLAG_DEBUG) != 0;
    e->compression = compression_of(e->flags);
    e->variant = variant_of(e->flags);

    if (e->header_size < ENTRY_HEADER_MIN)
        return ss_fail(err, at + 0x04, "entry header_size %u is below %d",
                       e->header_size, ENTRY_HEADER_MIN);
    if (e->header_size > room)
        return ss_fail(err, at + 0x04, "entry header_size %u runs past the container end (%zu bytes left)",
                       e->header_size, room);
    if (e->payload_size > room - e->header_size)
        return ss_fail(err, at + 0x08, "entry payload_size %llu runs past the container end (%zu bytes left)",
                       (unsigned long long)e->payload_size, room - e->header_size);
    if (e->compressed_size > e->payload_size)
        return ss_fail(err, at + 0x10, "entry compressed_size %u exceeds payload_size %llu",
                       e->compressed_size, (unsigned long long)e->payload_size);
    e->size = e->header_size + (size_t)e->payload_size;
    return 0;
}

static int entries_grow(struct ss_container *c, size_t *cap)
{
    if (c->nentries < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    struct ss_entry *n = realloc(c->entries, ncap * sizeof *n);
    if (!n)
        return -1;
    c->entries = n;
    *cap = ncap;
    return 0;
}

int ss_container_parse(const uint8_t *bytes, size_t avail, struct ss_container *c,
                       struct ss_error *err)
{
    uint64_t used = 0;   /* a container parsed alone is an image of its own */
    return ss_container_parse_within(bytes, avail, c, &used, err);
}

int ss_container_parse_within(const uint8_t *bytes, size_t avail, struct ss_container *c,
                              uint64_t *image_used, struct ss_error *err)
{
    memset(c, 0, sizeof *c);
    c->origin = SS_FROM_CONTAINER;
    if (avail < CONTAINER_HEADER_SIZE)
        return ss_fail(err, 0, "truncated container header: %zu of %d bytes", avail,
                       CONTAINER_HEADER_SIZE);
    uint32_t magic = ss_load32(bytes);
    if (magic != SS_CONTAINER_MAGIC)
        return ss_fail(err, 0, "bad container magic 0x%08x (expected 0x%08x)", magic,
                       SS_CONTAINER_MAGIC);
    uint16_t header_size = ss_load16(bytes + 6);
    uint64_t fat_size = ss_load64(bytes + 8);
    if (header_size < CONTAINER_HEADER_SIZE || header_size > avail)
        return ss_fail(err, 6, "bad container header_size %u", header_size);
    if (fat_size > avail - header_size)
        return ss_fail(err, 8, "container fat_size %llu runs past the end of the input (%zu bytes after the header)",
                       (unsigned long long)fat_size, avail - header_size);
    size_t end = header_size + (size_t)fat_size;
    c->bytes = bytes;
    c->size = end;

    size_t cap = 0;
    size_t at = header_size;
    while (at < end) {
        /* Zero bytes after the last entry are padding, not an entry. */
        if (end - at < ENTRY_HEADER_MIN && all_zero(bytes + at, end - at))
            break;
        if (entries_grow(c, &cap) < 0) {
            ss_container_free(c);
            return ss_fail_nooffset(err, "out of memory reading container entries");
        }
        struct ss_entry *e = &c->entries[c->nentries];
        if (entry_header_read(bytes, at, end, e, err) < 0) {
            ss_container_free(c);
            return -1;
        }
        c->nentries++;
        at += e->size;
    }
    for (size_t i = 0; i < c->nentries; i++)
        ss_entry_load(&c->entries[i], image_used);
    return 0;
}
