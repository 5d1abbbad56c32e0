/* check_cuda12: CUDA 12.x code objects (V1 ABI, OSABI 0x33) in the reader
 * and in the ABI check, next to the 13.0 (V2) fixtures.
 *
 * Fixtures (tests/cuda12/module.mk, under $BUILD/tests/cuda12): kernels.cu
 * compiled to PTX by NVRTC 12.9 from PyPI (kernels12_90a.ptx) and assembled
 * by the 12.9 ptxas (kernels12_sm80.cubin, kernels12_sm90a.cubin), both
 * packed with LZ4 by our fatbinary (kernels12_lz4.fatbin: sm_80, sm_90a,
 * compute_90a); kernels12_nvrtc_sm90a.cubin is NVRTC's own cubin of it.  The 13.0 cubins of
 * the same source come from $SS_FIXTURES.  Expected parameter lists are the
 * declarations in tests/fixtures/kernels.cu.  When the toolchain could not be
 * had, $BUILD/tests/cuda12/SKIPPED says why and the program only prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sageshim.h"
#include "image_fixtures.h"
#include "testutil.h"

#define TMA_KERNEL "_Z10tma_kernel14CUtensorMap_stPfi"

static const char *cuda12_path(const char *name)
{
    static char path[4096];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof path, "%s/tests/cuda12/%s", build ? build : "build", name);
    return path;
}

/* A parsed file with its bytes (the image points into them). */
/* One container, read from a path of this suite's own build. */
static void load_one(const char *path, struct loaded *l)
{
    memset(l, 0, sizeof *l);
    load_path(path, l);
    ck_assert_uint_eq(l->image.ncontainers, 1);
}

/* The only entry of a bare cubin. */
static const struct ss_entry *the_entry(const struct loaded *l)
{
    ck_assert_uint_eq(l->image.containers[0].nentries, 1);
    const struct ss_entry *e = &l->image.containers[0].entries[0];
    ck_assert_uint_eq(e->kind, SS_KIND_ELF);
    ck_assert_msg(e->kernels_read, "kernels not read: %s", e->note);
    return e;
}

static const struct ss_kernel *kernel(const struct ss_entry *e, const char *name)
{
    const struct ss_kernel *k = ss_entry_find_kernel(e, name);
    ck_assert_msg(k != NULL, "kernel %s missing", name);
    return k;
}

static uint32_t elf_flags(const struct loaded *l)
{
    uint32_t flags;
    ck_assert_uint_ge(l->len, 52);
    memcpy(&flags, l->bytes + 48, sizeof flags); /* e_flags of an ELF64 header */
    return flags;
}

/* Sizes of a kernel's parameters, in order, against the declaration. */
static void expect_sizes(const struct ss_entry *e, const char *name, unsigned n,
                         const unsigned *sizes)
{
    const struct ss_kernel *k = kernel(e, name);
    ck_assert_msg(k->nparams == n, "%s: %u params, declared %u", name, k->nparams, n);
    for (unsigned i = 0; i < n; i++)
        ck_assert_msg(k->params[i].size == sizes[i], "%s param %u: size %u, declared %u", name,
                      i, k->params[i].size, sizes[i]);
}

/* Offsets of a kernel without over-aligned parameters: each one at the
 * next multiple of its own size (all of them are scalars or pointers). */
static void expect_packed(const struct ss_entry *e, const char *name)
{
    const struct ss_kernel *k = kernel(e, name);
    unsigned at = 0;
    for (unsigned i = 0; i < k->nparams; i++) {
        unsigned size = k->params[i].size;
        at = (at + size - 1) / size * size;
        ck_assert_msg(k->params[i].offset == at, "%s param %u at %u, expected %u", name, i,
                      k->params[i].offset, at);
        at += size;
    }
}

static const char *skip_reason(void)
{
    static char reason[512];
    FILE *f = fopen(cuda12_path("SKIPPED"), "r");
    if (!f)
        return NULL;
    if (!fgets(reason, sizeof reason, f))
        strcpy(reason, "CUDA 12.x toolchain not available");
    fclose(f);
    reason[strcspn(reason, "\n")] = '\0';
    return reason;
}

