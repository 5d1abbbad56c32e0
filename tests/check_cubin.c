/* check_cubin: ss_cubin_read on bare cubins built from
 * tests/fixtures/kernels.cu and cluster.cu.  Expected values come from the
 * kernel declarations there and fatbin-format §4.7 (offset/size pairs). */
#include <elf.h>

#include "kernel_fixtures.h"

static struct ss_entry sm90a, sm80;

static void load_both(void)
{
    load_cubin("kernels_sm90a.cubin", &sm90a);
    load_cubin("kernels_sm80.cubin", &sm80);
}

static void free_both(void)
{
    ss_entry_clear_kernels(&sm90a);
    ss_entry_clear_kernels(&sm80);
}

START_TEST(header_of_sm90a_cubin)
{
    /* CUDA 13.0 writes ABI V2 for every arch; `a` only in .nv.compat. */
    ck_assert_int_eq(sm90a.cubin.abi, 2);
    ck_assert_uint_eq(sm90a.cubin.sm, 90);
    ck_assert_int_eq(sm90a.cubin.arch_specific, 1);
    ck_assert_int_eq(sm90a.cubin.elf_type, ET_EXEC);
    ck_assert_uint_eq(sm90a.cubin.toolkit, 130);
    /* A bare cubin takes its arch from the ELF. */
    ck_assert_uint_eq(sm90a.kind, SS_KIND_ELF);
    ck_assert_uint_eq(sm90a.sm, 90);
    ck_assert_int_eq(sm90a.variant, SS_VARIANT_A);
    ck_assert_int_eq(sm90a.kernels_read, 1);
}
END_TEST

START_TEST(header_of_sm80_cubin)
{
    ck_assert_int_eq(sm80.cubin.abi, 2);
    ck_assert_uint_eq(sm80.cubin.sm, 80);
    ck_assert_int_eq(sm80.cubin.arch_specific, 0);
    ck_assert_int_eq(sm80.variant, SS_VARIANT_PLAIN);
    ck_assert_uint_eq(sm80.cubin.toolkit, 130);
}
END_TEST

START_TEST(every_kernel_is_found)
{
    /* kernels.cu defines 11 kernels (two of them template instances). */
    static const char *names[] = {
        "add_c", "_Z5mixedcsd3BigPi", "_Z5scaleIfLi4EEvPT_S0_i", "_Z5scaleIdLi2EEvPT_S0_i",
        "_Z10tma_kernel14CUtensorMap_stPfi", "_Z6palignc3A64d", "_Z10huge_param4HugePi",
        "_Z8noparamsv", "_Z12unused_paramiiPf", "_Z12local_kernelPi", "_Z11smem_staticPf",
    };
    const struct ss_entry *entries[] = { &sm90a, &sm80 };
    for (int e = 0; e < 2; e++) {
        ck_assert_uint_eq(entries[e]->nkernels, 11);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            kernel_named(entries[e], names[i]);
    }
}
END_TEST

START_TEST(extern_c_kernel)
{
    static const unsigned expect[][2] = { { 0, 8 }, { 8, 8 }, { 16, 4 } };
    const struct ss_kernel *k = kernel_named(&sm90a, "add_c");
    assert_params(k, 3, expect);
    ck_assert_int_eq(k->is_local, 0);
    ck_assert_int_eq(k->has_param_size, 1);
    ck_assert_uint_eq(k->param_size, 0x14);
    /* Parameter base in bank 0: 0x210 on sm_90, 0x160 on sm_80 (§4.7). */
    ck_assert_int_eq(k->has_param_base, 1);
    ck_assert_uint_eq(k->param_base, 0x210);
    k = kernel_named(&sm80, "add_c");
    assert_params(k, 3, expect);
    ck_assert_uint_eq(k->param_base, 0x160);
}
END_TEST

