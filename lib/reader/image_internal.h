/* image_internal.h: helpers shared by the container readers (image.c,
 * container.c, decompress.c, hostelf.c, walk.c, release.c); not part of the
 * library's API. */
#ifndef SAGESHIM_IMAGE_INTERNAL_H
#define SAGESHIM_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* Little-endian loads that tolerate any alignment. */
uint16_t ss_load16(const uint8_t *p);
uint32_t ss_load32(const uint8_t *p);
uint64_t ss_load64(const uint8_t *p);

/* Bytes an ELF64 file at p spans according to its own headers: the end of
 * the section and program header tables and of every section / segment with
 * file contents.  0 when p is not ELF64 or a header points past `avail`. */
size_t ss_elf_extent(const uint8_t *p, size_t avail);

/* entry->note = "<what>: at offset 0x..: <message>", cut to fit. */
void ss_entry_note_error(struct ss_entry *e, const char *what, const struct ss_error *err);

/* Decompress an entry and read its kernels; problems go to entry->note.
 * *image_used counts the bytes decompressed for the image so far and is
 * charged with this entry's (SS_MAX_IMAGE_DECOMPRESSED). */
void ss_entry_load(struct ss_entry *e, uint64_t *image_used);

/* ss_entry_decompress charging *image_used (and the command's budget). */
int ss_entry_decompress_within(struct ss_entry *e, uint64_t *image_used, struct ss_error *err);

/* ss_container_parse, charging decompression to *image_used. */
int ss_container_parse_within(const uint8_t *bytes, size_t avail, struct ss_container *c,
                              uint64_t *image_used, struct ss_error *err);

/* Append one note line (formatted) to image->notes.  Returns -1 only when
 * out of memory. */
int ss_image_note(struct ss_image *image, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Move c into image->containers (c is emptied).  -1 when out of memory. */
int ss_image_add_container(struct ss_image *image, struct ss_container *c);

/* Free what an entry owns (its decompressed data, its kernels); release.c. */
void ss_entry_free(struct ss_entry *e);

/* Add c to the image, its entries' notes copied to the image's notes first;
 * on failure c is freed and err says "out of memory".  walk.c. */
int ss_image_take_container(struct ss_image *image, struct ss_container *c,
                            struct ss_error *err);

/* Walk containers stored back to back (8-aligned) in bytes[0..len), which
 * sit at `base` in the input.  Each one found is added with the given origin
 * and section name.  A container that fails stops the walk: with none found
 * yet the call returns -1 (err offset relative to the input), otherwise the
 * failure becomes a note.  Returns the number of containers added.  walk.c. */
int ss_containers_walk(const uint8_t *bytes, size_t len, size_t base,
                       enum ss_origin origin, const char *section,
                       struct ss_image *image, struct ss_error *err);

/* Containers of a host ELF's .nv_fatbin / __nv_relfatbin sections. */
int ss_hostelf_parse(const uint8_t *bytes, size_t len, struct ss_image *image,
                     struct ss_error *err);

#endif
