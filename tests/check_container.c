/* check_container.c: fatbin containers as nvcc 13.0 writes them, in every
 * compression mode, plus bare cubins, PTX and images handed over in memory.
 *
 * Expected values come from tests/fixtures/module.mk (FIX_ARCHS: sm_80,
 * sm_89, sm_90, sm_90a, sm_120 SASS and compute_120 PTX), kernels.cu
 * (kernel names) and fatbin-format.md §3.2 (what each mode compresses). */
#include <stdlib.h>
#include <string.h>

#include "reader/image.h"
#include "image_fixtures.h"
#include "testutil.h"


/* The six code objects of FIX_ARCHS. */
struct expected_entry {
    unsigned kind;
    unsigned sm;
    enum ss_variant variant;
};

static const struct expected_entry fix_archs[] = {
    {SS_KIND_ELF, 80, SS_VARIANT_PLAIN}, {SS_KIND_ELF, 89, SS_VARIANT_PLAIN},
    {SS_KIND_ELF, 90, SS_VARIANT_PLAIN}, {SS_KIND_ELF, 90, SS_VARIANT_A},
    {SS_KIND_ELF, 120, SS_VARIANT_PLAIN}, {SS_KIND_PTX, 120, SS_VARIANT_PLAIN},
};
#define NUM_FIX_ARCHS (sizeof fix_archs / sizeof fix_archs[0])

static const struct ss_entry *find_entry(const struct ss_container *c, unsigned kind,
                                         unsigned sm, enum ss_variant variant)
{
    const struct ss_entry *found = NULL;
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        if (e->kind == kind && e->sm == sm && e->variant == variant) {
            ck_assert_msg(!found, "two entries of kind %u sm %u variant %d", kind, sm, variant);
            found = e;
        }
    }
    return found;
}

/* One --compress-mode fixture and what §3.2 says it compresses. */
struct mode {
    const char *file;
    enum ss_compression elf;
    enum ss_compression ptx;
};

static const struct mode modes[] = {
    {"kernels_none.fatbin", SS_COMPRESS_NONE, SS_COMPRESS_NONE},
    {"kernels_balance.fatbin", SS_COMPRESS_NONE, SS_COMPRESS_ZSTD},
    {"kernels_speed.fatbin", SS_COMPRESS_NONE, SS_COMPRESS_LZ4},
    {"kernels_size.fatbin", SS_COMPRESS_ZSTD, SS_COMPRESS_ZSTD},
    {"kernels_compressall.fatbin", SS_COMPRESS_ZSTD, SS_COMPRESS_ZSTD},
    {"kernels_compressall_speed.fatbin", SS_COMPRESS_LZ4, SS_COMPRESS_LZ4},
};
#define NUM_MODES (sizeof modes / sizeof modes[0])

START_TEST(every_mode_has_the_six_entries)
{
    const struct mode *m = &modes[_i];
    struct loaded l;
    load(m->file, &l);
    ck_assert_uint_eq(l.image.ncontainers, 1);
    const struct ss_container *c = &l.image.containers[0];
    ck_assert_int_eq(c->origin, SS_FROM_CONTAINER);
    ck_assert_uint_eq(c->offset, 0);
    ck_assert_uint_eq(c->size, l.len);
    ck_assert_uint_eq(c->nentries, NUM_FIX_ARCHS);
    for (size_t i = 0; i < NUM_FIX_ARCHS; i++) {
        const struct expected_entry *x = &fix_archs[i];
        const struct ss_entry *e = find_entry(c, x->kind, x->sm, x->variant);
        ck_assert_msg(e, "%s: no entry kind %u sm %u variant %d", m->file, x->kind, x->sm,
                      x->variant);
        ck_assert_int_eq(e->compression, x->kind == SS_KIND_ELF ? m->elf : m->ptx);
        ck_assert(e->is_64bit);
        ck_assert(!e->is_debug);
        ck_assert_msg(e->note[0] == '\0', "%s: unexpected note %s", m->file, e->note);
    }
    ck_assert_uint_eq(l.image.nnotes, 0);
    unload(&l);
}
END_TEST

