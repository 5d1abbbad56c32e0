/* fuzz_image.c: the container walker on arbitrary bytes - host ELF,
 * containers back to back, bare cubin or PTX, with decompression and
 * kernel reading of every entry - and ss_container_parse on the same bytes. */
#include <stdlib.h>

#include "fuzz_targets.h"
#include "reader/image.h"

/* Look at every entry the way the tools' listings do, so the fields the
 * parser filled are read (ASan sees reads of anything left dangling). */
static void visit_entries(const struct ss_container *c)
{
    char arch[32];
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        ss_entry_arch_name(e, arch, sizeof arch);
        (void)ss_kind_name(e->kind);
        (void)ss_compression_name(e->compression);
        if (!e->kernels_read)
            continue;
        for (size_t k = 0; k < e->nkernels; k++)
            if (!ss_entry_find_kernel(e, e->kernels[k].name))
                abort();    /* a kernel the entry lists must be found by name */
    }
}

int fuzz_image_input(const uint8_t *data, size_t size)
{
    struct ss_error err;
    struct ss_image image;
    if (ss_image_parse(data, size, &image, &err) == 0) {
        for (size_t i = 0; i < image.ncontainers; i++)
            visit_entries(&image.containers[i]);
        ss_image_free(&image);
    }

    struct ss_container c;
    if (ss_container_parse(data, size, &c, &err) == 0) {
        visit_entries(&c);
        ss_container_free(&c);
    }
    return 0;
}
