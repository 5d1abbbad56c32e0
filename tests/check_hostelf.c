/* check_hostelf.c: containers found in host ELF files through their
 * .nv_fatbin / __nv_relfatbin sections (fatbin-format.md §1.3).
 *
 * Expected shapes come from tests/fixtures/module.mk: kernels_rdc.o is an
 * -rdc object (one __nv_relfatbin container, sm_90a), libkernels_rdc.so an
 * -rdc shared library (the nvlink image in .nv_fatbin plus the TU's
 * __nv_relfatbin), libext.so two nvcc -c objects linked by g++ (one
 * container per TU in .nv_fatbin, FIX_ARCHS each), libext_stripped.so the
 * same after strip, ext_a.o one of those objects (wrapper data 0). */
#include <stdlib.h>
#include <string.h>

#include "reader/image.h"
#include "image_fixtures.h"
#include "testutil.h"

#define FIX_ARCHS_ENTRIES 6


/* A container from a section points into the file at its recorded offset
 * and starts with the container magic. */
static void assert_in_file(const struct loaded *l, const struct ss_container *c)
{
    ck_assert_int_eq(c->origin, SS_FROM_SECTION);
    ck_assert_ptr_eq(c->bytes, l->bytes + c->offset);
    ck_assert(c->offset + c->size <= l->len);
    ck_assert(memcmp(c->bytes, "\x50\xed\x55\xba", 4) == 0);
}

static const struct ss_container *in_section(const struct ss_image *image, const char *section)
{
    const struct ss_container *found = NULL;
    for (size_t i = 0; i < image->ncontainers; i++)
        if (strcmp(image->containers[i].section, section) == 0) {
            ck_assert_msg(!found, "two containers in %s", section);
            found = &image->containers[i];
        }
    return found;
}

START_TEST(rdc_object_has_a_relfatbin_container)
{
    struct loaded l;
    load("kernels_rdc.o", &l);
    ck_assert_uint_eq(l.image.ncontainers, 1);
    const struct ss_container *c = in_section(&l.image, "__nv_relfatbin");
    ck_assert_ptr_nonnull(c);
    assert_in_file(&l, c);
    ck_assert_uint_eq(c->nentries, 1);
    const struct ss_entry *e = &c->entries[0];
    ck_assert_uint_eq(e->kind, SS_KIND_ELF);
    ck_assert_uint_eq(e->sm, 90);
    ck_assert_int_eq(e->variant, SS_VARIANT_A);
    /* §3.2: relocatable images are zstd-compressed. */
    ck_assert_int_eq(e->compression, SS_COMPRESS_ZSTD);
    ck_assert(memcmp(e->data, "\x7f" "ELF", 4) == 0);
    ck_assert_ptr_nonnull(ss_entry_find_kernel(e, "add_c"));
    ck_assert_ptr_nonnull(ss_entry_find_kernel(e, "_Z5mixedcsd3BigPi"));
    unload(&l);
}
END_TEST

START_TEST(rdc_library_has_linked_and_relocatable_containers)
{
    struct loaded l;
    load("libkernels_rdc.so", &l);
    ck_assert_uint_eq(l.image.ncontainers, 2);
    const struct ss_container *linked = in_section(&l.image, ".nv_fatbin");
    const struct ss_container *rel = in_section(&l.image, "__nv_relfatbin");
    ck_assert_ptr_nonnull(linked);
    ck_assert_ptr_nonnull(rel);
    assert_in_file(&l, linked);
    assert_in_file(&l, rel);
    ck_assert_uint_eq(linked->nentries, 1);
    ck_assert_uint_eq(rel->nentries, 1);
    ck_assert_uint_eq(linked->entries[0].sm, 90);
    ck_assert_uint_eq(rel->entries[0].sm, 90);
    /* The host launches only the static local_kernel (launch_local), so
     * nvlink keeps just that one; the relocatable cubin lists all eleven. */
    const struct ss_entry *le = &linked->entries[0];
    ck_assert_uint_eq(le->nkernels, 1);
    ck_assert(le->kernels[0].is_local);
    const char *name = le->kernels[0].name;
    const char *suffix = "local_kernelPi";
    ck_assert(strlen(name) > strlen(suffix));
    ck_assert_str_eq(name + strlen(name) - strlen(suffix), suffix);
    ck_assert_uint_eq(rel->entries[0].nkernels, 11);
    ck_assert_ptr_nonnull(ss_entry_find_kernel(&rel->entries[0], "add_c"));
    unload(&l);
}
END_TEST

