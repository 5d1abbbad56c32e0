/* cubin.c: read what a CUDA ELF (cubin) says about itself and its kernels
 * (fatbin-format §4): ABI generation, SM and `a` variant, toolkit, and per
 * kernel the parameter table and launch constraints from .nv.info.<name>,
 * register counts from .nv.info, and static shared memory from
 * .nv.shared.<name>. */
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "kernels.h"
#include "nvinfo.h"

#define EM_CUDA_MACHINE     190
#define OSABI_CUDA_V1       0x33
#define OSABI_CUDA_V2       0x41
#define EF_V1_ACCELERATORS  0x800
#define EF_V2_ACCELERATORS  0x8
#define STO_CUDA_ENTRY      0x10    /* st_other bit of kernel entry points */

#define INFO_PREFIX   ".nv.info."
#define SHARED_PREFIX ".nv.shared."

/* Everything one read needs, so helpers take one argument. */
struct cubin_reader {
    const uint8_t *bytes;
    size_t len;
    Elf *elf;
    size_t shstrndx;
    struct ss_entry *entry;
    struct ss_error *err;
    struct ss_kernel **by_name;   /* kernels sorted by name, for lookups */
    Elf_Data *symbols;            /* .symtab, for the global .nv.info's symbol indices */
    size_t nsymbols;
    size_t symbol_names;          /* its string table's section index */
};

static int check_ident(const uint8_t *bytes, size_t len, struct ss_error *err)
{
    if (len < sizeof(Elf64_Ehdr))
        return ss_fail(err, 0, "too short for an ELF header (%zu bytes)", len);
    if (memcmp(bytes, ELFMAG, SELFMAG) != 0)
        return ss_fail(err, 0, "not an ELF image");
    if (bytes[EI_CLASS] != ELFCLASS64 || bytes[EI_DATA] != ELFDATA2LSB)
        return ss_fail(err, EI_CLASS, "not a 64-bit little-endian ELF");
    return 0;
}

static int libelf_fail(struct cubin_reader *r, const char *what)
{
    return ss_fail_nooffset(r->err, "%s: %s", what, elf_errmsg(-1));
}

/* Section contents within the image, or NULL when the header points
 * outside it.  NOBITS sections have no contents. */
static const uint8_t *section_bytes(struct cubin_reader *r, const GElf_Shdr *sh)
{
    if (sh->sh_type == SHT_NOBITS)
        return NULL;
    if (sh->sh_offset > r->len || sh->sh_size > r->len - sh->sh_offset)
        return NULL;
    return r->bytes + sh->sh_offset;
}

static int read_header(struct cubin_reader *r)
{
    GElf_Ehdr eh;
    if (!gelf_getehdr(r->elf, &eh))
        return libelf_fail(r, "ELF header");
    if (eh.e_machine != EM_CUDA_MACHINE)
        return ss_fail(r->err, 0x12, "not a CUDA ELF (e_machine %u)", eh.e_machine);

    struct ss_cubin_info *info = &r->entry->cubin;
    unsigned osabi = eh.e_ident[EI_OSABI];
    if (osabi == OSABI_CUDA_V1) {
        info->abi = 1;
        info->sm = eh.e_flags & 0xff;
        info->arch_specific = (eh.e_flags & EF_V1_ACCELERATORS) != 0;
    } else if (osabi == OSABI_CUDA_V2) {
        info->abi = 2;
        info->sm = (eh.e_flags >> 8) & 0xff;
        info->arch_specific = (eh.e_flags & EF_V2_ACCELERATORS) != 0;
    } else {
        return ss_fail(r->err, EI_OSABI, "unknown CUDA ELF ABI (OSABI 0x%02x)", osabi);
    }
    info->elf_type = eh.e_type;
    if (elf_getshdrstrndx(r->elf, &r->shstrndx) != 0)
        return libelf_fail(r, "section name table");
    return 0;
}

static const char *section_name(struct cubin_reader *r, const GElf_Shdr *sh)
{
    const char *name = elf_strptr(r->elf, r->shstrndx, sh->sh_name);
    return name ? name : "";
}

/* Kernels are the symbols marked as entry points: GLOBAL, or LOCAL for a
 * `static __global__` function. */
static int is_kernel_symbol(const GElf_Sym *sym)
{
    return GELF_ST_TYPE(sym->st_info) == STT_FUNC && (sym->st_other & STO_CUDA_ENTRY);
}

