/* image.c: finding containers in files and in memory, and naming things
 * (fatbin-format.md §1-3).  Walking containers stored back to back is
 * walk.c's (host ELF sections walk them too), names are names.c's and
 * releasing is release.c's. */
#include "image.h"
#include "image_internal.h"
#include "base/file.h"
#include "base/memprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EM_CUDA_MACHINE 190
#define MAX_FILE_SIZE (1024u * 1024 * 1024)
/* Largest in-memory image we are willing to measure or copy. */
#define MAX_LOADED_SIZE ((size_t)SS_MAX_PAYLOAD * 4)

/* ---- files ---- */

int ss_read_file(const char *path, uint8_t **bytes, size_t *len, struct ss_error *err)
{
    struct ss_file_rules rules = { .max = MAX_FILE_SIZE };
    char why[256];
    if (ss_file_read(path, &rules, bytes, len, NULL, why, sizeof why) < 0)
        return ss_fail_nooffset(err, "%s: %s", path, why);
    return 0;
}

/* ---- bare cubin and PTX ---- */

static int is_cuda_elf(const uint8_t *bytes, size_t len)
{
    return len >= 20 && ss_load16(bytes + 18) == EM_CUDA_MACHINE;
}

/* A one-entry container standing for a bare cubin or PTX text. */
static int add_single(struct ss_image *image, const uint8_t *bytes, size_t len,
                      enum ss_origin origin, struct ss_entry *e, struct ss_error *err)
{
    struct ss_container c;
    memset(&c, 0, sizeof c);
    c.origin = origin;
    c.bytes = bytes;
    c.size = len;
    c.entries = malloc(sizeof *c.entries);
    if (!c.entries) {
        ss_entry_free(e);
        return ss_fail_nooffset(err, "out of memory");
    }
    c.entries[0] = *e;
    c.nentries = 1;
    return ss_image_take_container(image, &c, err);
}

static void bare_entry_init(struct ss_entry *e, const uint8_t *bytes, size_t len, unsigned kind)
{
    memset(e, 0, sizeof *e);
    e->bytes = bytes;
    e->size = len;
    e->kind = kind;
    e->payload_size = len;
    e->data = (uint8_t *)bytes; /* not owned: the caller's buffer */
    e->data_len = len;
    /* A cubin says its class in e_ident; PTX for the driver is 64-bit. */
    e->is_64bit = kind != SS_KIND_ELF || bytes[4] == 2 /* ELFCLASS64 */;
    e->flags = e->is_64bit ? SS_FLAG_64BIT : 0;
}

static int parse_bare_cubin(const uint8_t *bytes, size_t len, struct ss_image *image,
                            struct ss_error *err)
{
    struct ss_entry e;
    bare_entry_init(&e, bytes, len, SS_KIND_ELF);
    struct ss_error rerr = {0};
    if (ss_cubin_read(bytes, len, &e, &rerr) < 0)
        ss_entry_note_error(&e, "cubin not read", &rerr);
    e.sm = e.cubin.sm;
    e.variant = e.cubin.arch_specific ? SS_VARIANT_A : SS_VARIANT_PLAIN;
    return add_single(image, bytes, len, SS_FROM_CUBIN, &e, err);
}

static const char *find_text(const char *text, size_t len, const char *word)
{
    return memmem(text, len, word, strlen(word));
}

/* PTX text up to its NUL: starts with a comment or declares .version/.target. */
static int looks_like_ptx(const uint8_t *bytes, size_t len)
{
    const uint8_t *nul = memchr(bytes, 0, len);
    size_t text_len = nul ? (size_t)(nul - bytes) : len;
    const char *text = (const char *)bytes;
    if (text_len >= 2 && text[0] == '/' && text[1] == '/')
        return 1;
    return find_text(text, text_len, ".version") || find_text(text, text_len, ".target");
}

/* ".target sm_90a" -> 90, variant A. */
static void ptx_target(const char *text, size_t len, struct ss_entry *e)
{
    const char *t = find_text(text, len, ".target");
    if (!t)
        return;
    const char *end = text + len;
    const char *p = t + strlen(".target");
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p < 3 || strncmp(p, "sm_", 3) != 0)
        return;
    p += 3;
    unsigned sm = 0;
    while (p < end && *p >= '0' && *p <= '9' && sm < 100000)
        sm = sm * 10 + (unsigned)(*p++ - '0');
    e->sm = sm;
    if (p < end && *p == 'a')
        e->variant = SS_VARIANT_A;
    else if (p < end && *p == 'f')
        e->variant = SS_VARIANT_F;
}

