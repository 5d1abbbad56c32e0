/* check_fused_build: the corrected _fused kernels built by kernels/module.mk
 * stand in for SageAttention's originals kernel by kernel.  Expected values
 * are the specification's (/work/shared/docs/sageattention-fused.md), as the
 * core library's table of the 44 kernels (lib/plan/fused_table.c) states them,
 * never read from the build:
 *   - each architecture's entry holds exactly the 44 mangled names, with
 *     the parameter counts, offsets, sizes and total size of §3.2-§6.2;
 *   - no thread limit, required block size or cluster dimensions (§10);
 *   - static shared memory as the original's (1 KiB reserved prefix from
 *     sm_90 on, §11), registers that admit the host's block sizes;
 *   - the 32-bit stand-in of the original has the identical kernel table;
 *   - binary32 arithmetic only as the spec allows (§2.2), no trap;
 *   - the MANIFEST names the fatbin with its SHA-256;
 *   - the software E4M3 conversion used below sm_89 rounds like
 *     cvt.rn.satfinite.e4m3x2.f32 (§2.2), against a brute-force reference. */
#include <gelf.h>
#include <libelf.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/abi.h"
#include "plan/fused.h"
#include "reader/image.h"
#include "image_fixtures.h"
#include "reader/nvinfo.h"
#include "base/sha256.h"
#include "testutil.h"

#include "../kernels/fused/e4m3_soft.h"

/* ---- the spec's facts: lib/plan/fused_table.c, plus the launch block sizes ---- */

#define NKERNELS ((size_t)SS_FUSED_NKERNELS)

/* Threads per block of the host's launch: QuantInt8 and SubMean
 * BS*(D/8)/NP (§3.1, §4.1), Transpose 8*D (§5.3), MeanScale 256 (§6.3). */
static unsigned launch_block(const struct ss_fused_kernel *k)
{
    switch (k->kind) {
    case SS_FUSED_QUANT_INT8:
    case SS_FUSED_SUB_MEAN:
        return k->bs * (k->d / 8) / k->np;
    case SS_FUSED_TRANSPOSE:
        return 8 * k->d;
    case SS_FUSED_MEAN_SCALE:
        return 256;
    }
    return 0;
}

/* The entries kernels/module.mk builds, in nvcc's order: SASS for every
 * architecture SageAttention builds _fused for, PTX of compute_120. */
static const struct expected_entry {
    unsigned kind, sm;
    enum ss_variant variant;
} archs[] = {
    { SS_KIND_ELF, 80, SS_VARIANT_PLAIN },  { SS_KIND_ELF, 86, SS_VARIANT_PLAIN },
    { SS_KIND_ELF, 89, SS_VARIANT_PLAIN },  { SS_KIND_ELF, 90, SS_VARIANT_A },
    { SS_KIND_ELF, 100, SS_VARIANT_A },     { SS_KIND_PTX, 120, SS_VARIANT_PLAIN },
    { SS_KIND_ELF, 120, SS_VARIANT_PLAIN }, { SS_KIND_ELF, 120, SS_VARIANT_A },
    { SS_KIND_ELF, 121, SS_VARIANT_A },
};
#define NARCHS (sizeof archs / sizeof archs[0])

/* ---- the build's files ---- */

static char path_buf[4096];
static const char *built(const char *name)
{
    const char *build = getenv("BUILD");
    snprintf(path_buf, sizeof path_buf, "%s/kernels/%s", build ? build : "build", name);
    return path_buf;
}

static struct loaded fused, index32, ptx80;

static void load_all(void)
{
    load_path(built("sageshim_fused.fatbin"), &fused);
    load_path(built("sageshim_fused_index32.fatbin"), &index32);
    load_path(built("sageshim_fused_ptx80.fatbin"), &ptx80);
}

static void unload_all(void)
{
    unload(&fused);
    unload(&index32);
    unload(&ptx80);
}

static const struct ss_container *only_container(const struct loaded *l, const char *what)
{
    ck_assert_msg(l->image.ncontainers == 1, "%s: %zu containers", what, l->image.ncontainers);
    return &l->image.containers[0];
}

static void arch_label(const struct ss_entry *e, char *buf, size_t len)
{
    ss_entry_arch_name(e, buf, len);
}

/* ---- entries and kernel tables ---- */