START_TEST(payloads_are_identical_across_modes)
{
    struct loaded ref, other;
    load("kernels_none.fatbin", &ref);
    load(modes[_i].file, &other);
    for (size_t i = 0; i < NUM_FIX_ARCHS; i++) {
        const struct expected_entry *x = &fix_archs[i];
        const struct ss_entry *a = find_entry(&ref.image.containers[0], x->kind, x->sm, x->variant);
        const struct ss_entry *b = find_entry(&other.image.containers[0], x->kind, x->sm, x->variant);
        ck_assert(a && b && a->data && b->data);
        ck_assert_uint_eq(a->data_len, b->data_len);
        ck_assert_msg(memcmp(a->data, b->data, a->data_len) == 0, "%s: payload of sm %u differs",
                      modes[_i].file, x->sm);
    }
    unload(&other);
    unload(&ref);
}
END_TEST

START_TEST(payloads_are_elf_or_ptx_text)
{
    struct loaded l;
    load(modes[_i].file, &l);
    const struct ss_container *c = &l.image.containers[0];
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        ck_assert(e->data && e->data_len > 64);
        if (e->kind == SS_KIND_ELF) {
            ck_assert(memcmp(e->data, "\x7f" "ELF", 4) == 0);
        } else {
            /* nvcc's PTX: text, ending in one NUL, declaring its target. */
            ck_assert_uint_eq(e->data[e->data_len - 1], 0);
            ck_assert_ptr_eq(memchr(e->data, 0, e->data_len), e->data + e->data_len - 1);
            ck_assert_ptr_nonnull(strstr((const char *)e->data, ".target sm_120"));
        }
    }
    unload(&l);
}
END_TEST

START_TEST(kernel_names_are_read_from_every_entry)
{
    struct loaded l;
    load(modes[_i].file, &l);
    const struct ss_container *c = &l.image.containers[0];
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        ck_assert(e->kernels_read);
        /* kernels.cu defines eleven kernels (two of them template instances). */
        ck_assert_uint_eq(e->nkernels, 11);
        ck_assert_ptr_nonnull(ss_entry_find_kernel(e, "add_c"));
        ck_assert_ptr_nonnull(ss_entry_find_kernel(e, "_Z5mixedcsd3BigPi"));
        ck_assert_ptr_nonnull(ss_entry_find_kernel(e, "_Z5scaleIfLi4EEvPT_S0_i"));
        ck_assert_ptr_null(ss_entry_find_kernel(e, "no_such_kernel"));
    }
    unload(&l);
}
END_TEST

START_TEST(debug_build_sets_the_debug_flag)
{
    struct loaded l;
    load("kernels_debug.fatbin", &l);
    ck_assert_uint_eq(l.image.ncontainers, 1);
    const struct ss_container *c = &l.image.containers[0];
    /* -G with sm_80 and sm_90a: two cubins, no PTX. */
    ck_assert_uint_eq(c->nentries, 2);
    ck_assert_ptr_nonnull(find_entry(c, SS_KIND_ELF, 80, SS_VARIANT_PLAIN));
    ck_assert_ptr_nonnull(find_entry(c, SS_KIND_ELF, 90, SS_VARIANT_A));
    for (size_t i = 0; i < c->nentries; i++) {
        ck_assert(c->entries[i].is_debug);
        ck_assert(c->entries[i].flags & SS_FLAG_DEBUG);
        ck_assert(memcmp(c->entries[i].data, "\x7f" "ELF", 4) == 0);
    }
    unload(&l);
}
END_TEST

START_TEST(bare_cubin_is_a_one_entry_container)
{
    struct loaded l;
    load("kernels_sm90a.cubin", &l);
    ck_assert_uint_eq(l.image.ncontainers, 1);
    const struct ss_container *c = &l.image.containers[0];
    ck_assert_int_eq(c->origin, SS_FROM_CUBIN);
    ck_assert_ptr_eq(c->bytes, l.bytes);
    ck_assert_uint_eq(c->size, l.len);
    ck_assert_uint_eq(c->nentries, 1);
    const struct ss_entry *e = &c->entries[0];
    ck_assert_uint_eq(e->kind, SS_KIND_ELF);
    ck_assert_uint_eq(e->sm, 90);
    ck_assert_int_eq(e->variant, SS_VARIANT_A);
    ck_assert_ptr_eq(e->data, l.bytes);
    ck_assert_uint_eq(e->data_len, l.len);
    ck_assert_ptr_nonnull(ss_entry_find_kernel(e, "add_c"));
    char arch[32];
    ss_entry_arch_name(e, arch, sizeof arch);
    ck_assert_str_eq(arch, "sm_90a");
    unload(&l);

    load("kernels_sm80.cubin", &l);
    e = &l.image.containers[0].entries[0];
    ck_assert_uint_eq(e->sm, 80);
    ck_assert_int_eq(e->variant, SS_VARIANT_PLAIN);
    unload(&l);
}
END_TEST

