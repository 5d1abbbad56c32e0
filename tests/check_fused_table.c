/* check_fused_table.c: the table of SageAttention's 44 _fused kernels
 * (lib/plan/fused_table.c) against sageattention-fused.md §3.1-§6.2: the
 * instantiation set, names that spell their template values and parameter
 * lists, parameter layouts, shared memory. */
#include "plan/fused.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static const char *type_mangled(enum ss_fused_type t)
{
    return t == SS_FUSED_HALF ? "6__half" : "13__nv_bfloat16";
}

static unsigned count(enum ss_fused_kind kind, unsigned d, unsigned bs, unsigned np, int sm,
                      int sub, enum ss_fused_type t)
{
    unsigned n = 0;
    for (size_t i = 0; i < SS_FUSED_NKERNELS; i++) {
        const struct ss_fused_kernel *k = &ss_fused_kernels[i];
        n += k->kind == kind && k->d == d && k->bs == bs && k->np == np && k->sm == sm &&
             k->sub == sub && k->type == t;
    }
    return n;
}

START_TEST(forty_four_unique_kernels_found_by_name)
{
    unsigned per_kind[4] = {0};
    for (size_t i = 0; i < SS_FUSED_NKERNELS; i++) {
        const struct ss_fused_kernel *k = &ss_fused_kernels[i];
        ck_assert_ptr_eq(ss_fused_find(k->name), k);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(ss_fused_kernels[j].name, k->name);
        per_kind[k->kind]++;
    }
    ck_assert_uint_eq(per_kind[SS_FUSED_QUANT_INT8], 32);
    ck_assert_uint_eq(per_kind[SS_FUSED_SUB_MEAN], 4);
    ck_assert_uint_eq(per_kind[SS_FUSED_TRANSPOSE], 4);
    ck_assert_uint_eq(per_kind[SS_FUSED_MEAN_SCALE], 4);

    char name[160];
    const char *first = ss_fused_kernels[0].name;
    ck_assert_ptr_null(ss_fused_find(NULL));
    ck_assert_ptr_null(ss_fused_find(""));
    ck_assert_ptr_null(ss_fused_find("_Z6kernelPf"));
    snprintf(name, sizeof name, "%s", first);
    name[strlen(name) - 1] = 0;
    ck_assert_ptr_null(ss_fused_find(name));
    snprintf(name, sizeof name, "%sj", first);
    ck_assert_ptr_null(ss_fused_find(name));
}
END_TEST

/* §3.1: D in {64, 128}, BS in {16, 32, 64, 128}, NP = ceil(BS*(D/8)/1024);
 * BS 16 and 32 only without SM and SUB; BS 64 and 128 plain, with SUB, with
 * SM; both types.  §4.1: BS = 128 for D = 64, 64 for D = 128.  §5.1: C = 64,
 * Z = true.  §6.1: PAD = 64, SUB both.  Exactly once each: with the total of
 * 44 that is the whole set. */
START_TEST(instantiations_are_the_spec_set)
{
    for (int t = SS_FUSED_HALF; t <= SS_FUSED_BF16; t++) {
        for (unsigned d = 64; d <= 128; d *= 2) {
            for (unsigned bs = 16; bs <= 128; bs *= 2) {
                unsigned np = (bs * (d / 8) + 1023) / 1024;
                ck_assert_uint_eq(count(SS_FUSED_QUANT_INT8, d, bs, np, 0, 0, t), 1);
                ck_assert_uint_eq(count(SS_FUSED_QUANT_INT8, d, bs, np, 0, 1, t), bs >= 64);
                ck_assert_uint_eq(count(SS_FUSED_QUANT_INT8, d, bs, np, 1, 0, t), bs >= 64);
                ck_assert_uint_eq(count(SS_FUSED_QUANT_INT8, d, bs, np, 1, 1, t), 0);
            }
            ck_assert_uint_eq(count(SS_FUSED_SUB_MEAN, d, d == 64 ? 128 : 64, 1, 0, 0, t), 1);
            ck_assert_uint_eq(count(SS_FUSED_TRANSPOSE, d, 64, 0, 0, 0, t), 1);
        }
        ck_assert_uint_eq(count(SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 0, t), 1);
        ck_assert_uint_eq(count(SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 1, t), 1);
    }
    ck_assert_uint_eq(count(SS_FUSED_QUANT_INT8, 128, 128, 1, 0, 0, SS_FUSED_HALF), 0);
    for (size_t i = 0; i < SS_FUSED_NKERNELS; i++)
        ck_assert_int_eq(ss_fused_kernels[i].zero_fill,
                         ss_fused_kernels[i].kind == SS_FUSED_TRANSPOSE);
}
END_TEST

/* The Itanium mangling of §3.1-§6.1: _Z<length><template name>I<args>Ev<params>,
 * unsigned template values Lj<v>E, bools Lb<0|1>E, T as 6__half or
 * 13__nv_bfloat16. */
