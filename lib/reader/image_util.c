/* image_util.c: small helpers of the container readers - unaligned
 * little-endian loads, the extent of an ELF file, and growing the lists of
 * an ss_image. */
#include "image.h"
#include "image_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint16_t ss_load16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t ss_load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t ss_load64(const uint8_t *p)
{
    return (uint64_t)ss_load32(p) | (uint64_t)ss_load32(p + 4) << 32;
}

/* end = off + size, refusing anything that overflows or passes avail. */
static int extend(size_t *extent, uint64_t off, uint64_t size, size_t avail)
{
    if (off > avail || size > avail - off)
        return -1;
    if (off + size > *extent)
        *extent = (size_t)(off + size);
    return 0;
}

#define ELF64_EHDR_SIZE 64
#define ELF64_SHDR_SIZE 64
#define ELF64_PHDR_SIZE 56
#define SHT_NOBITS_VALUE 8

size_t ss_elf_extent(const uint8_t *p, size_t avail)
{
    if (avail < ELF64_EHDR_SIZE || memcmp(p, "\x7f" "ELF", 4) != 0 || p[4] != 2 /* ELFCLASS64 */
        || p[5] != 1 /* little-endian */)
        return 0;
    uint64_t phoff = ss_load64(p + 0x20), shoff = ss_load64(p + 0x28);
    uint16_t phentsize = ss_load16(p + 0x36), phnum = ss_load16(p + 0x38);
    uint16_t shentsize = ss_load16(p + 0x3a), shnum = ss_load16(p + 0x3c);
    size_t extent = ELF64_EHDR_SIZE;
    if (phnum && (phentsize < ELF64_PHDR_SIZE
                  || extend(&extent, phoff, (uint64_t)phnum * phentsize, avail) < 0))
        return 0;
    if (shnum && (shentsize < ELF64_SHDR_SIZE
                  || extend(&extent, shoff, (uint64_t)shnum * shentsize, avail) < 0))
        return 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = p + phoff + (uint64_t)i * phentsize;
        if (extend(&extent, ss_load64(ph + 0x08), ss_load64(ph + 0x20), avail) < 0)
            return 0;
    }
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *sh = p + shoff + (uint64_t)i * shentsize;
        if (ss_load32(sh + 0x04) == SHT_NOBITS_VALUE)
            continue;
        if (extend(&extent, ss_load64(sh + 0x18), ss_load64(sh + 0x20), avail) < 0)
            return 0;
    }
    return extent;
}

int ss_image_note(struct ss_image *image, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *copy = strdup(line);
    char **grown = copy ? realloc(image->notes, (image->nnotes + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(copy);
        return -1;
    }
    image->notes = grown;
    image->notes[image->nnotes++] = copy;
    return 0;
}

int ss_image_add_container(struct ss_image *image, struct ss_container *c)
{
    struct ss_container *grown =
        realloc(image->containers, (image->ncontainers + 1) * sizeof *grown);
    if (!grown)
        return -1;
    image->containers = grown;
    image->containers[image->ncontainers++] = *c;
    memset(c, 0, sizeof *c);
    return 0;
}

void ss_entry_note_error(struct ss_entry *e, const char *what, const struct ss_error *err)
{
    char msg[sizeof err->message + 32];
    char line[sizeof msg + 64];
    ss_error_format(err, msg, sizeof msg);
    snprintf(line, sizeof line, "%.60s: %s", what, msg);
    /* Notes are short by design: keep their beginning. */
    size_t n = strnlen(line, sizeof e->note - 1);
    memcpy(e->note, line, n);
    e->note[n] = '\0';
}