START_TEST(ptx_text_is_a_one_entry_container)
{
    struct loaded l;
    load("kernels_90a.ptx", &l);
    ck_assert_uint_eq(l.image.ncontainers, 1);
    const struct ss_container *c = &l.image.containers[0];
    ck_assert_int_eq(c->origin, SS_FROM_PTX);
    ck_assert_uint_eq(c->nentries, 1);
    const struct ss_entry *e = &c->entries[0];
    ck_assert_uint_eq(e->kind, SS_KIND_PTX);
    ck_assert_uint_eq(e->sm, 90);
    ck_assert_int_eq(e->variant, SS_VARIANT_A);
    ck_assert_ptr_nonnull(ss_entry_find_kernel(e, "_Z5mixedcsd3BigPi"));
    char arch[32];
    ss_entry_arch_name(e, arch, sizeof arch);
    ck_assert_str_eq(arch, "compute_90a");
    unload(&l);
}
END_TEST

/* __fatBinC_Wrapper_t as fatbinary_section.h declares it. */
struct wrapper {
    int magic;
    int version;
    const unsigned long long *data;
    void *filename_or_fatbins;
};

static void assert_same_entries(const struct ss_image *a, const struct ss_image *b)
{
    ck_assert_uint_eq(a->ncontainers, b->ncontainers);
    for (size_t i = 0; i < a->ncontainers; i++) {
        const struct ss_container *ca = &a->containers[i], *cb = &b->containers[i];
        ck_assert_uint_eq(ca->size, cb->size);
        ck_assert_uint_eq(ca->nentries, cb->nentries);
        for (size_t j = 0; j < ca->nentries; j++) {
            const struct ss_entry *ea = &ca->entries[j], *eb = &cb->entries[j];
            ck_assert_uint_eq(ea->kind, eb->kind);
            ck_assert_uint_eq(ea->sm, eb->sm);
            ck_assert_int_eq(ea->variant, eb->variant);
            ck_assert_uint_eq(ea->offset, eb->offset);
            ck_assert_uint_eq(ea->data_len, eb->data_len);
            ck_assert(memcmp(ea->data, eb->data, ea->data_len) == 0);
            ck_assert_uint_eq(ea->nkernels, eb->nkernels);
        }
    }
}

START_TEST(wrapper_in_memory_parses_like_the_container)
{
    struct loaded l;
    load("kernels_size.fatbin", &l);
    /* A loaded container is 8-aligned, as in .nv_fatbin. */
    unsigned long long *copy = malloc(l.len + 8);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, l.bytes, l.len);
    for (int version = 1; version <= 2; version++) {
        struct wrapper w = {(int)SS_WRAPPER_MAGIC, version, copy, NULL};
        ck_assert_uint_eq(ss_image_measure(&w), l.len);
        struct ss_image mem;
        struct ss_error err = {0};
        ck_assert_msg(ss_image_parse_loaded(&w, &mem, &err) == 0, "%s", err.message);
        ck_assert_int_eq(mem.containers[0].origin, SS_FROM_WRAPPER);
        ck_assert_ptr_eq(mem.containers[0].bytes, (const uint8_t *)copy);
        assert_same_entries(&l.image, &mem);
        ss_image_free(&mem);
    }
    /* The container pointer itself. */
    ck_assert_uint_eq(ss_image_measure(copy), l.len);
    struct ss_image mem;
    struct ss_error err = {0};
    ck_assert(ss_image_parse_loaded(copy, &mem, &err) == 0);
    ck_assert_int_eq(mem.containers[0].origin, SS_FROM_CONTAINER);
    assert_same_entries(&l.image, &mem);
    ss_image_free(&mem);
    free(copy);
    unload(&l);
}
END_TEST