START_TEST(entries_are_the_spec_architectures)
{
    const struct ss_container *c = only_container(&fused, "sageshim_fused.fatbin");
    ck_assert_uint_eq(c->nentries, NARCHS);
    for (size_t i = 0; i < NARCHS; i++) {
        const struct ss_entry *e = &c->entries[i];
        char name[32];
        arch_label(e, name, sizeof name);
        ck_assert_msg(e->kind == archs[i].kind && e->sm == archs[i].sm &&
                          e->variant == archs[i].variant,
                      "entry %zu is %s %s, expected kind %u sm %u variant %d", i,
                      ss_kind_name(e->kind), name, archs[i].kind, archs[i].sm,
                      (int)archs[i].variant);
        ck_assert_msg(e->kernels_read, "entry %s: kernels not read (%s)", name, e->note);
    }
}
END_TEST

/* Exactly the 44 names: as many kernels as the table, each one found. */
static void assert_kernel_names(const struct ss_entry *e, const char *what)
{
    char arch[32];
    arch_label(e, arch, sizeof arch);
    ck_assert_msg(e->nkernels == NKERNELS, "%s %s: %zu kernels, expected %zu", what, arch,
                  e->nkernels, NKERNELS);
    for (size_t k = 0; k < NKERNELS; k++)
        ck_assert_msg(ss_entry_find_kernel(e, ss_fused_kernels[k].name) != NULL,
                      "%s %s: no %s", what, arch, ss_fused_kernels[k].name);
}

static void assert_layout(const struct ss_entry *e, const struct ss_fused_kernel *fk,
                          const char *what)
{
    char arch[32];
    arch_label(e, arch, sizeof arch);
    const struct ss_kernel *k = ss_entry_find_kernel(e, fk->name);
    ck_assert_ptr_nonnull(k);
    const struct ss_fused_layout *l = fk->layout;
    ck_assert_msg(k->nparams == l->nparams, "%s %s %s: %u params, expected %u", what, arch,
                  fk->name, k->nparams, l->nparams);
    for (unsigned p = 0; p < l->nparams; p++) {
        ck_assert_uint_eq(k->params[p].ordinal, p);
        ck_assert_msg(k->params[p].offset == l->params[p].offset &&
                          k->params[p].size == l->params[p].size,
                      "%s %s %s: param %u (%s) at %u/%u, expected %u/%u", what, arch, fk->name,
                      p, l->params[p].name, k->params[p].offset, k->params[p].size,
                      l->params[p].offset, l->params[p].size);
    }
    if (e->kind == SS_KIND_ELF)
        ck_assert_msg(k->has_param_size && k->param_size == l->param_size,
                      "%s %s %s: param_size %u, expected %u", what, arch, fk->name,
                      k->param_size, l->param_size);
    /* No limit the original lacks (§1, §10). */
    for (int d = 0; d < 3; d++) {
        ck_assert_msg(k->max_threads[d] == 0, "%s %s %s: MAX_THREADS", what, arch, fk->name);
        ck_assert_msg(k->req_ntid[d] == 0, "%s %s %s: REQNTID", what, arch, fk->name);
        ck_assert_msg(k->cluster_dims[d] == 0, "%s %s %s: cluster", what, arch, fk->name);
    }
    ck_assert_int_eq(k->explicit_cluster, 0);
    ck_assert_uint_eq(k->max_cluster_rank, 0);
    ck_assert_int_eq(k->is_local, 0);
}

START_TEST(every_entry_holds_the_44_kernels)
{
    const struct ss_container *c = only_container(&fused, "sageshim_fused.fatbin");
    for (size_t i = 0; i < c->nentries; i++)
        assert_kernel_names(&c->entries[i], "sageshim_fused.fatbin");
}
END_TEST

START_TEST(parameter_layouts_and_limits_are_the_originals)
{
    const struct ss_container *c = only_container(&fused, "sageshim_fused.fatbin");
    for (size_t i = 0; i < c->nentries; i++)
        for (size_t k = 0; k < NKERNELS; k++)
            assert_layout(&c->entries[i], &ss_fused_kernels[k], "sageshim_fused.fatbin");
}
END_TEST

/* §11: from sm_90 on, each .nv.shared section starts with 1 KiB reserved;
 * the spec's sm_90a column is that size. */
