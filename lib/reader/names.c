/* names.c: the names of kinds, compressions and entries as every output
 * prints them, and a kernel looked up by name.  Apart from the readers
 * because the walk and the plan name entries too. */
#include "image.h"

#include <stdio.h>
#include <string.h>

const char *ss_kind_name(unsigned kind)
{
    switch (kind) {
    case SS_KIND_PTX: return "ptx";
    case SS_KIND_ELF: return "elf";
    case SS_KIND_LTOIR: return "ltoir";
    default: return "unknown";
    }
}

const char *ss_compression_name(enum ss_compression c)
{
    switch (c) {
    case SS_COMPRESS_NONE: return "none";
    case SS_COMPRESS_LZ4: return "lz4";
    case SS_COMPRESS_ZSTD: return "zstd";
    }
    return "unknown";
}

void ss_entry_arch_name(const struct ss_entry *e, char *buf, size_t len)
{
    const char *suffix = e->variant == SS_VARIANT_A ? "a" : e->variant == SS_VARIANT_F ? "f" : "";
    switch (e->kind) {
    case SS_KIND_PTX: snprintf(buf, len, "compute_%u%s", e->sm, suffix); break;
    case SS_KIND_ELF: snprintf(buf, len, "sm_%u%s", e->sm, suffix); break;
    case SS_KIND_LTOIR: snprintf(buf, len, "lto_%u%s", e->sm, suffix); break;
    default: snprintf(buf, len, "kind%u_%u%s", e->kind, e->sm, suffix); break;
    }
}

const struct ss_kernel *ss_entry_find_kernel(const struct ss_entry *e, const char *name)
{
    if (!e || !name)
        return NULL;
    for (size_t i = 0; i < e->nkernels; i++)
        if (e->kernels[i].name && strcmp(e->kernels[i].name, name) == 0)
            return &e->kernels[i];
    return NULL;
}