START_TEST(wrapper_with_bad_version_or_null_data_is_refused)
{
    struct loaded l;
    load("kernels_none.fatbin", &l);
    struct wrapper bad_version = {(int)SS_WRAPPER_MAGIC, 3, (const void *)l.bytes, NULL};
    struct wrapper null_data = {(int)SS_WRAPPER_MAGIC, 1, NULL, NULL};
    struct ss_image mem;
    struct ss_error err = {0};
    ck_assert_int_eq(ss_image_measure(&bad_version), 0);
    ck_assert_int_eq(ss_image_parse_loaded(&bad_version, &mem, &err), -1);
    ck_assert(err.has_offset);
    ck_assert_int_eq(ss_image_parse_loaded(&null_data, &mem, &err), -1);
    ck_assert_int_eq(ss_image_parse_loaded(NULL, &mem, &err), -1);
    unload(&l);
}
END_TEST

START_TEST(cubin_and_ptx_in_memory_are_measured_from_their_headers)
{
    struct loaded l;
    load("kernels_sm90a.cubin", &l);
    ck_assert_uint_eq(ss_image_measure(l.bytes), l.len);
    struct ss_image mem;
    struct ss_error err = {0};
    ck_assert(ss_image_parse_loaded(l.bytes, &mem, &err) == 0);
    ck_assert_int_eq(mem.containers[0].origin, SS_FROM_CUBIN);
    ck_assert_uint_eq(mem.containers[0].size, l.len);
    ss_image_free(&mem);
    unload(&l);

    load("kernels_90a.ptx", &l);
    char *text = malloc(l.len + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, l.bytes, l.len);
    text[l.len] = '\0';
    ck_assert_uint_eq(ss_image_measure(text), l.len + 1);
    ck_assert(ss_image_parse_loaded(text, &mem, &err) == 0);
    ck_assert_int_eq(mem.containers[0].origin, SS_FROM_PTX);
    ck_assert_uint_eq(mem.containers[0].entries[0].sm, 90);
    ss_image_free(&mem);
    free(text);
    unload(&l);
}
END_TEST

START_TEST(names_for_logs)
{
    ck_assert_str_eq(ss_kind_name(SS_KIND_PTX), "ptx");
    ck_assert_str_eq(ss_kind_name(SS_KIND_ELF), "elf");
    ck_assert_str_eq(ss_kind_name(SS_KIND_LTOIR), "ltoir");
    ck_assert_str_eq(ss_kind_name(7), "unknown");
    ck_assert_str_eq(ss_compression_name(SS_COMPRESS_NONE), "none");
    ck_assert_str_eq(ss_compression_name(SS_COMPRESS_LZ4), "lz4");
    ck_assert_str_eq(ss_compression_name(SS_COMPRESS_ZSTD), "zstd");
    struct ss_entry e;
    memset(&e, 0, sizeof e);
    char buf[32];
    e.kind = SS_KIND_PTX, e.sm = 120, e.variant = SS_VARIANT_PLAIN;
    ss_entry_arch_name(&e, buf, sizeof buf);
    ck_assert_str_eq(buf, "compute_120");
    e.kind = SS_KIND_ELF, e.sm = 100, e.variant = SS_VARIANT_F;
    ss_entry_arch_name(&e, buf, sizeof buf);
    ck_assert_str_eq(buf, "sm_100f");
    e.kind = SS_KIND_LTOIR, e.sm = 90, e.variant = SS_VARIANT_PLAIN;
    ss_entry_arch_name(&e, buf, sizeof buf);
    ck_assert_str_eq(buf, "lto_90");
}
END_TEST

/* Entry header fields used below (fatbin-format.md §2.2). */
#define ENTRY_KIND 0x00
#define FIRST_ENTRY 16

