/* walk.c: containers stored back to back, as a fatbin file holds them and
 * as a host ELF's .nv_fatbin section does.  Its own file so that image.c
 * (files) and hostelf.c (sections) both call it and neither calls the
 * other back. */
#include "image.h"
#include "image_internal.h"

#include <stdio.h>

/* Entry notes are copied to the image, prefixed with where they are. */
static int collect_entry_notes(struct ss_image *image, const struct ss_container *c)
{
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        if (!e->note[0])
            continue;
        char arch[32];
        ss_entry_arch_name(e, arch, sizeof arch);
        if (ss_image_note(image, "container at offset 0x%zx%s%s: entry at offset 0x%zx (%s): %s",
                          c->offset, c->section[0] ? " in " : "", c->section,
                          c->offset + e->offset, arch, e->note) < 0)
            return -1;
    }
    return 0;
}

int ss_image_take_container(struct ss_image *image, struct ss_container *c, struct ss_error *err)
{
    if (collect_entry_notes(image, c) < 0 || ss_image_add_container(image, c) < 0) {
        ss_container_free(c);
        return ss_fail_nooffset(err, "out of memory");
    }
    return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

int ss_containers_walk(const uint8_t *bytes, size_t len, size_t base,
                       enum ss_origin origin, const char *section,
                       struct ss_image *image, struct ss_error *err)
{
    int added = 0;
    size_t at = 0;
    while (at < len && !all_zero(bytes + at, len - at)) {
        struct ss_container c;
        struct ss_error cerr = {0};
        if (ss_container_parse_within(bytes + at, len - at, &c, &image->decompressed, &cerr) < 0) {
            if (cerr.has_offset)
                cerr.offset += base + at;
            if (added == 0) {
                if (err)
                    *err = cerr;
                return -1;
            }
            char msg[sizeof cerr.message + 32];
            ss_error_format(&cerr, msg, sizeof msg);
            if (ss_image_note(image, "data after the last container ignored: %s", msg) < 0)
                return ss_fail_nooffset(err, "out of memory");
            break;
        }
        c.origin = origin;
        snprintf(c.section, sizeof c.section, "%s", section ? section : "");
        c.offset = base + at;
        size_t size = c.size;
        if (ss_image_take_container(image, &c, err) < 0)
            return -1;
        added++;
        /* Containers start 8-aligned; size <= len - at, so this cannot wrap. */
        at += size;
        at += (8 - at % 8) % 8;
    }
    return added;
}