static int read_symbols(struct cubin_reader *r, Elf_Scn *symtab, const GElf_Shdr *sh)
{
    Elf_Data *data = elf_getdata(symtab, NULL);
    if (!data)
        return libelf_fail(r, ".symtab");
    size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

    size_t nkernels = 0;
    GElf_Sym sym;
    for (size_t i = 0; i < count; i++)
        if (gelf_getsym(data, (int)i, &sym) && is_kernel_symbol(&sym))
            nkernels++;
    if (nkernels == 0)
        return 0;

    r->symbols = data;
    r->nsymbols = count;
    r->symbol_names = sh->sh_link;
    struct ss_entry *e = r->entry;
    e->kernels = calloc(nkernels, sizeof *e->kernels);
    if (!e->kernels)
        return ss_fail_nooffset(r->err, "out of memory for %zu kernels", nkernels);
    for (size_t i = 0; i < count && e->nkernels < nkernels; i++) {
        if (!gelf_getsym(data, (int)i, &sym) || !is_kernel_symbol(&sym))
            continue;
        const char *name = elf_strptr(r->elf, sh->sh_link, sym.st_name);
        if (!name)
            return ss_fail(r->err, sh->sh_offset + i * sh->sh_entsize,
                           "kernel symbol %zu has no name", i);
        struct ss_kernel *k = &e->kernels[e->nkernels++];
        k->is_local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
        k->name = strdup(name);
        if (!k->name)
            return ss_fail_nooffset(r->err, "out of memory for a kernel name");
    }
    return 0;
}

static int compare_kernel_names(const void *a, const void *b)
{
    const struct ss_kernel *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static int index_kernels(struct cubin_reader *r)
{
    struct ss_entry *e = r->entry;
    if (e->nkernels == 0)
        return 0;
    r->by_name = malloc(e->nkernels * sizeof *r->by_name);
    if (!r->by_name)
        return ss_fail_nooffset(r->err, "out of memory for the kernel index");
    for (size_t i = 0; i < e->nkernels; i++)
        r->by_name[i] = &e->kernels[i];
    qsort(r->by_name, e->nkernels, sizeof *r->by_name, compare_kernel_names);
    return 0;
}

static struct ss_kernel *find_kernel(struct cubin_reader *r, const char *name)
{
    if (!r->by_name)
        return NULL;
    struct ss_kernel key = { .name = (char *)name };
    struct ss_kernel *keyp = &key;
    struct ss_kernel **hit = bsearch(&keyp, r->by_name, r->entry->nkernels,
                                     sizeof *r->by_name, compare_kernel_names);
    return hit ? *hit : NULL;
}

/* Names are matched from the start: sm_100+ cubins also carry
 * `.nv.merc.nv.info.<name>` copies, which are not the kernel's records. */
static const char *kernel_of_section(const char *section, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(section, prefix, n) == 0 ? section + n : NULL;
}

static int read_info_section(struct cubin_reader *r, const GElf_Shdr *sh,
                             struct ss_kernel *k)
{
    const uint8_t *data = section_bytes(r, sh);
    if (!data)
        return ss_fail(r->err, sh->sh_offset, "%s lies outside the image",
                       section_name(r, sh));
    /* A kernel's records appear once; a second section would leak the
     * first parameter table. */
    if (k->params || k->has_param_size)
        return ss_fail(r->err, sh->sh_offset, "second %s section", section_name(r, sh));

    unsigned toolkit = 0;
    struct ss_error local;
    if (ss_nvinfo_read_kernel(data, sh->sh_size, k, &toolkit, &local) < 0) {
        if (local.has_offset)
            return ss_fail(r->err, sh->sh_offset + local.offset, "%s: %s",
                           section_name(r, sh), local.message);
        return ss_fail_nooffset(r->err, "%s: %s", section_name(r, sh), local.message);
    }
    if (toolkit)
        r->entry->cubin.toolkit = toolkit;
    return 0;
}

/* Register counts from the global .nv.info (fatbin-format §4.3: REGCOUNT
 * records {u32 symbol index, u32 value}).  Optional knowledge: a record
 * that cannot be read leaves that kernel's count unknown, never fails the
 * cubin. */
static void read_register_counts(struct cubin_reader *r, const GElf_Shdr *sh)
{
    const uint8_t *data = section_bytes(r, sh);
    if (!data || !r->symbols)
        return;
    size_t pos = 0;
    struct ss_nvinfo_record rec;
    struct ss_error ignored;
    while (ss_nvinfo_next(data, sh->sh_size, &pos, &rec, &ignored) == 1) {
        if (rec.attribute != SS_EIATTR_REGCOUNT || rec.format != SS_EIFMT_SVAL ||
            rec.payload_len < 8)
            continue;
        uint32_t symbol, value;
        memcpy(&symbol, rec.payload, 4);
        memcpy(&value, rec.payload + 4, 4);
        GElf_Sym sym;
        if (symbol >= r->nsymbols || !gelf_getsym(r->symbols, (int)symbol, &sym))
            continue;
        const char *name = elf_strptr(r->elf, r->symbol_names, sym.st_name);
        struct ss_kernel *k = name ? find_kernel(r, name) : NULL;
        if (k && value > 0 && value <= 255) {
            k->has_registers = 1;
            k->registers = value;
        }
    }
}

static int read_sections(struct cubin_reader *r)
{
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    int compat = -1;
    while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
        if (!gelf_getshdr(scn, &sh))
            return libelf_fail(r, "section header");
        const char *name = section_name(r, &sh);
        const char *kernel;
        struct ss_kernel *k;
        if ((kernel = kernel_of_section(name, INFO_PREFIX)) != NULL) {
            if ((k = find_kernel(r, kernel)) != NULL && read_info_section(r, &sh, k) < 0)
                return -1;
        } else if ((kernel = kernel_of_section(name, SHARED_PREFIX)) != NULL) {
            if ((k = find_kernel(r, kernel)) != NULL) {
                k->has_static_smem = 1;
                k->static_smem = sh.sh_size;
            }
        } else if (strcmp(name, ".nv.info") == 0) {
            read_register_counts(r, &sh);
        } else if (strcmp(name, ".nv.compat") == 0) {
            const uint8_t *data = section_bytes(r, &sh);
            if (data)
                compat = ss_nvcompat_accelerator(data, sh.sh_size);
        }
    }
    /* 13.0 cubins say `a` only in .nv.compat (§4.1); e_flags are the fallback. */
    if (compat >= 0)
        r->entry->cubin.arch_specific = compat || r->entry->cubin.arch_specific;
    return 0;
}