/* ---- the compiler is NVRTC 12.9 ---- */

/* A whole fixture file as a NUL-terminated string. */
static char *read_text(const char *path)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_msg(ss_read_file(path, &bytes, &len, &err) == 0, "%s: %s", path, err.message);
    char *text = malloc(len + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, bytes, len);
    text[len] = '\0';
    free(bytes);
    return text;
}

/* The PTX header names the compiler that wrote it; PTX from nvcc 13.0 says
 * "release 13.0" and .version 9.0 (get-toolchain.sh installs 12.9.*).
 * fatbinary drops these comments, so the file nvrtc12 wrote is read. */
static void expect_12_9_ptx(const char *ptx, const char *where)
{
    ck_assert_msg(strstr(ptx, "// Cuda compilation tools, release 12.9, V12.9.") != NULL,
                  "%s: not from the 12.9 compiler", where);
    ck_assert_msg(strstr(ptx, "// Based on NVVM 7.") != NULL, "%s: no NVVM 7 line", where);
    ck_assert_msg(strstr(ptx, "\n.version 8.8\n") != NULL, "%s: PTX ISA is not 8.8", where);
    ck_assert_msg(strstr(ptx, "\n.target sm_90a\n") != NULL, "%s: not compute_90a", where);
    ck_assert_msg(strstr(ptx, "release 13.") == NULL, "%s: mentions release 13", where);
}

START_TEST(ptx_is_written_by_the_12_9_compiler)
{
    char *ptx = read_text(cuda12_path("kernels12_90a.ptx"));
    expect_12_9_ptx(ptx, "kernels12_90a.ptx");
    free(ptx);
}
END_TEST

/* ptxas 12.9 on NVRTC's PTX gives byte for byte the cubin NVRTC makes
 * itself (nvrtcGetCUBIN): the cubins are NVRTC 12.9's output.  The same
 * ptxas on nvcc 13.0's PTX (lowered to ISA 8.8) gives another cubin. */
START_TEST(sm_90a_cubin_is_what_nvrtc_makes)
{
    uint8_t *ours = NULL, *nvrtc = NULL;
    size_t ours_len = 0, nvrtc_len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(cuda12_path("kernels12_sm90a.cubin"), &ours, &ours_len, &err),
                     0);
    ck_assert_int_eq(
        ss_read_file(cuda12_path("kernels12_nvrtc_sm90a.cubin"), &nvrtc, &nvrtc_len, &err), 0);
    ck_assert_uint_eq(nvrtc[7], 0x33);
    ck_assert_uint_eq(ours_len, nvrtc_len);
    ck_assert_int_eq(memcmp(ours, nvrtc, ours_len), 0);
    free(ours);
    free(nvrtc);
}
END_TEST

/* ---- the V1 header ---- */

START_TEST(sm_90a_cubin_reads_as_abi_1)
{
    struct loaded l;
    load_one(cuda12_path("kernels12_sm90a.cubin"), &l);
    /* The fixture really is what the test is about. */
    ck_assert_uint_eq(l.bytes[7], 0x33);
    ck_assert_uint_eq(elf_flags(&l) & 0xff, 90);
    ck_assert_uint_ne(elf_flags(&l) & 0x800, 0);

    const struct ss_entry *e = the_entry(&l);
    ck_assert_int_eq(e->cubin.abi, 1);
    ck_assert_uint_eq(e->cubin.sm, 90);
    ck_assert_int_eq(e->cubin.arch_specific, 1);
    ck_assert_uint_eq(e->sm, 90);
    ck_assert_int_eq(e->variant, SS_VARIANT_A);
    ck_assert_int_eq(e->cubin.elf_type, 2);
    unload(&l);
}
END_TEST

