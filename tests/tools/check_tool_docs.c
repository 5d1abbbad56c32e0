/* check_tool_docs.c: every example command of the documentation (README.md,
 * sageshim(1), each --help) is accepted by the command, and runs to success
 * where the files it names exist (tests/tools/doc_examples.py says how);
 * and no help text promises what the command refuses. */
#include "testutil.h"
#include "toolrun.h"

START_TEST(every_documented_example_is_accepted)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    struct tool_result r = run_shell("command -v python3 >/dev/null || exit 77; "
                                     "python3 tests/tools/doc_examples.py \"$SAGESHIM\" \"$T\"");
    if (r.status != 77) {
        ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
        /* README, the man page and the help texts each gave some. */
        ck_assert_msg(strstr(r.out, "ok: README.md: ") && strstr(r.out, "ok: sageshim.1: ") &&
                      strstr(r.out, "ok: sageshim doctor --help: "), "%s", r.out);
    }
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* inspect refuses wheels and package directories (bundle --from reads
 * them); its help must not offer them. */
START_TEST(inspect_help_offers_only_what_it_reads)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    struct tool_result r = run_shell("\"$SAGESHIM\" inspect --help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_null(strstr(r.out, "wheels or package directories;"));
    ck_assert_msg(strstr(r.out, "Not wheels nor package directories"), "%s", r.out);
    tool_result_free(&r);
    r = run_shell("mkdir -p \"$T/pkg\" && \"$SAGESHIM\" inspect \"$T/pkg\"");
    ck_assert_int_ne(r.status, 0);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* abi with one file says what is missing before the usage. */
START_TEST(abi_says_what_is_missing)
{
    struct tool_result r = run_shell("\"$SAGESHIM\" abi only.so");
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "sageshim abi: needs ORIGINAL and REPLACEMENT, got only "
                                "ORIGINAL\nusage: "), "%s", r.err);
    tool_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_docs");
    TCase *tc = tcase_create("docs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_documented_example_is_accepted);
    tcase_add_test(tc, inspect_help_offers_only_what_it_reads);
    tcase_add_test(tc, abi_says_what_is_missing);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