static int parse_bare_ptx(const uint8_t *bytes, size_t len, struct ss_image *image,
                          struct ss_error *err)
{
    struct ss_entry e;
    bare_entry_init(&e, bytes, len, SS_KIND_PTX);
    const uint8_t *nul = memchr(bytes, 0, len);
    ptx_target((const char *)bytes, nul ? (size_t)(nul - bytes) : len, &e);
    struct ss_error rerr = {0};
    if (ss_ptx_read((const char *)bytes, len, &e, &rerr) < 0)
        ss_entry_note_error(&e, "PTX not read", &rerr);
    return add_single(image, bytes, len, SS_FROM_PTX, &e, err);
}

/* ---- entry points ---- */

static int parse_any(const uint8_t *bytes, size_t len, struct ss_image *image,
                     struct ss_error *err)
{
    if (!bytes || len == 0)
        return ss_fail(err, 0, "empty input");
    if (len >= 4 && memcmp(bytes, "\x7f" "ELF", 4) == 0) {
        if (is_cuda_elf(bytes, len))
            return parse_bare_cubin(bytes, len, image, err);
        return ss_hostelf_parse(bytes, len, image, err);
    }
    if (len >= 4 && ss_load32(bytes) == SS_CONTAINER_MAGIC)
        return ss_containers_walk(bytes, len, 0, SS_FROM_CONTAINER, "", image, err) < 0 ? -1 : 0;
    if (looks_like_ptx(bytes, len))
        return parse_bare_ptx(bytes, len, image, err);
    return ss_fail(err, 0, "unrecognized input: not an ELF file, a fatbin container or PTX text");
}

int ss_image_parse(const uint8_t *bytes, size_t len, struct ss_image *image,
                   struct ss_error *err)
{
    memset(image, 0, sizeof *image);
    if (parse_any(bytes, len, image, err) < 0) {
        ss_image_free(image);
        return -1;
    }
    return 0;
}

/* ---- images in memory ---- */

/* The driver call gives a bare pointer; its length comes from headers that
 * may lie.  Nothing below reads a byte that ss_readable_extent has not
 * shown to be mapped and readable, and an image claiming more than that is
 * refused (the shim then hands the original to the driver unchanged). */

#define WRAPPER_SIZE 16        /* magic, version, data pointer */
#define CONTAINER_HEADER 16
#define ELF64_HEADER 64

static int readable(const uint8_t *p, size_t n)
{
    return ss_readable_extent(p, n) >= n;
}

/* Length of a container from its (readable) header, 0 when it is not one
 * or is too large to believe. */
static size_t container_length(const uint8_t *p)
{
    if (ss_load32(p) != SS_CONTAINER_MAGIC)
        return 0;
    uint16_t header_size = ss_load16(p + 6);
    uint64_t fat_size = ss_load64(p + 8);
    if (header_size < 16 || fat_size > MAX_LOADED_SIZE - header_size)
        return 0;
    return header_size + (size_t)fat_size;
}

/* The claimed length must be readable; otherwise say how much is. */
static size_t check_claim(const uint8_t *p, size_t claimed, size_t field, const char *what,
                          struct ss_error *err)
{
    if (ss_readable_extent(p, claimed) < claimed) {
        /* (How many are readable depends on the process's layout: not said,
         * so the message is the same in every process.) */
        ss_fail(err, field, "%s claims %zu bytes, more than are mapped and readable", what,
                claimed);
        return 0;
    }
    return claimed;
}

static size_t loaded_container(const uint8_t *p, struct ss_error *err)
{
    if (!readable(p, CONTAINER_HEADER)) {
        ss_fail(err, 0, "container header is not readable");
        return 0;
    }
    size_t n = container_length(p);
    if (!n) {
        ss_fail(err, 8, "container header claims more than %zu bytes, or is malformed",
                MAX_LOADED_SIZE);
        return 0;
    }
    return check_claim(p, n, 8, "container header_size + fat_size", err);
}

/* A 64-bit ELF: its header, then its header tables, then what they claim,
 * each probed before it is read. */