START_TEST(sm_80_cubin_reads_as_abi_1_without_a)
{
    struct loaded l;
    load_one(cuda12_path("kernels12_sm80.cubin"), &l);
    ck_assert_uint_eq(l.bytes[7], 0x33);
    ck_assert_uint_eq(elf_flags(&l) & 0x800, 0);

    const struct ss_entry *e = the_entry(&l);
    ck_assert_int_eq(e->cubin.abi, 1);
    ck_assert_uint_eq(e->cubin.sm, 80);
    ck_assert_int_eq(e->cubin.arch_specific, 0);
    ck_assert_int_eq(e->variant, SS_VARIANT_PLAIN);
    unload(&l);
}
END_TEST

/* ---- kernels and parameters, as declared in kernels.cu ---- */

static const char *const cubins12[] = { "kernels12_sm80.cubin", "kernels12_sm90a.cubin" };

START_TEST(params_match_the_declarations)
{
    struct loaded l;
    load_one(cuda12_path(cubins12[_i]), &l);
    const struct ss_entry *e = the_entry(&l);
    ck_assert_uint_eq(e->nkernels, 11);

    const unsigned add_c[] = { 8, 8, 4 };               /* float*, const float*, int */
    const unsigned mixed[] = { 1, 2, 8, 32, 8 };        /* char, short, double, Big, int* */
    const unsigned scale_f[] = { 8, 4, 4 };             /* float*, float, int */
    const unsigned scale_d[] = { 8, 8, 4 };             /* double*, double, int */
    const unsigned huge[] = { 8192, 8 };                /* Huge, int* */
    const unsigned unused[] = { 4, 4, 8 };              /* int, int, float* */
    const unsigned smem[] = { 8 };                      /* float* */
    expect_sizes(e, "add_c", 3, add_c);
    expect_sizes(e, "_Z5mixedcsd3BigPi", 5, mixed);
    expect_sizes(e, "_Z5scaleIfLi4EEvPT_S0_i", 3, scale_f);
    expect_sizes(e, "_Z5scaleIdLi2EEvPT_S0_i", 3, scale_d);
    expect_sizes(e, "_Z10huge_param4HugePi", 2, huge);
    expect_sizes(e, "_Z12unused_paramiiPf", 3, unused);
    expect_sizes(e, "_Z11smem_staticPf", 1, smem);
    ck_assert_uint_eq(kernel(e, "_Z8noparamsv")->nparams, 0);
    ck_assert_int_eq(kernel(e, "_Z12local_kernelPi")->is_local, 1);
    ck_assert_int_eq(kernel(e, "add_c")->is_local, 0);

    expect_packed(e, "add_c");
    expect_packed(e, "_Z5scaleIfLi4EEvPT_S0_i");
    expect_packed(e, "_Z10huge_param4HugePi");
    /* Big is __align__(16): 16, after char, short and double. */
    ck_assert_uint_eq(kernel(e, "_Z5mixedcsd3BigPi")->params[3].offset, 16);

    /* __launch_bounds__(256, 2) on tma_kernel. */
    const struct ss_kernel *tma = kernel(e, TMA_KERNEL);
    ck_assert_uint_eq(tma->max_threads[0], 256);
    /* float s[1000]; sm_90 cubins add a reserved 1 KiB to the section. */
    ck_assert_uint_ge(kernel(e, "_Z11smem_staticPf")->static_smem, 4000);
    unload(&l);
}
END_TEST

/* 12.x CUtensorMap is alignas(64): the map sits at a multiple of 64 in the
 * parameter bank, not (always) of 128 as with 13.0; float* and int follow. */
START_TEST(tensormap_is_64_byte_aligned)
{
    struct loaded l;
    load_one(cuda12_path(cubins12[_i]), &l);
    const struct ss_kernel *k = kernel(the_entry(&l), TMA_KERNEL);
    const unsigned sizes[] = { 128, 8, 4 };
    expect_sizes(the_entry(&l), TMA_KERNEL, 3, sizes);
    ck_assert_int_eq(k->has_param_base, 1);
    unsigned map_at = k->param_base + k->params[0].offset;
    ck_assert_msg(map_at % 64 == 0, "CUtensorMap at bank offset %u", map_at);
    /* Nothing wasted: the map is at the first multiple of 64 in the bank. */
    ck_assert_uint_lt(k->params[0].offset, 64);
    ck_assert_uint_eq(k->params[1].offset, k->params[0].offset + 128);
    ck_assert_uint_eq(k->params[2].offset, k->params[1].offset + 8);
    ck_assert_uint_eq(k->param_size, k->params[2].offset + 4);
    unload(&l);
}
END_TEST