START_TEST(static_shared_memory_is_the_originals)
{
    const struct ss_container *c = only_container(&fused, "sageshim_fused.fatbin");
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        if (e->kind != SS_KIND_ELF)
            continue;
        char arch[32];
        arch_label(e, arch, sizeof arch);
        for (size_t n = 0; n < NKERNELS; n++) {
            const struct ss_kernel *k = ss_entry_find_kernel(e, ss_fused_kernels[n].name);
            ck_assert_ptr_nonnull(k);
            const struct ss_fused_kernel *fk = &ss_fused_kernels[n];
            if (fk->static_smem == 0) {
                ck_assert_msg(!k->has_static_smem, "%s %s: has a .nv.shared section", arch,
                              ss_fused_kernels[n].name);
                continue;
            }
            unsigned expect = fk->static_smem + (e->sm >= 90 ? SS_FUSED_SMEM_RESERVED : 0);
            ck_assert_msg(k->has_static_smem && k->static_smem == expect,
                          "%s %s: static smem %llu, expected %u", arch, ss_fused_kernels[n].name,
                          (unsigned long long)k->static_smem, expect);
        }
    }
}
END_TEST

/* REGCOUNT of `kernel` from the cubin's global .nv.info section
 * (fatbin-format §4.3: SVAL records {u32 symbol index, u32 value}). */
static unsigned register_count(const struct ss_entry *e, const char *kernel)
{
    ck_assert(elf_version(EV_CURRENT) != EV_NONE);
    Elf *elf = elf_memory((char *)e->data, e->data_len);
    ck_assert_ptr_nonnull(elf);
    size_t shstrndx;
    ck_assert_int_eq(elf_getshdrstrndx(elf, &shstrndx), 0);
    Elf_Scn *info = NULL, *symtab = NULL;
    GElf_Shdr symtab_hdr = { 0 };
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        ck_assert_ptr_nonnull(gelf_getshdr(scn, &sh));
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (name && strcmp(name, ".nv.info") == 0)
            info = scn;
        if (sh.sh_type == SHT_SYMTAB) {
            symtab = scn;
            symtab_hdr = sh;
        }
    }
    ck_assert_msg(info && symtab, "no .nv.info or .symtab");
    Elf_Data *info_data = elf_getdata(info, NULL);
    Elf_Data *sym_data = elf_getdata(symtab, NULL);
    ck_assert(info_data && sym_data);

    long found = -1;
    size_t pos = 0;
    struct ss_nvinfo_record rec;
    struct ss_error err = { 0 };
    int rc;
    while ((rc = ss_nvinfo_next(info_data->d_buf, info_data->d_size, &pos, &rec, &err)) == 1) {
        if (rec.attribute != 0x2f || rec.format != SS_EIFMT_SVAL || rec.payload_len < 8)
            continue;   /* not EIATTR_REGCOUNT */
        uint32_t symidx, value;
        memcpy(&symidx, rec.payload, 4);
        memcpy(&value, rec.payload + 4, 4);
        GElf_Sym sym;
        ck_assert_ptr_nonnull(gelf_getsym(sym_data, (int)symidx, &sym));
        const char *name = elf_strptr(elf, symtab_hdr.sh_link, sym.st_name);
        if (name && strcmp(name, kernel) == 0)
            found = value;
    }
    ck_assert_msg(rc == 0, ".nv.info: %s", err.message);
    elf_end(elf);
    ck_assert_msg(found >= 0, "no REGCOUNT for %s", kernel);
    return (unsigned)found;
}

/* The host launches with a fixed block size and never checks the result
 * (§10): registers, allocated per thread in units of 8, times the block size
 * must fit the 65,536 registers a block may use on these GPUs. */
START_TEST(registers_admit_the_launch_block)
{
    const struct ss_container *c = only_container(&fused, "sageshim_fused.fatbin");
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        if (e->kind != SS_KIND_ELF)
            continue;
        char arch[32];
        arch_label(e, arch, sizeof arch);
        for (size_t n = 0; n < NKERNELS; n++) {
            unsigned regs = register_count(e, ss_fused_kernels[n].name);
            unsigned allocated = (regs + 7) / 8 * 8;
            unsigned block = launch_block(&ss_fused_kernels[n]);
            ck_assert_msg(block > 0 && regs > 0 && allocated * block <= 65536,
                          "%s %s: %u registers x %u threads", arch,
                          ss_fused_kernels[n].name, regs, block);
        }
    }
}
END_TEST

/* ---- the 32-bit stand-in of the original ---- */