START_TEST(mixed_scalar_and_struct_parameters)
{
    /* char, short, double, Big (32 B, align 16), int*. */
    static const unsigned expect[][2] = { { 0, 1 }, { 2, 2 }, { 8, 8 }, { 16, 32 }, { 48, 8 } };
    assert_params(kernel_named(&sm90a, "_Z5mixedcsd3BigPi"), 5, expect);
    assert_params(kernel_named(&sm80, "_Z5mixedcsd3BigPi"), 5, expect);
    ck_assert_uint_eq(kernel_named(&sm90a, "_Z5mixedcsd3BigPi")->param_size, 0x38);
}
END_TEST

START_TEST(template_instances)
{
    static const unsigned as_float[][2] = { { 0, 8 }, { 8, 4 }, { 12, 4 } };
    static const unsigned as_double[][2] = { { 0, 8 }, { 8, 8 }, { 16, 4 } };
    assert_params(kernel_named(&sm90a, "_Z5scaleIfLi4EEvPT_S0_i"), 3, as_float);
    assert_params(kernel_named(&sm90a, "_Z5scaleIdLi2EEvPT_S0_i"), 3, as_double);
    ck_assert_uint_eq(kernel_named(&sm90a, "_Z5scaleIfLi4EEvPT_S0_i")->param_size, 0x10);
    ck_assert_uint_eq(kernel_named(&sm90a, "_Z5scaleIdLi2EEvPT_S0_i")->param_size, 0x14);
}
END_TEST

START_TEST(tensor_map_offsets_depend_on_arch)
{
    /* CUtensorMap is 128-aligned in the absolute bank-0 address:
     * 0x210 + 112 and 0x160 + 32 are both multiples of 128. */
    static const unsigned on_90a[][2] = { { 112, 128 }, { 240, 8 }, { 248, 4 } };
    static const unsigned on_80[][2] = { { 32, 128 }, { 160, 8 }, { 168, 4 } };
    const struct ss_kernel *k = kernel_named(&sm90a, "_Z10tma_kernel14CUtensorMap_stPfi");
    assert_params(k, 3, on_90a);
    ck_assert_uint_eq(k->param_size, 0xfc);
    /* __launch_bounds__(256, 2) */
    ck_assert_uint_eq(k->max_threads[0], 256);
    ck_assert_uint_eq(k->max_threads[1], 1);
    ck_assert_uint_eq(k->max_threads[2], 1);
    ck_assert_uint_eq(k->req_ntid[0], 0);

    k = kernel_named(&sm80, "_Z10tma_kernel14CUtensorMap_stPfi");
    assert_params(k, 3, on_80);
    ck_assert_uint_eq(k->param_size, 0xac);
    ck_assert_uint_eq(k->max_threads[0], 256);
}
END_TEST

START_TEST(over_aligned_struct)
{
    static const unsigned on_90a[][2] = { { 0, 1 }, { 48, 64 }, { 112, 8 } };
    static const unsigned on_80[][2] = { { 0, 1 }, { 32, 64 }, { 96, 8 } };
    assert_params(kernel_named(&sm90a, "_Z6palignc3A64d"), 3, on_90a);
    assert_params(kernel_named(&sm80, "_Z6palignc3A64d"), 3, on_80);
}
END_TEST

START_TEST(huge_parameter_uses_v2_records)
{
    /* struct Huge { int v[2048]; } is 8192 bytes: only KPARAM_INFO_V2 can
     * hold that size. */
    static const unsigned expect[][2] = { { 0, 8192 }, { 8192, 8 } };
    const struct ss_kernel *k = kernel_named(&sm90a, "_Z10huge_param4HugePi");
    assert_params(k, 2, expect);
    ck_assert_uint_eq(k->param_size, 0x2008);
    assert_params(kernel_named(&sm80, "_Z10huge_param4HugePi"), 2, expect);
}
END_TEST

START_TEST(kernel_without_parameters)
{
    const struct ss_kernel *k = kernel_named(&sm90a, "_Z8noparamsv");
    ck_assert_uint_eq(k->nparams, 0);
    ck_assert_ptr_null(k->params);
    ck_assert_int_eq(k->has_param_size, 0);
}
END_TEST

