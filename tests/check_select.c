/* check_select: ss_select_entry / ss_entry_runs_on against the observations
 * of fatbin-format §5.2 (H100, CC 9.0) and the rule of §5.3 for other
 * devices, on containers built in memory. */
#include <stdarg.h>
#include <string.h>

#include "reader/select.h"
#include "testutil.h"

/* Entries are written as their cuobjdump-style names: "sm_90a",
 * "compute_80", "sm_100f". */
static struct ss_entry entry_named(const char *name)
{
    struct ss_entry e;
    memset(&e, 0, sizeof e);
    const char *digits;
    if (strncmp(name, "sm_", 3) == 0) {
        e.kind = SS_KIND_ELF;
        digits = name + 3;
    } else {
        ck_assert_msg(strncmp(name, "compute_", 8) == 0, "bad name %s", name);
        e.kind = SS_KIND_PTX;
        digits = name + 8;
    }
    char *end;
    e.sm = (unsigned)strtoul(digits, &end, 10);
    e.flags = SS_FLAG_64BIT;
    if (*end == 'a') {
        e.variant = SS_VARIANT_A;
        e.flags |= SS_FLAG_ARCH_SPECIFIC;
    } else if (*end == 'f') {
        e.variant = SS_VARIANT_F;
        e.flags |= SS_FLAG_FAMILY;
    }
    return e;
}

/* Index chosen from a NULL-terminated list of entry names. */
static int pick(int major, int minor, int force_ptx, ...)
{
    struct ss_entry entries[8];
    struct ss_container c = { .origin = SS_FROM_CONTAINER, .entries = entries };
    va_list ap;
    va_start(ap, force_ptx);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        ck_assert_uint_lt(c.nentries, 8);
        entries[c.nentries++] = entry_named(name);
    }
    va_end(ap);
    return ss_select_entry(&c, major, minor, force_ptx);
}

/* Device 9.0 (H100): pick(9, 0, 0, ...) throughout. */
START_TEST(h100_rows_of_the_table)
{
    /* Other-major SASS is never used. */
    ck_assert_int_eq(pick(9, 0, 0, "sm_80", NULL), -1);
    ck_assert_int_eq(pick(9, 0, 0, "sm_80", "compute_80", NULL), 1);
    ck_assert_int_eq(pick(9, 0, 0, "sm_89", "compute_80", NULL), 1);
    ck_assert_int_eq(pick(9, 0, 0, "sm_80", "sm_86", "sm_89", "compute_89", NULL), 3);
    ck_assert_int_eq(pick(9, 0, 0, "sm_80", "compute_90", NULL), 1);
    /* Highest PTX not above the device. */
    ck_assert_int_eq(pick(9, 0, 0, "compute_80", "compute_90", NULL), 1);
    ck_assert_int_eq(pick(9, 0, 0, "compute_90", "compute_80", NULL), 0);
    /* `a` SASS preferred, in either order. */
    ck_assert_int_eq(pick(9, 0, 0, "sm_90", "sm_90a", NULL), 1);
    ck_assert_int_eq(pick(9, 0, 0, "sm_90a", "sm_90", NULL), 0);
    ck_assert_int_eq(pick(9, 0, 0, "sm_90a", NULL), 0);
    ck_assert_int_eq(pick(9, 0, 0, "compute_90a", NULL), 0);
    /* SASS over PTX. */
    ck_assert_int_eq(pick(9, 0, 0, "sm_90a", "compute_80", NULL), 0);
    ck_assert_int_eq(pick(9, 0, 0, "compute_90", "sm_90a", NULL), 1);
    /* Usable SASS beats even `a` PTX. */
    ck_assert_int_eq(pick(9, 0, 0, "sm_90", "compute_90a", NULL), 0);
    ck_assert_int_eq(pick(9, 0, 0, "compute_90a", "sm_90", NULL), 1);
    /* `a` PTX preferred on the exact CC, in either order. */
    ck_assert_int_eq(pick(9, 0, 0, "compute_90", "compute_90a", NULL), 1);
    ck_assert_int_eq(pick(9, 0, 0, "compute_90a", "compute_90", NULL), 0);
    ck_assert_int_eq(pick(9, 0, 0, "sm_90", "compute_120", NULL), 0);
    /* Nothing loadable. */
    ck_assert_int_eq(pick(9, 0, 0, "compute_120", NULL), -1);
    ck_assert_int_eq(pick(9, 0, 0, "sm_120", NULL), -1);
    ck_assert_int_eq(pick(9, 0, 0, "sm_80", "compute_100", NULL), -1);
}
END_TEST

START_TEST(forced_ptx_jit)
{
    /* CUDA_FORCE_PTX_JIT=1 with sm_90 + compute_90: the PTX. */
    ck_assert_int_eq(pick(9, 0, 1, "sm_90", "compute_90", NULL), 1);
    ck_assert_int_eq(pick(9, 0, 1, "sm_90", NULL), -1);
}
END_TEST

START_TEST(ada_device_takes_highest_lower_minor)
{
    /* CC 8.9: sm_86 and sm_80 both run; the higher minor is assumed best. */
    ck_assert_int_eq(pick(8, 9, 0, "sm_80", "sm_86", NULL), 1);
    ck_assert_int_eq(pick(8, 9, 0, "sm_86", "sm_80", NULL), 0);
    ck_assert_int_eq(pick(8, 9, 0, "sm_80", "sm_89", "sm_86", NULL), 1);
    /* Newer SASS or PTX never runs on an older device. */
    ck_assert_int_eq(pick(8, 9, 0, "sm_90", "compute_90", NULL), -1);
    ck_assert_int_eq(pick(8, 9, 0, "sm_90", "compute_80", NULL), 1);
    /* sm_86 cannot run on 8.0. */
    ck_assert_int_eq(pick(8, 0, 0, "sm_86", NULL), -1);
}
END_TEST