static size_t loaded_elf(const uint8_t *p, struct ss_error *err)
{
    if (!readable(p, ELF64_HEADER)) {
        ss_fail(err, 0, "ELF header is not readable");
        return 0;
    }
    uint64_t phoff = ss_load64(p + 0x20), shoff = ss_load64(p + 0x28);
    uint64_t ph_end = phoff + (uint64_t)ss_load16(p + 0x36) * ss_load16(p + 0x38);
    uint64_t sh_end = shoff + (uint64_t)ss_load16(p + 0x3a) * ss_load16(p + 0x3c);
    uint64_t tables = ph_end > sh_end ? ph_end : sh_end;
    if (phoff > MAX_LOADED_SIZE || shoff > MAX_LOADED_SIZE || tables > MAX_LOADED_SIZE) {
        ss_fail(err, 0x20, "ELF header tables lie past %zu bytes", MAX_LOADED_SIZE);
        return 0;
    }
    if (tables > ELF64_HEADER && !check_claim(p, (size_t)tables, 0x20, "ELF header tables", err))
        return 0;
    /* Reads the header tables only (now known readable). */
    size_t n = ss_elf_extent(p, MAX_LOADED_SIZE);
    if (!n) {
        ss_fail(err, 0, "ELF headers are malformed or claim more than %zu bytes",
                MAX_LOADED_SIZE);
        return 0;
    }
    return check_claim(p, n, 0, "ELF sections and segments", err);
}

/* NUL-terminated text: scanned one readable page at a time. */
static size_t loaded_text(const uint8_t *p, struct ss_error *err)
{
    size_t at = 0;
    while (at < MAX_LOADED_SIZE) {
        /* up to the end of the page holding p + at */
        size_t chunk = 4096 - ((uintptr_t)(p + at) % 4096);
        if (chunk > MAX_LOADED_SIZE - at)
            chunk = MAX_LOADED_SIZE - at;
        if (!readable(p + at, chunk)) {
            ss_fail(err, at, "text is not NUL-terminated within its readable memory");
            return 0;
        }
        const uint8_t *nul = memchr(p + at, 0, chunk);
        if (nul)
            return (size_t)(nul - p) + 1;
        at += chunk;
    }
    ss_fail(err, 0, "text is longer than %zu bytes", MAX_LOADED_SIZE);
    return 0;
}

static int looks_like_text_start(const uint8_t *p)
{
    return p[0] == '/' || p[0] == '.' || p[0] == ' ' || p[0] == '\t' || p[0] == '\n'
        || p[0] == '\r';
}

/* Where an in-memory image's bytes are and how long they are; for a
 * wrapper, the container it points to.  0 (err set) when unknown or when
 * its headers claim more than is readable. */
static size_t loaded_extent(const void *image, const uint8_t **start, struct ss_error *err)
{
    const uint8_t *p = image;
    *start = NULL;
    if (!p) {
        ss_fail_nooffset(err, "no image (NULL pointer)");
        return 0;
    }
    if (!readable(p, 4)) {
        ss_fail(err, 0, "the image pointer %p is not readable", image);
        return 0;
    }
    uint32_t magic = ss_load32(p);
    size_t n = 0;
    if (magic == SS_WRAPPER_MAGIC) {
        if (!readable(p, WRAPPER_SIZE)) {
            ss_fail(err, 4, "fatbin wrapper header is not readable");
            return 0;
        }
        uint32_t version = ss_load32(p + 4);
        const uint8_t *data;
        memcpy(&data, p + 8, sizeof data);
        if ((version != 1 && version != 2) || !data) {
            ss_fail(err, 4, "fatbin wrapper with a bad version or data pointer");
            return 0;
        }
        p = data;
        n = loaded_container(p, err);
    } else if (magic == SS_CONTAINER_MAGIC) {
        n = loaded_container(p, err);
    } else if (memcmp(p, "\x7f" "ELF", 4) == 0) {
        n = loaded_elf(p, err);
    } else if (looks_like_text_start(p)) {
        n = loaded_text(p, err);
    } else {
        ss_fail(err, 0, "unrecognized in-memory image: not a fatbin wrapper, a container, "
                        "an ELF file or PTX text");
    }
    if (n)
        *start = p;
    return n;
}

size_t ss_image_measure(const void *image)
{
    const uint8_t *start;
    struct ss_error err;
    return loaded_extent(image, &start, &err);
}

int ss_image_parse_loaded(const void *image, struct ss_image *out, struct ss_error *err)
{
    memset(out, 0, sizeof *out);
    const uint8_t *start;
    struct ss_error local;
    size_t n = loaded_extent(image, &start, err ? err : &local);
    if (!n)
        return -1;
    if (ss_image_parse(start, n, out, err) < 0)
        return -1;
    if (start != image)
        for (size_t i = 0; i < out->ncontainers; i++)
            out->containers[i].origin = SS_FROM_WRAPPER;
    return 0;
}