START_TEST(extension_library_has_one_container_per_unit)
{
    struct loaded l;
    load("libext.so", &l);
    ck_assert_uint_eq(l.image.ncontainers, 2);
    const struct ss_container *a = &l.image.containers[0], *b = &l.image.containers[1];
    ck_assert_str_eq(a->section, ".nv_fatbin");
    ck_assert_str_eq(b->section, ".nv_fatbin");
    assert_in_file(&l, a);
    assert_in_file(&l, b);
    /* Back to back, the second 8-aligned after the first. */
    ck_assert_uint_eq(b->offset, (a->offset + a->size + 7) / 8 * 8);
    ck_assert_uint_eq(a->nentries, FIX_ARCHS_ENTRIES);
    ck_assert_uint_eq(b->nentries, FIX_ARCHS_ENTRIES);
    /* The g++ link keeps the order of the objects: ext_a.o, ext_b.o. */
    for (size_t i = 0; i < FIX_ARCHS_ENTRIES; i++) {
        ck_assert_ptr_nonnull(ss_entry_find_kernel(&a->entries[i], "_Z8ext_fillPffi"));
        ck_assert_ptr_nonnull(ss_entry_find_kernel(&b->entries[i], "_Z8ext_axpyIfEvPT_PKS0_S0_l"));
        ck_assert_ptr_null(ss_entry_find_kernel(&a->entries[i], "_Z8ext_axpyIfEvPT_PKS0_S0_l"));
    }
    ck_assert_uint_eq(l.image.nnotes, 0);
    unload(&l);
}
END_TEST

START_TEST(stripped_library_gives_the_same_containers)
{
    struct loaded full, stripped;
    load("libext.so", &full);
    load("libext_stripped.so", &stripped);
    ck_assert_uint_eq(full.image.ncontainers, stripped.image.ncontainers);
    for (size_t i = 0; i < full.image.ncontainers; i++) {
        const struct ss_container *a = &full.image.containers[i];
        const struct ss_container *b = &stripped.image.containers[i];
        ck_assert_str_eq(a->section, b->section);
        ck_assert_uint_eq(a->size, b->size);
        ck_assert(memcmp(a->bytes, b->bytes, a->size) == 0);
        ck_assert_uint_eq(a->nentries, b->nentries);
        for (size_t j = 0; j < a->nentries; j++) {
            ck_assert_uint_eq(a->entries[j].sm, b->entries[j].sm);
            ck_assert_uint_eq(a->entries[j].nkernels, b->entries[j].nkernels);
        }
    }
    unload(&stripped);
    unload(&full);
}
END_TEST

START_TEST(object_with_unrelocated_wrapper_is_found_by_section)
{
    struct loaded l;
    load("ext_a.o", &l);
    ck_assert_uint_eq(l.image.ncontainers, 1);
    const struct ss_container *c = in_section(&l.image, ".nv_fatbin");
    ck_assert_ptr_nonnull(c);
    assert_in_file(&l, c);
    ck_assert_uint_eq(c->nentries, FIX_ARCHS_ENTRIES);
    unload(&l);
}
END_TEST

START_TEST(elf_without_fatbin_sections_is_an_error)
{
    /* This test program is an ELF with no device code. */
    uint8_t *bytes;
    size_t len;
    struct ss_error err = {0};
    ck_assert(ss_read_file("/proc/self/exe", &bytes, &len, &err) == 0 || len == 0);
    struct ss_image image;
    ck_assert_int_eq(ss_image_parse(bytes, len, &image, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, ".nv_fatbin"));
    ck_assert_uint_eq(image.ncontainers, 0);
    free(bytes);
}
END_TEST

static Suite *hostelf_suite(void)
{
    Suite *s = suite_create("hostelf");
    TCase *tc = tcase_create("hostelf");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rdc_object_has_a_relfatbin_container);
    tcase_add_test(tc, rdc_library_has_linked_and_relocatable_containers);
    tcase_add_test(tc, extension_library_has_one_container_per_unit);
    tcase_add_test(tc, stripped_library_gives_the_same_containers);
    tcase_add_test(tc, object_with_unrelocated_wrapper_is_found_by_section);
    tcase_add_test(tc, elf_without_fatbin_sections_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(hostelf_suite());
}