START_TEST(index32_standin_has_the_identical_kernel_table)
{
    const struct ss_container *a = only_container(&fused, "sageshim_fused.fatbin");
    const struct ss_container *b = only_container(&index32, "sageshim_fused_index32.fatbin");
    ck_assert_uint_eq(b->nentries, a->nentries);
    int some_code_differs = 0;
    for (size_t i = 0; i < a->nentries; i++) {
        const struct ss_entry *ea = &a->entries[i], *eb = &b->entries[i];
        char arch[32];
        arch_label(ea, arch, sizeof arch);
        ck_assert_msg(eb->kind == ea->kind && eb->sm == ea->sm && eb->variant == ea->variant,
                      "index32 entry %zu differs in architecture from %s", i, arch);
        assert_kernel_names(eb, "sageshim_fused_index32.fatbin");
        for (size_t n = 0; n < NKERNELS; n++) {
            assert_layout(eb, &ss_fused_kernels[n], "sageshim_fused_index32.fatbin");
            const struct ss_kernel *ka = ss_entry_find_kernel(ea, ss_fused_kernels[n].name);
            const struct ss_kernel *kb = ss_entry_find_kernel(eb, ss_fused_kernels[n].name);
            ck_assert_msg(ka->has_static_smem == kb->has_static_smem &&
                              ka->static_smem == kb->static_smem,
                          "%s %s: static smem differs", arch, ss_fused_kernels[n].name);
        }
        /* The library's own verdict: every kernel OK both ways. */
        struct ss_abi_report report = { 0 };
        ck_assert_int_eq(ss_abi_compare(ea, eb, &report), 0);
        for (size_t v = 0; v < report.nverdicts; v++)
            ck_assert_msg(report.verdicts[v].level == SS_ABI_OK, "%s %s: %s", arch,
                          report.verdicts[v].kernel, report.verdicts[v].reason);
        ck_assert_uint_eq(report.nverdicts, NKERNELS);
        ss_abi_report_free(&report);
        if (ea->data_len != eb->data_len || memcmp(ea->data, eb->data, ea->data_len) != 0)
            some_code_differs++;
    }
    /* The switch changes code, not only names: every entry differs. */
    ck_assert_uint_eq(some_code_differs, a->nentries);
}
END_TEST

/* The sm_80 code path as PTX (software E4M3, bf16 subtraction by FMA), for
 * GPU tests on newer devices: same 44 kernels and layouts. */
START_TEST(ptx80_test_build_has_the_same_kernels)
{
    const struct ss_container *c = only_container(&ptx80, "sageshim_fused_ptx80.fatbin");
    ck_assert_uint_eq(c->nentries, 1);
    const struct ss_entry *e = &c->entries[0];
    ck_assert_uint_eq(e->kind, SS_KIND_PTX);
    ck_assert_uint_eq(e->sm, 80);
    assert_kernel_names(e, "sageshim_fused_ptx80.fatbin");
    for (size_t n = 0; n < NKERNELS; n++)
        assert_layout(e, &ss_fused_kernels[n], "sageshim_fused_ptx80.fatbin");
}
END_TEST

/* ---- the arithmetic of the PTX (spec §2.2) ---- */