START_TEST(names_spell_their_template_values)
{
    for (size_t i = 0; i < SS_FUSED_NKERNELS; i++) {
        const struct ss_fused_kernel *k = &ss_fused_kernels[i];
        const char *kind = ss_fused_kind_name(k->kind), *t = type_mangled(k->type);
        char want[200];
        switch (k->kind) {
        case SS_FUSED_QUANT_INT8:
            snprintf(want, sizeof want, "_Z%zu%sILj%uELj%uELj%uELb%dELb%dE%sEvPT4_S2_PaPff%s",
                     strlen(kind), kind, k->d, k->bs, k->np, k->sm, k->sub, t, "jjjjjjjjjjj");
            break;
        case SS_FUSED_SUB_MEAN:     /* y is __half*: PS0_ when T is __half */
            snprintf(want, sizeof want, "_Z%zu%sILj%uELj%uELj%uE%sEvPT2_S2_%sjjjjjjjjj",
                     strlen(kind), kind, k->d, k->bs, k->np, t,
                     k->type == SS_FUSED_HALF ? "PS0_" : "P6__half");
            break;
        case SS_FUSED_TRANSPOSE:
            snprintf(want, sizeof want, "_Z%zu%sILj%uELj%uELb%dE%sEvPT2_S2_jjjjjjj",
                     strlen(kind), kind, k->d, k->bs, k->zero_fill, t);
            break;
        case SS_FUSED_MEAN_SCALE:
            snprintf(want, sizeof want, "_Z%zu%sILj%uELb%dE%sEvPT1_PaPfS4_fjjjjjjjjjjj",
                     strlen(kind), kind, k->bs, k->sub, t);
            break;
        }
        ck_assert_str_eq(k->name, want);
    }
}
END_TEST

/* One parameter of a mangled parameter list: its size (8 for a pointer,
 * 4 for float and unsigned int), advancing *s; 0 when unknown.  A bare
 * substitution (S2_, S4_) repeats a pointer type seen before. */
static unsigned next_param(const char **s)
{
    const char *p = *s;
    unsigned size = 4;
    if (*p == 'f' || *p == 'j') {
        *s = p + 1;
        return 4;
    }
    if (*p == 'P') {
        size = 8;
        p++;
    } else if (*p != 'S') {
        return 0;
    } else {
        size = 8;
    }
    if (*p == 'T' || *p == 'S') {             /* T4_, S0_, S2_ */
        while (*p && *p != '_')
            p++;
        p++;
    } else if (*p == 'a' || *p == 'f') {      /* signed char, float */
        p++;
    } else if (*p >= '1' && *p <= '9') {      /* <length><name> */
        unsigned long n = strtoul(p, (char **)&p, 10);
        p += n;
    } else {
        return 0;
    }
    *s = p;
    return size;
}

/* §3.2, §4.2, §5.2, §6.2: 16/80, 12/60, 9/44, 16/80; each parameter at the
 * next multiple of its size; the sizes those of the name's parameter list. */
START_TEST(parameter_layouts_match_spec_and_names)
{
    const unsigned nparams[4] = {16, 12, 9, 16}, param_size[4] = {80, 60, 44, 80};
    for (size_t i = 0; i < SS_FUSED_NKERNELS; i++) {
        const struct ss_fused_kernel *k = &ss_fused_kernels[i];
        const struct ss_fused_layout *lay = k->layout;
        ck_assert_uint_eq(lay->nparams, nparams[k->kind]);
        ck_assert_uint_eq(lay->param_size, param_size[k->kind]);
        const char *s = strstr(k->name, "Ev") + 2;
        unsigned end = 0;
        for (unsigned j = 0; j < lay->nparams; j++) {
            const struct ss_fused_param *prm = &lay->params[j];
            ck_assert_uint_eq(prm->size, next_param(&s));
            ck_assert_uint_eq(prm->offset, (end + prm->size - 1) / prm->size * prm->size);
            ck_assert_ptr_nonnull(prm->name);
            end = prm->offset + prm->size;
        }
        ck_assert_str_eq(s, "");
        ck_assert_uint_eq(end, lay->param_size);
    }
    /* Spot checks straight from the tables. */
    const struct ss_fused_kernel *q = &ss_fused_kernels[0];
    ck_assert_uint_eq(q->layout->params[SS_QI_X_SN].offset, 44);
    ck_assert_str_eq(q->layout->params[SS_QI_X_SN].name, "x_sn");
}
END_TEST

/* Logical static shared memory (§3.1, §5.1, §6.1); on sm_90a the cubin
 * section adds the 1,024-byte reserved prefix (§11): 1156, 17408, 33792,
 * 1284, 1416.  SubMean has none. */
START_TEST(static_shared_memory_per_spec)
{
    for (size_t i = 0; i < SS_FUSED_NKERNELS; i++) {
        const struct ss_fused_kernel *k = &ss_fused_kernels[i];
        unsigned elf = k->static_smem + SS_FUSED_SMEM_RESERVED;
        switch (k->kind) {
        case SS_FUSED_QUANT_INT8: ck_assert_uint_eq(elf, 1156); break;
        case SS_FUSED_SUB_MEAN:   ck_assert_uint_eq(k->static_smem, 0); break;
        case SS_FUSED_TRANSPOSE:  ck_assert_uint_eq(elf, k->d == 64 ? 17408 : 33792); break;
        case SS_FUSED_MEAN_SCALE: ck_assert_uint_eq(elf, k->sub ? 1416 : 1284); break;
        }
    }
    ck_assert_str_eq(ss_fused_kind_name(SS_FUSED_MEAN_SCALE), "MeanScaleKernel");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fused_table");
    TCase *tc = tcase_create("fused_table");
    tcase_add_test(tc, forty_four_unique_kernels_found_by_name);
    tcase_add_test(tc, instantiations_are_the_spec_set);
    tcase_add_test(tc, names_spell_their_template_values);
    tcase_add_test(tc, parameter_layouts_match_spec_and_names);
    tcase_add_test(tc, static_shared_memory_per_spec);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
