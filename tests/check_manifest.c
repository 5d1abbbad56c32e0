/* check_manifest.c: the bundle MANIFEST text - parsing, problems reported
 * with line numbers, and format/parse round trips. */
#include <stdlib.h>
#include <string.h>

#include "plan/bundle.h"
#include "testutil.h"

#define HASH_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct diags {
    int count;
    int line[16];
    char message[16][512];
};

static void collect(void *ctx, const char *file, int line, const char *message)
{
    struct diags *d = ctx;
    ck_assert_str_eq(file, "MANIFEST");
    if (d->count < 16) {
        d->line[d->count] = line;
        snprintf(d->message[d->count], sizeof d->message[0], "%s", message);
    }
    d->count++;
}

static int parse(struct ss_manifest *m, struct diags *d, const char *text)
{
    memset(d, 0, sizeof *d);
    return ss_manifest_parse(m, text, strlen(text), "MANIFEST", collect, d);
}

static const char *good =
    "# corrected kernels\n"
    "label sageattention@68de379\n"
    "\n"
    "fatbin _qattn_sm90.fatbin module=_qattn_sm90 archs=90,120 kernels=12 sha256=" HASH_A "\n"
    "fatbin sub/_qattn_sm89.fatbin  module=_qattn_sm89\tarchs=89 kernels=3 sha256=" HASH_B
    "   # trailing comment\n";

START_TEST(good_manifest)
{
    struct ss_manifest m;
    struct diags d;
    ck_assert_int_eq(parse(&m, &d, good), 0);
    ck_assert_int_eq(d.count, 0);
    ck_assert_str_eq(m.label, "sageattention@68de379");
    ck_assert_uint_eq(m.nitems, 2);
    ck_assert_str_eq(m.items[0].file, "_qattn_sm90.fatbin");
    ck_assert_str_eq(m.items[0].module, "_qattn_sm90");
    ck_assert_uint_eq(m.items[0].narchs, 2);
    ck_assert_uint_eq(m.items[0].archs[0], 90);
    ck_assert_uint_eq(m.items[0].archs[1], 120);
    ck_assert_uint_eq(m.items[0].kernels, 12);
    ck_assert_str_eq(m.items[0].sha256, HASH_A);
    ck_assert_str_eq(m.items[1].file, "sub/_qattn_sm89.fatbin");
    ck_assert_uint_eq(m.items[1].narchs, 1);
    ck_assert_uint_eq(m.items[1].archs[0], 89);
    ck_assert_str_eq(m.items[1].sha256, HASH_B);
    ss_manifest_free(&m);
}
END_TEST

START_TEST(uppercase_hash_is_normalised)
{
    struct ss_manifest m;
    struct diags d;
    ck_assert_int_eq(parse(&m, &d,
        "fatbin a.fatbin module=a archs=90 kernels=1 "
        "sha256=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"), 0);
    ck_assert_str_eq(m.items[0].sha256, HASH_A);
    ss_manifest_free(&m);
}
END_TEST

START_TEST(bad_lines_reported_and_skipped)
{
    struct ss_manifest m;
    struct diags d;
    int problems = parse(&m, &d,
        "fatbin ok.fatbin module=ok archs=90 kernels=1 sha256=" HASH_A "\n"      /* 1 */
        "bundle x\n"                                                               /* 2 */
        "fatbin a.fatbin module=a archs=90 kernels=1\n"                            /* 3 */
        "fatbin b.fatbin module=b archs=90 kernels=1 sha256=abc\n"                 /* 4 */
        "fatbin c.fatbin module=c archs=ninety kernels=1 sha256=" HASH_A "\n"      /* 5 */
        "fatbin d.fatbin module=d archs=90 kernels=x sha256=" HASH_A "\n"          /* 6 */
        "fatbin e.fatbin module=e archs=90 kernels=1 color=red sha256=" HASH_A "\n"/* 7 */
        "fatbin ../f.fatbin module=f archs=90 kernels=1 sha256=" HASH_A "\n"       /* 8 */
        "fatbin /g.fatbin module=g archs=90 kernels=1 sha256=" HASH_A "\n"         /* 9 */
        "fatbin ok.fatbin module=ok2 archs=90 kernels=1 sha256=" HASH_A "\n"       /* 10 */
        "fatbin h.fatbin module=h archs=90,,120 kernels=1 sha256=" HASH_A "\n"     /* 11 */
        "fatbin i.fatbin module=i module=j archs=90 kernels=1 sha256=" HASH_A "\n" /* 12 */
        "fatbin\n");                                                               /* 13 */
    ck_assert_int_eq(problems, 12);
    ck_assert_int_eq(d.count, 12);
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(d.line[i], i + 2);
    ck_assert_str_eq(d.message[0], "unknown directive 'bundle'");
    ck_assert_str_eq(d.message[1], "fatbin a.fatbin: missing sha256=");
    ck_assert_ptr_nonnull(strstr(d.message[2], "bad sha256 'abc'"));
    ck_assert_ptr_nonnull(strstr(d.message[3], "bad archs 'ninety'"));
    ck_assert_ptr_nonnull(strstr(d.message[4], "bad kernels 'x'"));
    ck_assert_ptr_nonnull(strstr(d.message[5], "unknown field 'color'"));
    ck_assert_ptr_nonnull(strstr(d.message[6], "relative path"));
    ck_assert_ptr_nonnull(strstr(d.message[7], "relative path"));
    ck_assert_ptr_nonnull(strstr(d.message[8], "listed twice"));
    ck_assert_ptr_nonnull(strstr(d.message[9], "bad archs"));
    ck_assert_ptr_nonnull(strstr(d.message[10], "repeated module"));
    ck_assert_ptr_nonnull(strstr(d.message[11], "without a file name"));
    ck_assert_uint_eq(m.nitems, 1);
    ck_assert_str_eq(m.items[0].module, "ok");
    ss_manifest_free(&m);
}
END_TEST

