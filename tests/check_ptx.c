/* check_ptx: ss_ptx_read on PTX from tests/fixtures/kernels.cu and
 * cluster.cu, and on small hand-written texts.  PTX has no offsets: they
 * are laid out by natural alignment, so over-aligned parameters land where
 * the declaration's `.align` puts them, not where a cubin has them. */
#include "kernel_fixtures.h"

static struct ss_entry ptx;

static void load_kernels_ptx(void)
{
    load_ptx("kernels_90a.ptx", &ptx);
}

static void free_kernels_ptx(void)
{
    ss_entry_clear_kernels(&ptx);
}

/* Read text into a zeroed entry; returns ss_ptx_read's result. */
static int read_text(const char *text, struct ss_entry *e, struct ss_error *err)
{
    memset(e, 0, sizeof *e);
    return ss_ptx_read(text, strlen(text), e, err);
}

START_TEST(target_and_kind)
{
    ck_assert_uint_eq(ptx.kind, SS_KIND_PTX);
    ck_assert_int_eq(ptx.kernels_read, 1);
    /* `.target sm_90a` */
    ck_assert_uint_eq(ptx.sm, 90);
    ck_assert_int_eq(ptx.variant, SS_VARIANT_A);
    ck_assert_uint_eq(ptx.nkernels, 11);
}
END_TEST

START_TEST(pointer_and_scalar_parameters)
{
    static const unsigned expect[][2] = { { 0, 8 }, { 8, 8 }, { 16, 4 } };
    const struct ss_kernel *k = kernel_named(&ptx, "add_c");
    assert_params(k, 3, expect);
    ck_assert_uint_eq(k->params[0].align, 8);
    ck_assert_uint_eq(k->params[2].align, 4);
    ck_assert_uint_eq(k->param_size, 0x14);
    ck_assert_int_eq(k->is_local, 0);
}
END_TEST

START_TEST(mixed_parameters)
{
    static const unsigned expect[][2] = { { 0, 1 }, { 2, 2 }, { 8, 8 }, { 16, 32 }, { 48, 8 } };
    const struct ss_kernel *k = kernel_named(&ptx, "_Z5mixedcsd3BigPi");
    assert_params(k, 5, expect);
    /* Big is __align__(16). */
    ck_assert_uint_eq(k->params[3].align, 16);
    ck_assert_uint_eq(k->param_size, 0x38);
}
END_TEST

START_TEST(template_instances)
{
    static const unsigned as_float[][2] = { { 0, 8 }, { 8, 4 }, { 12, 4 } };
    static const unsigned as_double[][2] = { { 0, 8 }, { 8, 8 }, { 16, 4 } };
    assert_params(kernel_named(&ptx, "_Z5scaleIfLi4EEvPT_S0_i"), 3, as_float);
    assert_params(kernel_named(&ptx, "_Z5scaleIdLi2EEvPT_S0_i"), 3, as_double);
}
END_TEST

START_TEST(tensor_map_and_launch_bounds)
{
    /* `.param .align 128 .b8 ..._param_0[128]`, then u64 and u32. */
    static const unsigned expect[][2] = { { 0, 128 }, { 128, 8 }, { 136, 4 } };
    const struct ss_kernel *k = kernel_named(&ptx, "_Z10tma_kernel14CUtensorMap_stPfi");
    assert_params(k, 3, expect);
    ck_assert_uint_eq(k->params[0].align, 128);
    /* __launch_bounds__(256, 2) -> `.maxntid 256, 1, 1` */
    ck_assert_uint_eq(k->max_threads[0], 256);
    ck_assert_uint_eq(k->max_threads[1], 1);
    ck_assert_uint_eq(k->max_threads[2], 1);
}
END_TEST

START_TEST(over_aligned_and_huge_parameters)
{
    static const unsigned palign[][2] = { { 0, 1 }, { 64, 64 }, { 128, 8 } };
    static const unsigned huge[][2] = { { 0, 8192 }, { 8192, 8 } };
    assert_params(kernel_named(&ptx, "_Z6palignc3A64d"), 3, palign);
    assert_params(kernel_named(&ptx, "_Z10huge_param4HugePi"), 2, huge);
}
END_TEST

START_TEST(no_and_unused_parameters)
{
    static const unsigned unused[][2] = { { 0, 4 }, { 4, 4 }, { 8, 8 } };
    ck_assert_uint_eq(kernel_named(&ptx, "_Z8noparamsv")->nparams, 0);
    assert_params(kernel_named(&ptx, "_Z12unused_paramiiPf"), 3, unused);
}
END_TEST

START_TEST(static_kernel_is_local)
{
    /* `static __global__` gives `.entry` without `.visible`. */
    ck_assert_int_eq(kernel_named(&ptx, "_Z12local_kernelPi")->is_local, 1);
    ck_assert_int_eq(kernel_named(&ptx, "_Z11smem_staticPf")->is_local, 0);
}
END_TEST

START_TEST(cluster_directives)
{
    struct ss_entry e;
    load_ptx("cluster_90a.ptx", &e);
    const struct ss_kernel *k = kernel_named(&e, "_Z14cluster_kernelPf");
    ck_assert_int_eq(k->explicit_cluster, 1);
    ck_assert_uint_eq(k->cluster_dims[0], 2);
    ck_assert_uint_eq(k->cluster_dims[1], 1);
    ck_assert_uint_eq(k->cluster_dims[2], 1);
    k = kernel_named(&e, "_Z13ranked_kernelPfi");
    ck_assert_uint_eq(k->max_threads[0], 128);
    ck_assert_uint_eq(k->max_cluster_rank, 4);
    ss_entry_clear_kernels(&e);
}
END_TEST