START_TEST(unused_parameters_are_listed)
{
    static const unsigned expect[][2] = { { 0, 4 }, { 4, 4 }, { 8, 8 } };
    const struct ss_kernel *k = kernel_named(&sm90a, "_Z12unused_paramiiPf");
    assert_params(k, 3, expect);
    ck_assert_uint_eq(k->param_size, 0x10);
}
END_TEST

START_TEST(static_kernel_is_local)
{
    static const unsigned expect[][2] = { { 0, 8 } };
    const struct ss_kernel *k = kernel_named(&sm90a, "_Z12local_kernelPi");
    ck_assert_int_eq(k->is_local, 1);
    assert_params(k, 1, expect);
    ck_assert_int_eq(kernel_named(&sm80, "_Z12local_kernelPi")->is_local, 1);
    ck_assert_int_eq(kernel_named(&sm90a, "_Z11smem_staticPf")->is_local, 0);
}
END_TEST

START_TEST(static_shared_memory)
{
    /* __shared__ float s[1000] = 0xfa0 bytes; sm_90 reserves 0x400 more. */
    const struct ss_kernel *k = kernel_named(&sm90a, "_Z11smem_staticPf");
    ck_assert_int_eq(k->has_static_smem, 1);
    ck_assert_uint_eq(k->static_smem, 0xfa0 + 0x400);
    k = kernel_named(&sm80, "_Z11smem_staticPf");
    ck_assert_int_eq(k->has_static_smem, 1);
    ck_assert_uint_eq(k->static_smem, 0xfa0);
    ck_assert_int_eq(kernel_named(&sm80, "add_c")->has_static_smem, 0);
}
END_TEST

START_TEST(cluster_attributes)
{
    struct ss_entry e;
    load_cubin("cluster_sm90a.cubin", &e);
    ck_assert_uint_eq(e.nkernels, 2);
    /* __cluster_dims__(2, 1, 1) */
    const struct ss_kernel *k = kernel_named(&e, "_Z14cluster_kernelPf");
    ck_assert_uint_eq(k->cluster_dims[0], 2);
    ck_assert_uint_eq(k->cluster_dims[1], 1);
    ck_assert_uint_eq(k->cluster_dims[2], 1);
    ck_assert_int_eq(k->explicit_cluster, 1);
    ck_assert_uint_eq(k->max_cluster_rank, 0);
    /* __launch_bounds__(128, 1, 4) */
    k = kernel_named(&e, "_Z13ranked_kernelPfi");
    ck_assert_uint_eq(k->max_cluster_rank, 4);
    ck_assert_uint_eq(k->max_threads[0], 128);
    ck_assert_uint_eq(k->cluster_dims[0], 0);
    ck_assert_int_eq(k->explicit_cluster, 0);
    ss_entry_clear_kernels(&e);
}
END_TEST

/* The section header of the section called `name` in a cubin copy. */
static Elf64_Shdr *find_section(uint8_t *elf, const char *name)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
    Elf64_Shdr *sh = (Elf64_Shdr *)(elf + eh->e_shoff);
    const char *names = (const char *)elf + sh[eh->e_shstrndx].sh_offset;
    for (unsigned i = 0; i < eh->e_shnum; i++)
        if (strcmp(names + sh[i].sh_name, name) == 0)
            return &sh[i];
    ck_abort_msg("no section %s", name);
    return NULL;
}

START_TEST(section_names_match_from_the_start)
{
    /* sm_100+ cubins carry `.nv.merc.nv.info.<k>` copies; a name that only
     * ends in `nv.info.add_c` must not be taken for add_c's records.  Point
     * the section's name one byte later: "nv.info.add_c". */
    size_t len;
    uint8_t *elf = read_fixture("kernels_sm90a.cubin", &len);
    find_section(elf, ".nv.info.add_c")->sh_name += 1;
    struct ss_entry e = { 0 };
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_cubin_read(elf, len, &e, &err), 0);
    const struct ss_kernel *k = kernel_named(&e, "add_c");
    ck_assert_uint_eq(k->nparams, 0);
    ck_assert_int_eq(k->has_param_size, 0);
    ck_assert_uint_eq(kernel_named(&e, "_Z5mixedcsd3BigPi")->nparams, 5);
    ss_entry_clear_kernels(&e);
    free(elf);
}
END_TEST