START_TEST(too_many_archs_refused)
{
    struct ss_manifest m;
    struct diags d;
    ck_assert_int_eq(parse(&m, &d,
        "fatbin a.fatbin module=a archs=50,60,70,80,86,89,90,100,120 kernels=1 sha256="
        HASH_A "\n"), 1);
    ck_assert_uint_eq(m.nitems, 0);
    ss_manifest_free(&m);
}
END_TEST

START_TEST(label_repeated_last_wins)
{
    struct ss_manifest m;
    struct diags d;
    ck_assert_int_eq(parse(&m, &d, "label one\nlabel two words\n"), 1);
    ck_assert_int_eq(d.line[0], 2);
    ck_assert_str_eq(m.label, "two words");
    ss_manifest_free(&m);
}
END_TEST

START_TEST(empty_manifest)
{
    struct ss_manifest m;
    struct diags d;
    ck_assert_int_eq(parse(&m, &d, ""), 0);
    ck_assert_ptr_null(m.label);
    ck_assert_uint_eq(m.nitems, 0);
    ss_manifest_free(&m);
}
END_TEST

static void assert_same_manifest(const struct ss_manifest *a, const struct ss_manifest *b)
{
    if (a->label)
        ck_assert_str_eq(a->label, b->label);
    else
        ck_assert_ptr_null(b->label);
    ck_assert_uint_eq(a->nitems, b->nitems);
    for (size_t i = 0; i < a->nitems; i++) {
        ck_assert_str_eq(a->items[i].file, b->items[i].file);
        ck_assert_str_eq(a->items[i].module, b->items[i].module);
        ck_assert_uint_eq(a->items[i].narchs, b->items[i].narchs);
        for (size_t k = 0; k < a->items[i].narchs; k++)
            ck_assert_uint_eq(a->items[i].archs[k], b->items[i].archs[k]);
        ck_assert_uint_eq(a->items[i].kernels, b->items[i].kernels);
        ck_assert_str_eq(a->items[i].sha256, b->items[i].sha256);
    }
}

START_TEST(format_then_parse_round_trip)
{
    struct ss_manifest m, again;
    struct diags d;
    ck_assert_int_eq(parse(&m, &d, good), 0);
    char *text = ss_manifest_format(&m);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(parse(&again, &d, text), 0);
    assert_same_manifest(&m, &again);
    /* And the text itself is stable. */
    char *text2 = ss_manifest_format(&again);
    ck_assert_str_eq(text, text2);
    ck_assert_ptr_nonnull(strstr(text, "fatbin _qattn_sm90.fatbin module=_qattn_sm90 "
                                       "archs=90,120 kernels=12 sha256=" HASH_A "\n"));
    free(text);
    free(text2);
    ss_manifest_free(&m);
    ss_manifest_free(&again);
}
END_TEST

START_TEST(format_of_a_built_manifest)
{
    struct ss_manifest_item item = { .file = "k.fatbin", .module = "_qattn_sm90",
                                     .archs = { 90 }, .narchs = 1, .kernels = 0 };
    memcpy(item.sha256, HASH_B, 65);
    struct ss_manifest m = { .label = NULL, .nitems = 1, .items = &item };
    char *text = ss_manifest_format(&m);
    ck_assert_ptr_nonnull(text);
    struct ss_manifest back;
    struct diags d;
    ck_assert_int_eq(parse(&back, &d, text), 0);
    assert_same_manifest(&m, &back);
    ss_manifest_free(&back);
    free(text);
}
END_TEST

START_TEST(format_refuses_what_cannot_be_read_back)
{
    struct ss_manifest_item item = { .file = "has space.fatbin", .module = "m",
                                     .archs = { 90 }, .narchs = 1, .kernels = 1 };
    memcpy(item.sha256, HASH_A, 65);
    struct ss_manifest m = { .label = "x", .nitems = 1, .items = &item };
    ck_assert_ptr_null(ss_manifest_format(&m));
    item.file = "ok.fatbin";
    item.narchs = 0;
    ck_assert_ptr_null(ss_manifest_format(&m));
    item.narchs = 1;
    m.label = "two\nlines";
    ck_assert_ptr_null(ss_manifest_format(&m));
    m.label = "fine";
    item.sha256[3] = 'z';
    ck_assert_ptr_null(ss_manifest_format(&m));
}
END_TEST

START_TEST(stops_at_len)
{
    const char text[] = "label abc\nlabel WRONG";
    struct ss_manifest m;
    struct diags d = { 0 };
    ck_assert_int_eq(ss_manifest_parse(&m, text, 10, "MANIFEST", collect, &d), 0);
    ck_assert_str_eq(m.label, "abc");
    ss_manifest_free(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("manifest");
    tcase_add_test(tc, good_manifest);
    tcase_add_test(tc, uppercase_hash_is_normalised);
    tcase_add_test(tc, bad_lines_reported_and_skipped);
    tcase_add_test(tc, too_many_archs_refused);
    tcase_add_test(tc, label_repeated_last_wins);
    tcase_add_test(tc, empty_manifest);
    tcase_add_test(tc, format_then_parse_round_trip);
    tcase_add_test(tc, format_of_a_built_manifest);
    tcase_add_test(tc, format_refuses_what_cannot_be_read_back);
    tcase_add_test(tc, stops_at_len);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