/* The PTX text of an entry, NUL-terminated (caller frees). */
static char *ptx_text(const struct ss_entry *e)
{
    ck_assert_uint_eq(e->kind, SS_KIND_PTX);
    ck_assert_ptr_nonnull(e->data);
    char *text = malloc(e->data_len + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, e->data, e->data_len);
    text[e->data_len] = '\0';
    return text;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Every binary32 add, subtract, multiply, FMA, division, reciprocal, max,
 * min or absolute value is one of the six the spec allows: separately
 * rounded (.rn, so never contracted into an FMA by ptxas), flushing
 * subnormals, RCP as rcp.approx.ftz, maxf/minf as max/min.ftz (§2.2: a
 * NaN operand loses, subnormals flushed).  Returns how many such
 * instructions were seen. */
static unsigned assert_float_ops(const char *text, const char *what)
{
    static const char *const allowed[] = {
        "add.rn.ftz.f32", "sub.rn.ftz.f32", "mul.rn.ftz.f32", "rcp.approx.ftz.f32",
        "max.ftz.f32", "min.ftz.f32",
    };
    static const char *const arithmetic[] = {
        "add.", "sub.", "mul.", "fma.", "mad.", "div.", "rcp.", "sqrt.", "neg.",
        "max.", "min.", "abs.",
    };
    unsigned seen = 0;
    for (const char *line = text; *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *op = line;
        while (op < line + len && (*op == ' ' || *op == '\t'))
            op++;
        if (*op == '@') {                      /* predicate guard */
            while (op < line + len && *op != ' ' && *op != '\t')
                op++;
            while (op < line + len && (*op == ' ' || *op == '\t'))
                op++;
        }
        size_t oplen = 0;
        while (op + oplen < line + len && op[oplen] != ' ' && op[oplen] != '\t')
            oplen++;
        int is_arith = 0;
        for (size_t a = 0; a < sizeof arithmetic / sizeof arithmetic[0]; a++)
            if (strncmp(op, arithmetic[a], strlen(arithmetic[a])) == 0)
                is_arith = 1;
        if (is_arith && ends_with(op, oplen, ".f32")) {
            int ok = 0;
            for (size_t a = 0; a < sizeof allowed / sizeof allowed[0]; a++)
                if (oplen == strlen(allowed[a]) && memcmp(op, allowed[a], oplen) == 0)
                    ok = 1;
            ck_assert_msg(ok, "%s: %.*s", what, (int)len, line);
            seen++;
        }
        line = end ? end + 1 : line + len;
    }
    return seen;
}

START_TEST(ptx_arithmetic_is_the_specs)
{
    const struct ss_container *c = only_container(&fused, "sageshim_fused.fatbin");
    const struct ss_entry *ptx = &c->entries[5];   /* compute_120, see archs[] */
    char *text = ptx_text(ptx);
    ck_assert_uint_gt(assert_float_ops(text, "compute_120"), 0);
    /* sm_89 and later convert to E4M3 in hardware; nothing traps. */
    ck_assert_ptr_nonnull(strstr(text, "cvt.rn.satfinite.e4m3x2.f32"));
    ck_assert_ptr_null(strstr(text, "trap"));
    free(text);

    /* The sm_80 path: the same arithmetic, E4M3 in software, no trap. */
    text = ptx_text(&only_container(&ptx80, "sageshim_fused_ptx80.fatbin")->entries[0]);
    ck_assert_uint_gt(assert_float_ops(text, "compute_80"), 0);
    ck_assert_ptr_null(strstr(text, "e4m3"));
    ck_assert_ptr_null(strstr(text, "trap"));
    free(text);
}
END_TEST

/* ---- MANIFEST (interface 1 of the project) ---- */

START_TEST(manifest_names_the_fatbin_with_its_hash)
{
    uint8_t *bytes;
    size_t len;
    struct ss_error err = { 0 };
    ck_assert_msg(ss_read_file(built("MANIFEST"), &bytes, &len, &err) == 0, "%s", err.message);
    char *text = malloc(len + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, bytes, len);
    text[len] = '\0';
    free(bytes);

    char hex[65];
    ss_sha256_hex(fused.bytes, fused.len, hex);
    char expect[512];
    snprintf(expect, sizeof expect,
             "\nhotfix sageshim_fused.fatbin modules=*/sageattention/_fused*.so "
             "archs=80,86,89,90,100,120,121 kernels=%zu sha256=%s\n",
             NKERNELS, hex);
    ck_assert_msg(strstr(text, expect) != NULL, "MANIFEST lacks%s---\n%s", expect, text);
    ck_assert_msg(strstr(text, "\nlabel sageshim-fused@") != NULL, "no label line:\n%s", text);
    /* One hotfix line, no fatbin lines: the stand-in is never installed. */
    ck_assert_ptr_null(strstr(strstr(text, "\nhotfix ") + 1, "\nhotfix "));
    ck_assert_ptr_null(strstr(text, "\nfatbin "));
    ck_assert_ptr_null(strstr(text, "index32"));
    free(text);
}
END_TEST

/* ---- software E4M3 (below sm_89) ---- */

/* The non-negative finite E4M3 values in code order (codes 0x00..0x7E are
 * increasing): exponent bias 7, 3 mantissa bits, subnormals m * 2^-9. */
static double e4m3_value(unsigned code)
{
    unsigned e = code >> 3, m = code & 7;
    return e == 0 ? ldexp(m, -9) : ldexp(8 + m, (int)e - 10);
}

/* Round-to-nearest-even by search, saturating at 448, NaN -> 0x7F. */
static uint8_t e4m3_reference(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, 4);
    if (isnan(f))
        return 0x7F;
    uint8_t sign = (bits >> 31) ? 0x80 : 0;
    double x = fabs((double)f);
    if (x >= 448.0)
        return sign | 0x7E;
    unsigned lo = 0, hi = 0x7E;       /* value[lo] <= x < value[hi] */
    while (hi - lo > 1) {
        unsigned mid = (lo + hi) / 2;
        if (e4m3_value(mid) <= x)
            lo = mid;
        else
            hi = mid;
    }
    double below = x - e4m3_value(lo), above = e4m3_value(hi) - x;
    unsigned code = below < above ? lo : above < below ? hi : (lo & 1) ? hi : lo;
    return sign | (uint8_t)code;
}