START_TEST(malformed_records_are_reported)
{
    size_t len;
    uint8_t *elf = read_fixture("kernels_sm90a.cubin", &len);
    Elf64_Shdr *sh = find_section(elf, ".nv.info.add_c");
    elf[sh->sh_offset] = 9;     /* no such record format */
    struct ss_entry e = { 0 };
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_cubin_read(elf, len, &e, &err), -1);
    ck_assert_int_eq(err.has_offset, 1);
    ck_assert_uint_eq(err.offset, sh->sh_offset);
    ck_assert_ptr_nonnull(strstr(err.message, ".nv.info.add_c"));
    ck_assert_ptr_null(e.kernels);
    ck_assert_int_eq(e.kernels_read, 0);
    free(elf);
}
END_TEST

START_TEST(not_a_cuda_elf)
{
    static const uint8_t text[] = "// not an ELF\n.version 9.0\n";
    struct ss_entry e = { 0 };
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_cubin_read(text, sizeof text, &e, &err), -1);
    ck_assert_int_eq(ss_cubin_read(text, 3, &e, &err), -1);

    /* Any other machine (here: the cubin relabelled x86-64) is refused. */
    size_t len;
    uint8_t *elf = read_fixture("kernels_sm90a.cubin", &len);
    ((Elf64_Ehdr *)elf)->e_machine = EM_X86_64;
    ck_assert_int_eq(ss_cubin_read(elf, len, &e, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "e_machine"));
    free(elf);
}
END_TEST

START_TEST(damaged_images_do_not_crash)
{
    /* Every truncation, and every byte of the headers and metadata flipped:
     * the reader must fail or succeed, never crash or leak (ASan run). */
    size_t len;
    uint8_t *elf = read_fixture("kernels_sm90a.cubin", &len);
    struct ss_error err;
    for (size_t cut = 0; cut < len; cut += 97) {
        struct ss_entry e = { 0 };
        if (ss_cubin_read(elf, cut, &e, &err) == 0)
            ss_entry_clear_kernels(&e);
    }
    size_t meta_end = find_section(elf, ".nv.callgraph")->sh_offset;
    for (size_t at = 0; at < meta_end; at++) {
        struct ss_entry e = { 0 };
        elf[at] ^= 0xff;
        if (ss_cubin_read(elf, len, &e, &err) == 0)
            ss_entry_clear_kernels(&e);
        elf[at] ^= 0xff;
    }
    free(elf);
}
END_TEST

static Suite *cubin_suite(void)
{
    Suite *s = suite_create("cubin");
    TCase *tc = tcase_create("kernels.cu");
    tcase_add_checked_fixture(tc, load_both, free_both);
    tcase_add_test(tc, header_of_sm90a_cubin);
    tcase_add_test(tc, header_of_sm80_cubin);
    tcase_add_test(tc, every_kernel_is_found);
    tcase_add_test(tc, extern_c_kernel);
    tcase_add_test(tc, mixed_scalar_and_struct_parameters);
    tcase_add_test(tc, template_instances);
    tcase_add_test(tc, tensor_map_offsets_depend_on_arch);
    tcase_add_test(tc, over_aligned_struct);
    tcase_add_test(tc, huge_parameter_uses_v2_records);
    tcase_add_test(tc, kernel_without_parameters);
    tcase_add_test(tc, unused_parameters_are_listed);
    tcase_add_test(tc, static_kernel_is_local);
    tcase_add_test(tc, static_shared_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("other");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cluster_attributes);
    tcase_add_test(tc, section_names_match_from_the_start);
    tcase_add_test(tc, malformed_records_are_reported);
    tcase_add_test(tc, not_a_cuda_elf);
    tcase_add_test(tc, damaged_images_do_not_crash);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(cubin_suite());
}
