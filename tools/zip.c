/* zip.c: see zip.h.  Layout facts from the PKWARE APPNOTE: end of central
 * directory record (0x06054b50), central directory headers (0x02014b50),
 * local file headers (0x04034b50); all integers little-endian. */
#include "zip.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define EOCD_SIGNATURE    0x06054b50u
#define CENTRAL_SIGNATURE 0x02014b50u
#define LOCAL_SIGNATURE   0x04034b50u
#define EOCD_SIZE 22
#define CENTRAL_SIZE 46
#define LOCAL_SIZE 30
/* The EOCD record may be followed by a comment of up to 65535 bytes. */
#define EOCD_SEARCH (EOCD_SIZE + 65535)

static uint16_t read16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t read32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int zip_looks_like_archive(const uint8_t *bytes, size_t len)
{
    return len >= 4 && read32(bytes) == LOCAL_SIGNATURE;
}

static int find_end_record(const uint8_t *bytes, size_t len, size_t *where)
{
    if (len < EOCD_SIZE)
        return -1;
    size_t lowest = len > EOCD_SEARCH ? len - EOCD_SEARCH : 0;
    for (size_t at = len - EOCD_SIZE + 1; at-- > lowest;) {
        if (read32(bytes + at) == EOCD_SIGNATURE) {
            *where = at;
            return 0;
        }
    }
    return -1;
}

void zip_close(struct zip_archive *zip)
{
    for (size_t i = 0; i < zip->nmembers; i++)
        free(zip->members[i].name);
    free(zip->members);
    memset(zip, 0, sizeof *zip);
}

int zip_open(const uint8_t *bytes, size_t len, struct zip_archive *zip,
             struct ss_error *err)
{
    memset(zip, 0, sizeof *zip);
    zip->bytes = bytes;
    zip->len = len;
    size_t eocd;
    if (find_end_record(bytes, len, &eocd) < 0)
        return ss_fail_nooffset(err, "not a zip archive: no end of central directory record");
    unsigned count = read16(bytes + eocd + 10);
    uint32_t dir_size = read32(bytes + eocd + 12);
    uint32_t dir_offset = read32(bytes + eocd + 16);
    if (count == 0xffff || dir_offset == 0xffffffffu)
        return ss_fail(err, eocd, "zip64 archives are not supported");
    if (dir_offset > eocd || dir_size > eocd - dir_offset)
        return ss_fail(err, eocd, "central directory (offset 0x%x, size 0x%x) lies outside the file",
                       dir_offset, dir_size);
    zip->members = calloc(count ? count : 1, sizeof *zip->members);
    if (!zip->members)
        return ss_fail_nooffset(err, "out of memory");
    size_t at = dir_offset;
    size_t end = (size_t)dir_offset + dir_size;
    for (unsigned i = 0; i < count; i++) {
        if (end - at < CENTRAL_SIZE || read32(bytes + at) != CENTRAL_SIGNATURE) {
            zip_close(zip);
            return ss_fail(err, at, "bad central directory header %u", i);
        }
        const uint8_t *h = bytes + at;
        unsigned flags = read16(h + 8);
        size_t name_len = read16(h + 28);
        size_t extra_len = read16(h + 30);
        size_t comment_len = read16(h + 32);
        if (end - at - CENTRAL_SIZE < name_len + extra_len + comment_len) {
            zip_close(zip);
            return ss_fail(err, at, "central directory header %u runs past the directory", i);
        }
        struct zip_member *m = &zip->members[i];
        m->method = read16(h + 10);
        m->crc32 = read32(h + 16);
        m->compressed_size = read32(h + 20);
        m->uncompressed_size = read32(h + 24);
        m->local_offset = read32(h + 42);
        m->name = strndup((const char *)h + CENTRAL_SIZE, name_len);
        zip->nmembers = i + 1;
        if (!m->name) {
            zip_close(zip);
            return ss_fail_nooffset(err, "out of memory");
        }
        if (flags & 1) {
            zip_close(zip);
            return ss_fail(err, at, "%s: encrypted members are not supported", m->name);
        }
        at += CENTRAL_SIZE + name_len + extra_len + comment_len;
    }
    return 0;
}

static int inflate_raw(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* Negative window bits: raw deflate data, no zlib header. */
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return -1;
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)src_len;
    z.next_out = dst;
    z.avail_out = (uInt)dst_len;
    int rc = inflate(&z, Z_FINISH);
    size_t produced = z.total_out;
    inflateEnd(&z);
    return rc == Z_STREAM_END && produced == dst_len ? 0 : -1;
}

int zip_extract(struct zip_archive *zip, const struct zip_member *m,
                uint8_t **out, size_t *out_len, struct ss_error *err)
{
    *out = NULL;
    *out_len = 0;
    size_t at = m->local_offset;
    if (at > zip->len || zip->len - at < LOCAL_SIZE || read32(zip->bytes + at) != LOCAL_SIGNATURE)
        return ss_fail(err, at, "%s: bad local file header", m->name);
    size_t data = at + LOCAL_SIZE + read16(zip->bytes + at + 26) + read16(zip->bytes + at + 28);
    if (data > zip->len || zip->len - data < m->compressed_size)
        return ss_fail(err, at, "%s: member data runs past the end of the archive", m->name);
    if (m->uncompressed_size > ZIP_MAX_MEMBER)
        return ss_fail(err, at, "%s: member of %u bytes is too large", m->name, m->uncompressed_size);
    if (m->uncompressed_size > ZIP_MAX_TOTAL - zip->extracted)
        return ss_fail(err, at, "%s: %u more bytes would pass the archive's extraction budget of "
                       "%llu MiB (%llu MiB extracted)", m->name, m->uncompressed_size,
                       (unsigned long long)(ZIP_MAX_TOTAL >> 20),
                       (unsigned long long)(zip->extracted >> 20));
    if (m->method != 0 && m->method != 8)
        return ss_fail(err, at, "%s: compression method %u is not supported", m->name, m->method);
    if (m->method == 0 && m->compressed_size != m->uncompressed_size)
        return ss_fail(err, at, "%s: stored member with different sizes", m->name);
    uint8_t *buf = malloc(m->uncompressed_size ? m->uncompressed_size : 1);
    if (!buf)
        return ss_fail_nooffset(err, "out of memory");
    const uint8_t *src = zip->bytes + data;
    if (m->method == 0) {
        memcpy(buf, src, m->uncompressed_size);
    } else if (inflate_raw(src, m->compressed_size, buf, m->uncompressed_size) < 0) {
        free(buf);
        return ss_fail(err, data, "%s: deflate data is corrupt", m->name);
    }
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, m->uncompressed_size);
    if (crc != m->crc32) {
        free(buf);
        return ss_fail(err, data, "%s: CRC 0x%08x does not match 0x%08x", m->name, crc, m->crc32);
    }
    zip->extracted += m->uncompressed_size;
    *out = buf;
    *out_len = m->uncompressed_size;
    return 0;
}