static int read_kernels(struct cubin_reader *r)
{
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
        if (!gelf_getshdr(scn, &sh))
            return libelf_fail(r, "section header");
        if (sh.sh_type == SHT_SYMTAB)
            return read_symbols(r, scn, &sh);
    }
    return 0;   /* no symbol table: no kernels (a stub or stripped image) */
}

/* A bare cubin has no fatbin entry header: take the arch from the ELF. */
static void fill_entry_arch(struct ss_entry *e)
{
    if (e->kind == 0)
        e->kind = SS_KIND_ELF;
    if (e->sm == 0) {
        e->sm = e->cubin.sm;
        if (e->cubin.arch_specific && e->variant == SS_VARIANT_PLAIN)
            e->variant = SS_VARIANT_A;
    }
}

int ss_cubin_read(const uint8_t *elf, size_t len, struct ss_entry *entry,
                  struct ss_error *err)
{
    if (check_ident(elf, len, err) < 0)
        return -1;
    if (len > SS_MAX_PAYLOAD)
        return ss_fail_nooffset(err, "cubin of %zu bytes is too large", len);

    /* elf_memory() takes a writable buffer; the caller's may be read-only
     * (a mapped library), so libelf gets a private copy. */
    char *copy = malloc(len);
    if (!copy)
        return ss_fail_nooffset(err, "out of memory copying a %zu-byte cubin", len);
    memcpy(copy, elf, len);

    struct cubin_reader r = {
        .bytes = (const uint8_t *)copy, .len = len, .entry = entry, .err = err,
    };
    memset(&entry->cubin, 0, sizeof entry->cubin);
    entry->kernels = NULL;
    entry->nkernels = 0;
    entry->kernels_read = 0;

    int rc = -1;
    elf_version(EV_CURRENT);
    r.elf = elf_memory(copy, len);
    if (!r.elf)
        libelf_fail(&r, "elf_memory");
    else if (read_header(&r) == 0 && read_kernels(&r) == 0 && index_kernels(&r) == 0 &&
             read_sections(&r) == 0)
        rc = 0;

    if (r.elf)
        elf_end(r.elf);
    free(r.by_name);
    free(copy);
    if (rc < 0) {
        ss_entry_clear_kernels(entry);
        return -1;
    }
    entry->kernels_read = 1;
    fill_entry_arch(entry);
    return 0;
}
