/* check_glob.c: ss_glob_match, the patterns of sageshim.conf. */
#include "config/config.h"
#include "testutil.h"

static const char *sm90_path =
    "/opt/venv/lib/python3.12/site-packages/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so";

START_TEST(default_pattern_matches_site_packages_module)
{
    ck_assert_int_eq(ss_glob_match("*/sageattention/_qattn_sm90*.so", sm90_path), 1);
    ck_assert_int_eq(ss_glob_match("*/sageattention/_qattn_sm89*.so", sm90_path), 0);
    ck_assert_int_eq(ss_glob_match("*/sageattention/_fused*.so", sm90_path), 0);
}
END_TEST

START_TEST(star_crosses_slashes_and_matches_empty)
{
    ck_assert_int_eq(ss_glob_match("*", "/a/b/c"), 1);
    ck_assert_int_eq(ss_glob_match("*", ""), 1);
    ck_assert_int_eq(ss_glob_match("/a*c", "/a/b/c"), 1);
    ck_assert_int_eq(ss_glob_match("/a/*/c", "/a//c"), 1);
    ck_assert_int_eq(ss_glob_match("a**b", "ab"), 1);
}
END_TEST

START_TEST(whole_string_must_match)
{
    ck_assert_int_eq(ss_glob_match("abc", "abcd"), 0);
    ck_assert_int_eq(ss_glob_match("abcd", "abc"), 0);
    ck_assert_int_eq(ss_glob_match("*.so", "x.so.1"), 0);
    ck_assert_int_eq(ss_glob_match("", ""), 1);
    ck_assert_int_eq(ss_glob_match("", "a"), 0);
}
END_TEST

START_TEST(star_backtracks)
{
    /* The first ".so" is not the end: the star has to take more. */
    ck_assert_int_eq(ss_glob_match("*.so", "/x.so/y.so"), 1);
    ck_assert_int_eq(ss_glob_match("*a*b*c", "xaxbxcxaxbxc"), 1);
    ck_assert_int_eq(ss_glob_match("*a*b*c", "xaxbx"), 0);
}
END_TEST

START_TEST(question_mark_is_one_character)
{
    ck_assert_int_eq(ss_glob_match("sm?0", "sm90"), 1);
    ck_assert_int_eq(ss_glob_match("sm?0", "sm0"), 0);
    ck_assert_int_eq(ss_glob_match("a?b", "a/b"), 1);
}
END_TEST

START_TEST(bracket_classes)
{
    ck_assert_int_eq(ss_glob_match("sm[89]0", "sm90"), 1);
    ck_assert_int_eq(ss_glob_match("sm[89]0", "sm80"), 1);
    ck_assert_int_eq(ss_glob_match("sm[89]0", "sm70"), 0);
    ck_assert_int_eq(ss_glob_match("sm[0-9][0-9]", "sm89"), 1);
    ck_assert_int_eq(ss_glob_match("sm[!8]9", "sm89"), 0);
    ck_assert_int_eq(ss_glob_match("sm[!8]9", "sm99"), 1);
    ck_assert_int_eq(ss_glob_match("[]]", "]"), 1);
    /* An unclosed '[' is an ordinary character. */
    ck_assert_int_eq(ss_glob_match("a[b", "a[b"), 1);
    ck_assert_int_eq(ss_glob_match("a[b", "ab"), 0);
}
END_TEST

START_TEST(backslash_escapes)
{
    ck_assert_int_eq(ss_glob_match("a\\*b", "a*b"), 1);
    ck_assert_int_eq(ss_glob_match("a\\*b", "axb"), 0);
    ck_assert_int_eq(ss_glob_match("a\\?", "a?"), 1);
}
END_TEST

START_TEST(null_arguments_do_not_match)
{
    ck_assert_int_eq(ss_glob_match(NULL, "x"), 0);
    ck_assert_int_eq(ss_glob_match("x", NULL), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("glob");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, default_pattern_matches_site_packages_module);
    tcase_add_test(tc, star_crosses_slashes_and_matches_empty);
    tcase_add_test(tc, whole_string_must_match);
    tcase_add_test(tc, star_backtracks);
    tcase_add_test(tc, question_mark_is_one_character);
    tcase_add_test(tc, bracket_classes);
    tcase_add_test(tc, backslash_escapes);
    tcase_add_test(tc, null_arguments_do_not_match);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