START_TEST(handwritten_declarations)
{
    static const char text[] =
        "/* comment with .entry fake( */\n"
        ".version 8.0\n.target sm_120, texmode_independent // trailing\n"
        ".address_size 64\n"
        ".global .align 4 .b8 table[16] = {1, 2, 3, 4};\n"
        ".func helper(.param .b32 x) { ret; }\n"
        ".weak .entry k1(\n"
        "    .param .u8 k1_p0,\n"
        "    .param .u64 .ptr .global .align 16 k1_p1,\n"
        "    .param .u16 k1_p2\n"
        ")\n"
        ".reqntid 64, 2\n"
        ".pragma \"nounroll\";\n"
        "{ { ret; } }\n"
        ".entry k2\n{\n ret;\n}\n";
    struct ss_entry e;
    struct ss_error err = { 0 };
    ck_assert_int_eq(read_text(text, &e, &err), 0);
    ck_assert_uint_eq(e.sm, 120);
    ck_assert_int_eq(e.variant, SS_VARIANT_PLAIN);
    ck_assert_uint_eq(e.nkernels, 2);

    /* The `.align 16` after `.ptr` is the pointee's: offset stays 8. */
    static const unsigned expect[][2] = { { 0, 1 }, { 8, 8 }, { 16, 2 } };
    const struct ss_kernel *k = kernel_named(&e, "k1");
    assert_params(k, 3, expect);
    ck_assert_uint_eq(k->params[1].align, 8);
    ck_assert_int_eq(k->is_local, 0);
    /* Missing dimensions are 1. */
    ck_assert_uint_eq(k->req_ntid[0], 64);
    ck_assert_uint_eq(k->req_ntid[1], 2);
    ck_assert_uint_eq(k->req_ntid[2], 1);

    k = kernel_named(&e, "k2");
    ck_assert_uint_eq(k->nparams, 0);
    ck_assert_int_eq(k->is_local, 1);
    ss_entry_clear_kernels(&e);
}
END_TEST

START_TEST(target_variants_and_preset_arch)
{
    struct ss_entry e;
    struct ss_error err;
    ck_assert_int_eq(read_text(".target sm_100f\n", &e, &err), 0);
    ck_assert_uint_eq(e.sm, 100);
    ck_assert_int_eq(e.variant, SS_VARIANT_F);
    ss_entry_clear_kernels(&e);

    /* An entry header already named the arch: the text does not override. */
    memset(&e, 0, sizeof e);
    e.sm = 90;
    ck_assert_int_eq(ss_ptx_read(".target sm_80\n", 14, &e, &err), 0);
    ck_assert_uint_eq(e.sm, 90);
    ss_entry_clear_kernels(&e);
}
END_TEST

START_TEST(text_ends_at_nul)
{
    static const char text[] = ".entry a()\n{}\n\0.entry b()\n{}\n";
    struct ss_entry e = { 0 };
    struct ss_error err;
    ck_assert_int_eq(ss_ptx_read(text, sizeof text, &e, &err), 0);
    ck_assert_uint_eq(e.nkernels, 1);
    ss_entry_clear_kernels(&e);
}
END_TEST

START_TEST(malformed_declarations_fail)
{
    static const char *bad[] = {
        ".entry k(.param .u32 p",                       /* list never closed */
        ".entry k(.param .u32 p)\n{ ret;",              /* body never closed */
        ".entry k(.param p)\n{}",                       /* no type */
        ".entry k(.param .b8 p[99999999])\n{}",         /* absurd size */
        ".entry k(.param .align 3 .b8 p[4])\n{}",       /* alignment not 2^n */
        ".entry k()\n.maxntid x\n{}",                   /* not a number */
        ".entry (",                                     /* no name */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ss_entry e;
        struct ss_error err = { 0 };
        ck_assert_msg(read_text(bad[i], &e, &err) == -1, "accepted: %s", bad[i]);
        ck_assert_msg(err.message[0] != '\0', "no message for: %s", bad[i]);
        ck_assert_ptr_null(e.kernels);
        ck_assert_int_eq(e.kernels_read, 0);
    }
}
END_TEST

START_TEST(every_truncation_is_safe)
{
    size_t len;
    uint8_t *text = read_fixture("kernels_90a.ptx", &len);
    for (size_t cut = 0; cut <= len; cut++) {
        struct ss_entry e = { 0 };
        struct ss_error err;
        if (ss_ptx_read((const char *)text, cut, &e, &err) == 0)
            ss_entry_clear_kernels(&e);
    }
    free(text);
}
END_TEST

static Suite *ptx_suite(void)
{
    Suite *s = suite_create("ptx");
    TCase *tc = tcase_create("kernels.cu");
    tcase_add_checked_fixture(tc, load_kernels_ptx, free_kernels_ptx);
    tcase_add_test(tc, target_and_kind);
    tcase_add_test(tc, pointer_and_scalar_parameters);
    tcase_add_test(tc, mixed_parameters);
    tcase_add_test(tc, template_instances);
    tcase_add_test(tc, tensor_map_and_launch_bounds);
    tcase_add_test(tc, over_aligned_and_huge_parameters);
    tcase_add_test(tc, no_and_unused_parameters);
    tcase_add_test(tc, static_kernel_is_local);
    suite_add_tcase(s, tc);

    tc = tcase_create("texts");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cluster_directives);
    tcase_add_test(tc, handwritten_declarations);
    tcase_add_test(tc, target_variants_and_preset_arch);
    tcase_add_test(tc, text_ends_at_nul);
    tcase_add_test(tc, malformed_declarations_fail);
    tcase_add_test(tc, every_truncation_is_safe);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(ptx_suite());
}