START_TEST(blackwell_consumer_device)
{
    /* CC 12.0: sm_120 SASS, or the compute_120 PTX when it is alone. */
    ck_assert_int_eq(pick(12, 0, 0, "compute_120", "sm_120", NULL), 1);
    ck_assert_int_eq(pick(12, 0, 0, "compute_120", NULL), 0);
    ck_assert_int_eq(pick(12, 0, 0, "sm_90a", "sm_120", "compute_90a", NULL), 1);
    /* sm_90 SASS is another major; compute_90 JITs, compute_90a does not. */
    ck_assert_int_eq(pick(12, 0, 0, "sm_90", "compute_90", NULL), 1);
    ck_assert_int_eq(pick(12, 0, 0, "sm_90a", "compute_90a", NULL), -1);
    /* `a` for the exact arch only: sm_120a is not for 12.1. */
    ck_assert_int_eq(pick(12, 0, 0, "sm_120", "sm_120a", NULL), 1);
    ck_assert_int_eq(pick(12, 1, 0, "sm_120a", NULL), -1);
    ck_assert_int_eq(pick(12, 1, 0, "sm_120a", "sm_120", NULL), 1);
}
END_TEST

START_TEST(family_targets)
{
    /* Table 28: 100f -> 10.0, 10.3; 103f -> 10.3; 110f -> 11.0;
     * 120f -> 12.0, 12.1; 121f -> 12.1. */
    ck_assert_int_eq(pick(10, 0, 0, "sm_100f", NULL), 0);
    ck_assert_int_eq(pick(10, 3, 0, "sm_100f", NULL), 0);
    ck_assert_int_eq(pick(10, 0, 0, "sm_103f", NULL), -1);
    ck_assert_int_eq(pick(10, 3, 0, "sm_100f", "sm_103f", NULL), 1);
    ck_assert_int_eq(pick(11, 0, 0, "sm_110f", NULL), 0);
    ck_assert_int_eq(pick(12, 1, 0, "sm_120f", NULL), 0);
    ck_assert_int_eq(pick(12, 0, 0, "sm_121f", NULL), -1);
    /* Family PTX stays inside its family, unlike plain PTX. */
    ck_assert_int_eq(pick(10, 3, 0, "compute_100f", NULL), 0);
    ck_assert_int_eq(pick(12, 0, 0, "compute_100f", NULL), -1);
    ck_assert_int_eq(pick(12, 0, 0, "compute_100", NULL), 0);
    /* Plain and `a` alongside: `a` on its exact arch, plain on 10.3. */
    ck_assert_int_eq(pick(10, 0, 0, "sm_100f", "sm_100a", NULL), 1);
    ck_assert_int_eq(pick(10, 3, 0, "sm_100a", "sm_100f", NULL), 1);
}
END_TEST

START_TEST(variant_from_flags_alone)
{
    /* A reader that left `variant` plain still has the fatbin flag. */
    struct ss_entry e = entry_named("sm_90a");
    e.variant = SS_VARIANT_PLAIN;
    ck_assert_int_eq(ss_entry_runs_on(&e, 9, 0), 1);
    e = entry_named("compute_100f");
    e.variant = SS_VARIANT_PLAIN;
    ck_assert_int_eq(ss_entry_runs_on(&e, 12, 0), 0);
}
END_TEST

START_TEST(runs_on_by_kind)
{
    struct ss_entry e = entry_named("sm_80");
    ck_assert_int_eq(ss_entry_runs_on(&e, 8, 6), 1);
    ck_assert_int_eq(ss_entry_runs_on(&e, 9, 0), 0);
    e = entry_named("compute_80");
    ck_assert_int_eq(ss_entry_runs_on(&e, 9, 0), 1);
    ck_assert_int_eq(ss_entry_runs_on(&e, 7, 5), 0);
    /* LTO-IR and unknown kinds never load by themselves. */
    e.kind = SS_KIND_LTOIR;
    ck_assert_int_eq(ss_entry_runs_on(&e, 9, 0), 0);
    e.kind = 77;
    ck_assert_int_eq(ss_entry_runs_on(&e, 9, 0), 0);
    /* Nonsense devices. */
    e = entry_named("compute_80");
    ck_assert_int_eq(ss_entry_runs_on(&e, -1, 0), 0);
    ck_assert_int_eq(ss_entry_runs_on(&e, 9, 10), 0);
}
END_TEST

START_TEST(empty_container)
{
    struct ss_container c = { .origin = SS_FROM_CONTAINER };
    ck_assert_int_eq(ss_select_entry(&c, 9, 0, 0), -1);
    ck_assert_int_eq(ss_select_entry(NULL, 9, 0, 0), -1);
}
END_TEST

static Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("rule");
    tcase_add_test(tc, h100_rows_of_the_table);
    tcase_add_test(tc, forced_ptx_jit);
    tcase_add_test(tc, ada_device_takes_highest_lower_minor);
    tcase_add_test(tc, blackwell_consumer_device);
    tcase_add_test(tc, family_targets);
    tcase_add_test(tc, variant_from_flags_alone);
    tcase_add_test(tc, runs_on_by_kind);
    tcase_add_test(tc, empty_container);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(select_suite());
}
