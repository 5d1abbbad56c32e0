/* entry_load.c: turn a parsed entry header into usable contents - the
 * decompressed payload and the kernels of its cubin or PTX. */
#include "image.h"
#include "image_internal.h"

void ss_entry_load(struct ss_entry *e, uint64_t *image_used)
{
    struct ss_error err = {0};
    if (ss_entry_decompress_within(e, image_used, &err) < 0) {
        ss_entry_note_error(e, "payload not decompressed", &err);
        return;
    }
    if (!e->data)
        return; /* a kind we skip; ss_entry_decompress left the note */
    if (e->kind == SS_KIND_ELF) {
        if (ss_cubin_read(e->data, e->data_len, e, &err) < 0)
            ss_entry_note_error(e, "cubin not read", &err);
    } else if (e->kind == SS_KIND_PTX) {
        if (ss_ptx_read((const char *)e->data, e->data_len, e, &err) < 0)
            ss_entry_note_error(e, "PTX not read", &err);
    }
}
