/* hostelf.c: containers inside a host ELF (.so, .o, executable).
 *
 * Wrappers in .nvFatBinSegment point at the containers, but their `data`
 * field is 0 in objects and needs relocating in shared libraries, and the
 * symbols naming them are local or stripped.  Section names survive
 * `strip`, so the containers are found by walking .nv_fatbin and
 * __nv_relfatbin, where they lie back to back (fatbin-format.md §1.3). */
#include "image.h"
#include "image_internal.h"

#include <gelf.h>
#include <libelf.h>
#include <string.h>

static int is_fatbin_section(const char *name)
{
    return strcmp(name, ".nv_fatbin") == 0 || strcmp(name, "__nv_relfatbin") == 0;
}

/* One .nv_fatbin / __nv_relfatbin section: bounds, then its containers.
 * Returns containers added, or -1 with err set. */
static int walk_section(const uint8_t *bytes, size_t len, const GElf_Shdr *sh,
                        const char *name, size_t shdr_at, struct ss_image *image,
                        struct ss_error *err)
{
    if (sh->sh_type == SHT_NOBITS)
        return ss_fail(err, shdr_at, "section %s has no file contents", name);
    if (sh->sh_size == 0)
        return ss_fail(err, shdr_at, "section %s is empty", name);
    if (sh->sh_offset > len || sh->sh_size > len - sh->sh_offset)
        return ss_fail(err, shdr_at, "section %s (offset 0x%llx, size 0x%llx) runs past the end of the file",
                       name, (unsigned long long)sh->sh_offset, (unsigned long long)sh->sh_size);
    return ss_containers_walk(bytes + sh->sh_offset, (size_t)sh->sh_size, (size_t)sh->sh_offset,
                              SS_FROM_SECTION, name, image, err);
}

static int scan_sections(Elf *elf, const uint8_t *bytes, size_t len,
                         struct ss_image *image, struct ss_error *err)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return ss_fail(err, 0, "host ELF has no section name table: %s", elf_errmsg(-1));
    size_t shoff = (size_t)ss_load64(bytes + 0x28);
    size_t shentsize = ss_load16(bytes + 0x3a);
    int found = 0, sections = 0;
    struct ss_error first = {0};
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name || !is_fatbin_section(name))
            continue;
        sections++;
        size_t shdr_at = shoff + elf_ndxscn(scn) * shentsize;
        struct ss_error section_err = {0};
        int n = walk_section(bytes, len, &sh, name, shdr_at, image, &section_err);
        if (n < 0) {
            char msg[sizeof section_err.message + 32];
            ss_error_format(&section_err, msg, sizeof msg);
            if (ss_image_note(image, "%s skipped: %s", name, msg) < 0)
                return ss_fail_nooffset(err, "out of memory");
            if (!first.message[0])
                first = section_err;
            continue;
        }
        found += n;
    }
    if (found > 0)
        return found;
    if (first.message[0]) {
        *err = first;
        return -1;
    }
    if (sections == 0)
        return ss_fail(err, 0, "host ELF has no .nv_fatbin or __nv_relfatbin section");
    return ss_fail(err, 0, "host ELF has no fatbin containers");
}

int ss_hostelf_parse(const uint8_t *bytes, size_t len, struct ss_image *image,
                     struct ss_error *err)
{
    /* Containers and our offsets are little-endian 64-bit; libelf would
     * also convert other byte orders in place, in a buffer we must not
     * write. */
    if (len < 64 || bytes[EI_CLASS] != ELFCLASS64 || bytes[EI_DATA] != ELFDATA2LSB)
        return ss_fail(err, EI_CLASS, "host ELF is not 64-bit little-endian");
    struct ss_error local = {0};
    if (!err)
        err = &local;
    elf_version(EV_CURRENT);
    /* elf_memory takes a non-const pointer but only reads a native image. */
    Elf *elf = elf_memory((char *)bytes, len);
    if (!elf)
        return ss_fail(err, 0, "libelf cannot read the host ELF: %s", elf_errmsg(-1));
    int n = scan_sections(elf, bytes, len, image, err);
    elf_end(elf);
    return n < 0 ? -1 : 0;
}