static void assert_e4m3(uint32_t bits)
{
    uint8_t got = ss_e4m3_from_f32_bits(bits), want = e4m3_reference(bits);
    ck_assert_msg(got == want, "E4M3(0x%08x) = 0x%02x, expected 0x%02x", bits, got, want);
}

START_TEST(software_e4m3_known_values)
{
    static const struct { uint32_t bits; uint8_t e4m3; } cases[] = {
        { 0x00000000, 0x00 }, { 0x80000000, 0x80 },   /* +-0 */
        { 0x43E00000, 0x7E }, { 0xC3E00000, 0xFE },   /* +-448 */
        { 0x43E80000, 0x7E },                          /* 464: saturates */
        { 0x7F800000, 0x7E }, { 0xFF800000, 0xFE },   /* +-infinity */
        { 0x7FC00000, 0x7F }, { 0xFFC00000, 0x7F },   /* NaN: 0x7F */
        { 0x3B000000, 0x01 },                          /* 2^-9, smallest subnormal */
        { 0x3A800000, 0x00 },                          /* 2^-10: tie, to even 0 */
        { 0x3B400000, 0x02 },                          /* 1.5*2^-9: tie, to even 2 */
        { 0x3C800000, 0x08 },                          /* 2^-6, smallest normal */
        { 0x3F800000, 0x38 },                          /* 1 */
        { 0x3F880000, 0x38 },                          /* 1.0625: tie, to even 1 */
        { 0x3F980000, 0x3A },                          /* 1.1875: tie, to even 1.25 */
        { 0x00000001, 0x00 }, { 0x80000001, 0x80 },   /* binary32 subnormals */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(ss_e4m3_from_f32_bits(cases[i].bits) == cases[i].e4m3,
                      "E4M3(0x%08x) = 0x%02x, expected 0x%02x", cases[i].bits,
                      ss_e4m3_from_f32_bits(cases[i].bits), cases[i].e4m3);
        assert_e4m3(cases[i].bits);
    }
}
END_TEST

/* Every exponent and sign, the top 7 mantissa bits, and low bits at, just
 * below and just above every rounding point; then pseudo-random patterns. */
START_TEST(software_e4m3_matches_the_reference)
{
    static const uint32_t low[] = { 0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF };
    for (uint32_t sign = 0; sign < 2; sign++)
        for (uint32_t field = 0; field < 256; field++)
            for (uint32_t top = 0; top < 128; top++)
                for (size_t l = 0; l < sizeof low / sizeof low[0]; l++)
                    assert_e4m3(sign << 31 | field << 23 | top << 16 | low[l]);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 1000000; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        assert_e4m3((uint32_t)(state >> 32));
    }
}
END_TEST

static Suite *fused_build_suite(void)
{
    Suite *s = suite_create("fused_build");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, load_all, unload_all);
    tcase_add_test(tc, entries_are_the_spec_architectures);
    tcase_add_test(tc, every_entry_holds_the_44_kernels);
    tcase_add_test(tc, parameter_layouts_and_limits_are_the_originals);
    tcase_add_test(tc, static_shared_memory_is_the_originals);
    tcase_add_test(tc, registers_admit_the_launch_block);
    tcase_add_test(tc, index32_standin_has_the_identical_kernel_table);
    tcase_add_test(tc, ptx80_test_build_has_the_same_kernels);
    tcase_add_test(tc, ptx_arithmetic_is_the_specs);
    tcase_add_test(tc, manifest_names_the_fatbin_with_its_hash);
    suite_add_tcase(s, tc);

    TCase *e4m3 = tcase_create("e4m3");
    tcase_set_timeout(e4m3, 120);
    tcase_add_test(e4m3, software_e4m3_known_values);
    tcase_add_test(e4m3, software_e4m3_matches_the_reference);
    suite_add_tcase(s, e4m3);
    return s;
}

int main(void)
{
    return run_suite(fused_build_suite());
}