/* Same source, sm_90a: 12.x puts the map at 64-alignment, 13.0 at 128, so
 * the offsets differ (the sizes do not); sm_90a's bank starts at 0x210. */
START_TEST(tensormap_offsets_differ_from_13_0_on_sm_90a)
{
    struct loaded v1, v2;
    load_one(cuda12_path("kernels12_sm90a.cubin"), &v1);
    load_one(fixture_path("kernels_sm90a.cubin"), &v2);
    ck_assert_int_eq(the_entry(&v2)->cubin.abi, 2);
    const struct ss_kernel *k1 = kernel(the_entry(&v1), TMA_KERNEL);
    const struct ss_kernel *k2 = kernel(the_entry(&v2), TMA_KERNEL);
    ck_assert_uint_eq((k2->param_base + k2->params[0].offset) % 128, 0);
    ck_assert_uint_ne((k1->param_base + k1->params[0].offset) % 128, 0);
    ck_assert_uint_ne(k1->params[0].offset, k2->params[0].offset);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_uint_eq(k1->params[i].size, k2->params[i].size);
    unload(&v1);
    unload(&v2);
}
END_TEST

/* ---- LZ4 entries of V1 cubins ---- */

START_TEST(lz4_fatbin_of_v1_cubins)
{
    struct loaded l, bare;
    load_one(cuda12_path("kernels12_lz4.fatbin"), &l);
    load_one(cuda12_path("kernels12_sm90a.cubin"), &bare);
    const struct ss_container *c = &l.image.containers[0];
    ck_assert_uint_eq(c->nentries, 3);
    unsigned elf = 0, ptx = 0;
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        ck_assert_int_eq(e->compression, SS_COMPRESS_LZ4);
        ck_assert_msg(e->kernels_read, "entry %zu: %s", i, e->note);
        ck_assert_uint_eq(e->nkernels, 11);
        if (e->kind == SS_KIND_PTX) {
            ptx++;
            ck_assert_uint_eq(e->sm, 90);
            continue;
        }
        ck_assert_uint_eq(e->kind, SS_KIND_ELF);
        elf++;
        ck_assert_int_eq(e->cubin.abi, 1);
        ck_assert_uint_eq(e->cubin.sm, e->sm);
        if (e->sm == 90) {
            ck_assert_int_eq(e->variant, SS_VARIANT_A);
            /* Decompressed, it is the cubin ptxas wrote. */
            ck_assert_uint_eq(e->data_len, bare.len);
            ck_assert_int_eq(memcmp(e->data, bare.bytes, bare.len), 0);
        } else {
            ck_assert_uint_eq(e->sm, 80);
        }
    }
    ck_assert_uint_eq(elf, 2);
    ck_assert_uint_eq(ptx, 1);
    unload(&bare);
    unload(&l);
}
END_TEST

/* ---- 12.x against 13.0 in the ABI check ---- */

static const struct ss_abi_verdict *verdict(const struct ss_abi_report *r, const char *name)
{
    for (size_t i = 0; i < r->nverdicts; i++)
        if (strcmp(r->verdicts[i].kernel, name) == 0)
            return &r->verdicts[i];
    ck_abort_msg("no verdict for %s", name);
    return NULL;
}

/* Original and replacement of one SM from different toolkits: equal sizes,
 * moved CUtensorMap offsets -> WARN for tma_kernel, compatible overall. */
