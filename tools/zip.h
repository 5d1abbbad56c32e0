/* zip.h: read members of a zip archive (a Python wheel) held in memory.
 *
 * Only what wheels use: the central directory, stored (0) and deflate (8)
 * members, no encryption, no zip64 (wheels of extension modules stay far
 * below 4 GiB).  Errors go into ss_error with the archive offset. */
#ifndef SAGESHIM_TOOLS_ZIP_H
#define SAGESHIM_TOOLS_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Largest member we inflate: the same bound ss_read_file puts on a file. */
#define ZIP_MAX_MEMBER (1024u * 1024 * 1024)
/* Most bytes extracted from one archive in total: a small wheel may hold
 * several members claiming ZIP_MAX_MEMBER each (the sizes are checked
 * before inflating, so memory and time stay bounded by this). */
#define ZIP_MAX_TOTAL ((uint64_t)1024 * 1024 * 1024)

struct zip_member {
    char *name;              /* path inside the archive */
    unsigned method;         /* 0 stored, 8 deflate */
    uint32_t crc32;
    uint32_t compressed_size;
    uint32_t uncompressed_size;
    uint32_t local_offset;   /* of the local file header */
};

struct zip_archive {
    const uint8_t *bytes;    /* the caller's buffer */
    size_t len;
    size_t nmembers;
    struct zip_member *members;
    uint64_t extracted;      /* bytes handed out by zip_extract (ZIP_MAX_TOTAL) */
};

/* 1 when the buffer starts like a zip archive ("PK\3\4"). */
int zip_looks_like_archive(const uint8_t *bytes, size_t len);

/* Read the central directory.  Returns 0, or -1 with err set. */
int zip_open(const uint8_t *bytes, size_t len, struct zip_archive *zip,
             struct ss_error *err);

/* Extract one member into a malloc'ed buffer; the CRC is checked.  Fails
 * when the member would take the archive past ZIP_MAX_TOTAL. */
int zip_extract(struct zip_archive *zip, const struct zip_member *m,
                uint8_t **out, size_t *out_len, struct ss_error *err);

void zip_close(struct zip_archive *zip);

#endif