START_TEST(unknown_and_ltoir_kinds_are_skipped_with_a_note)
{
    struct loaded l;
    load("kernels_none.fatbin", &l);
    ss_image_free(&l.image);
    l.bytes[FIRST_ENTRY + ENTRY_KIND] = 7;
    struct ss_error err = {0};
    ck_assert(ss_image_parse(l.bytes, l.len, &l.image, &err) == 0);
    const struct ss_entry *e = &l.image.containers[0].entries[0];
    ck_assert_uint_eq(e->kind, 7);
    ck_assert_ptr_null(e->data);
    ck_assert_str_eq(e->note, "unknown entry kind 7 skipped");
    ck_assert_uint_eq(l.image.nnotes, 1);
    ck_assert_ptr_nonnull(strstr(l.image.notes[0], "unknown entry kind 7 skipped"));
    ck_assert_uint_eq(l.image.containers[0].nentries, NUM_FIX_ARCHS);
    ss_image_free(&l.image);

    l.bytes[FIRST_ENTRY + ENTRY_KIND] = SS_KIND_LTOIR;
    ck_assert(ss_image_parse(l.bytes, l.len, &l.image, &err) == 0);
    e = &l.image.containers[0].entries[0];
    ck_assert_ptr_null(e->data);
    ck_assert_uint_eq(e->nkernels, 0);
    ck_assert(e->note[0] != '\0');
    unload(&l);
}
END_TEST

START_TEST(containers_back_to_back_in_one_file)
{
    struct loaded l;
    load("kernels_size.fatbin", &l);
    /* kernels_size.fatbin is 8-aligned; two copies form one file. */
    ck_assert_uint_eq(l.len % 8, 0);
    uint8_t *two = malloc(2 * l.len);
    ck_assert_ptr_nonnull(two);
    memcpy(two, l.bytes, l.len);
    memcpy(two + l.len, l.bytes, l.len);
    struct ss_image image;
    struct ss_error err = {0};
    ck_assert(ss_image_parse(two, 2 * l.len, &image, &err) == 0);
    ck_assert_uint_eq(image.ncontainers, 2);
    ck_assert_uint_eq(image.containers[1].offset, l.len);
    ck_assert_uint_eq(image.containers[1].nentries, NUM_FIX_ARCHS);
    ss_image_free(&image);
    free(two);
    unload(&l);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
    uint8_t *bytes;
    size_t len;
    struct ss_error err = {0};
    ck_assert_int_eq(ss_read_file("/nonexistent/sageshim.fatbin", &bytes, &len, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/sageshim.fatbin"));
}
END_TEST

START_TEST(container_parse_decompresses_each_entry_once)
{
    struct loaded l;
    load("kernels_size.fatbin", &l);
    struct ss_container c;
    struct ss_error err = {0};
    ck_assert(ss_container_parse(l.bytes, l.len, &c, &err) == 0);
    ck_assert_int_eq(c.origin, SS_FROM_CONTAINER);
    ck_assert_uint_eq(c.nentries, NUM_FIX_ARCHS);
    for (size_t i = 0; i < c.nentries; i++) {
        struct ss_entry *e = &c.entries[i];
        ck_assert(e->data_owned);
        ck_assert_uint_eq(e->data_len, e->uncompressed_size);
        const uint8_t *before = e->data;
        ck_assert_int_eq(ss_entry_decompress(e, &err), 0);
        ck_assert_ptr_eq(e->data, before);
    }
    ss_container_free(&c);
    ck_assert_uint_eq(c.nentries, 0);
    unload(&l);
}
END_TEST

static Suite *container_suite(void)
{
    Suite *s = suite_create("container");
    TCase *tc = tcase_create("container");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_mode_has_the_six_entries, 0, NUM_MODES);
    tcase_add_loop_test(tc, payloads_are_identical_across_modes, 0, NUM_MODES);
    tcase_add_loop_test(tc, payloads_are_elf_or_ptx_text, 0, NUM_MODES);
    tcase_add_loop_test(tc, kernel_names_are_read_from_every_entry, 0, NUM_MODES);
    tcase_add_test(tc, debug_build_sets_the_debug_flag);
    tcase_add_test(tc, bare_cubin_is_a_one_entry_container);
    tcase_add_test(tc, ptx_text_is_a_one_entry_container);
    tcase_add_test(tc, wrapper_in_memory_parses_like_the_container);
    tcase_add_test(tc, wrapper_with_bad_version_or_null_data_is_refused);
    tcase_add_test(tc, cubin_and_ptx_in_memory_are_measured_from_their_headers);
    tcase_add_test(tc, names_for_logs);
    tcase_add_test(tc, unknown_and_ltoir_kinds_are_skipped_with_a_note);
    tcase_add_test(tc, containers_back_to_back_in_one_file);
    tcase_add_test(tc, missing_file_is_an_error);
    tcase_add_test(tc, container_parse_decompresses_each_entry_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(container_suite());
}
