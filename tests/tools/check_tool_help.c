/* check_tool_help.c: --version, each subcommand's --help (every option with
 * its meaning, and an example), and `run` refusing an option without value. */
#include "testutil.h"
#include "toolrun.h"

#include "base/version.h"

START_TEST(version_is_printed)
{
    struct tool_result r = run_shell("\"$SAGESHIM\" --version");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "sageshim " SAGESHIM_VERSION "\n");
    tool_result_free(&r);
}
END_TEST

static const struct {
    const char *command;
    const char *options[6];
} helps[] = {
    { "run", { "--mode MODE", "--log FILE", "--conf FILE", "-h, --help", NULL } },
    { "doctor", { "--python PATH", "--timeout SECONDS", "SAGEATTENTION_DIR", "-h, --help", NULL } },
    { "bundle", { "--from PATH", "--out DIR", "--label TEXT", "--sm LIST", "--force", NULL } },
    { "abi", { "ORIGINAL", "REPLACEMENT", "--sm LIST", "-h, --help", NULL } },
    { "inspect", { "--json", "-h, --help", NULL } },
};

START_TEST(every_subcommand_help_lists_options_and_an_example)
{
    char script[128];
    snprintf(script, sizeof script, "\"$SAGESHIM\" %s --help", helps[_i].command);
    struct tool_result r = run_shell(script);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "usage: sageshim "), "%s", r.out);
    for (int i = 0; helps[_i].options[i]; i++) {
        /* An indented line starting with the option, then its meaning. */
        char line_start[64];
        snprintf(line_start, sizeof line_start, "\n  %s ", helps[_i].options[i]);
        const char *at = strstr(r.out, line_start);
        ck_assert_msg(at, "%s --help lacks %s:\n%s", helps[_i].command, helps[_i].options[i],
                      r.out);
        const char *end = strchr(at + 1, '\n');
        ck_assert_msg(end && end - at > (long)strlen(line_start) + 5,
                      "%s: %s has no meaning", helps[_i].command, helps[_i].options[i]);
    }
    char example[64];
    snprintf(example, sizeof example, "example:\n  sageshim %s", helps[_i].command);
    ck_assert_msg(strstr(r.out, example) || strstr(r.out, "example:\n  cd "), "%s", r.out);
    tool_result_free(&r);
}
END_TEST

START_TEST(run_option_without_value_is_an_error)
{
    static const char *const scripts[] = {
        "cd \"$T\" && \"$SAGESHIM\" run --log -- true",
        "cd \"$T\" && \"$SAGESHIM\" run --log",
        "cd \"$T\" && \"$SAGESHIM\" run --conf --mode off -- true",
    };
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        struct tool_result r = run_shell(scripts[i]);
        ck_assert_int_eq(r.status, 2);
        ck_assert_msg(strstr(r.err, "needs a value"), "%s", r.err);
        tool_result_free(&r);
    }
    /* No file named "--" (or anything else) was created. */
    struct tool_result r = run_shell("ls -A \"$T\" | wc -l");
    ck_assert_int_eq(atoi(r.out), 0);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_help");
    TCase *tc = tcase_create("help");
    tcase_add_test(tc, version_is_printed);
    tcase_add_loop_test(tc, every_subcommand_help_lists_options_and_an_example, 0,
                        (int)(sizeof helps / sizeof helps[0]));
    tcase_add_test(tc, run_option_without_value_is_an_error);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