static void expect_mixed_warn(const char *orig_path, const char *repl_path)
{
    struct loaded o, r;
    load_one(orig_path, &o);
    load_one(repl_path, &r);
    struct ss_abi_report rep;
    ck_assert_int_eq(ss_abi_compare(the_entry(&o), the_entry(&r), &rep), 0);
    ck_assert_msg(rep.compatible, "%s", rep.summary);
    ck_assert_uint_eq(rep.nverdicts, 11);
    const struct ss_abi_verdict *v = verdict(&rep, TMA_KERNEL);
    ck_assert_msg(v->level == SS_ABI_WARN, "tma_kernel: %s %s", ss_abi_level_name(v->level),
                  v->reason);
    ck_assert_msg(strstr(v->reason, "offsets differ") != NULL, "%s", v->reason);
    ck_assert_int_eq(verdict(&rep, "add_c")->level, SS_ABI_OK);
    ck_assert_int_eq(verdict(&rep, "_Z5mixedcsd3BigPi")->level, SS_ABI_OK);
    ss_abi_report_free(&rep);
    unload(&o);
    unload(&r);
}

START_TEST(original_12_replacement_13_warns)
{
    expect_mixed_warn(cuda12_path("kernels12_sm90a.cubin"), fixture_path("kernels_sm90a.cubin"));
}
END_TEST

START_TEST(original_13_replacement_12_warns)
{
    char orig[4096];
    snprintf(orig, sizeof orig, "%s", fixture_path("kernels_sm90a.cubin"));
    expect_mixed_warn(orig, cuda12_path("kernels12_sm90a.cubin"));
}
END_TEST

/* A size change is still fatal across toolkits: the 13.0 replacement with
 * add_c's `int n` widened to 8 bytes (in a copy of its kernel list). */
START_TEST(size_change_fails_across_toolkits)
{
    struct loaded o, r;
    load_one(cuda12_path("kernels12_sm90a.cubin"), &o);
    load_one(fixture_path("kernels_sm90a.cubin"), &r);
    struct ss_entry repl = *the_entry(&r);
    /* A private copy of the kernels with add_c's `int n` widened to 8. */
    struct ss_kernel *kernels = calloc(repl.nkernels, sizeof *kernels);
    struct ss_param params[3];
    ck_assert_ptr_nonnull(kernels);
    memcpy(kernels, repl.kernels, repl.nkernels * sizeof *kernels);
    for (size_t i = 0; i < repl.nkernels; i++) {
        if (strcmp(kernels[i].name, "add_c") != 0)
            continue;
        ck_assert_uint_eq(kernels[i].nparams, 3);
        memcpy(params, kernels[i].params, sizeof params);
        params[2].size = 8;
        kernels[i].params = params;
    }
    repl.kernels = kernels;

    struct ss_abi_report rep;
    ck_assert_int_eq(ss_abi_compare(the_entry(&o), &repl, &rep), 0);
    ck_assert_int_eq(rep.compatible, 0);
    ck_assert_int_eq(verdict(&rep, "add_c")->level, SS_ABI_FAIL);
    ck_assert_int_eq(verdict(&rep, TMA_KERNEL)->level, SS_ABI_WARN);
    ss_abi_report_free(&rep);
    free(kernels);
    unload(&o);
    unload(&r);
}
END_TEST

static Suite *cuda12_suite(void)
{
    Suite *s = suite_create("cuda12");
    TCase *origin = tcase_create("nvrtc");
    tcase_add_test(origin, ptx_is_written_by_the_12_9_compiler);
    tcase_add_test(origin, sm_90a_cubin_is_what_nvrtc_makes);
    suite_add_tcase(s, origin);
    TCase *tc = tcase_create("v1");
    tcase_add_test(tc, sm_90a_cubin_reads_as_abi_1);
    tcase_add_test(tc, sm_80_cubin_reads_as_abi_1_without_a);
    tcase_add_loop_test(tc, params_match_the_declarations, 0, 2);
    tcase_add_loop_test(tc, tensormap_is_64_byte_aligned, 0, 2);
    tcase_add_test(tc, tensormap_offsets_differ_from_13_0_on_sm_90a);
    tcase_add_test(tc, lz4_fatbin_of_v1_cubins);
    tcase_add_test(tc, original_12_replacement_13_warns);
    tcase_add_test(tc, original_13_replacement_12_warns);
    tcase_add_test(tc, size_change_fails_across_toolkits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *reason = skip_reason();
    if (reason) {
        printf("skipped: %s\n", reason);
        return 0;
    }
    return run_suite(cuda12_suite());
}
