/* check_tool_run.c: `sageshim run -- CMD` execs CMD with the preload
 * library in LD_PRELOAD and passes arguments and exit status through.
 *
 * The command is copied into a temporary directory next to an empty
 * library compiled here, so the preloaded object is the same in plain and
 * sanitizer builds (a sanitized libsageshim.so cannot be preloaded into an
 * unsanitized shell) and both lookup places are exercised. */
#include "testutil.h"
#include "toolrun.h"

/* "build": T/sageshim + T/libsageshim.so; "installed": T/bin + T/lib. */
static char *layout(const char *kind)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    setenv("REAL_SAGESHIM", sageshim_path(), 1);
    unsetenv("SAGESHIM_LIBRARY");
    const char *script = strcmp(kind, "installed") == 0
        ? "mkdir \"$T/bin\" \"$T/lib\" && cp \"$REAL_SAGESHIM\" \"$T/bin/sageshim\" && "
          "echo 'int sageshim_test_stub;' | ${CC:-cc} -shared -fPIC -x c - "
          "-o \"$T/lib/libsageshim.so\""
        : "cp \"$REAL_SAGESHIM\" \"$T/sageshim\" && "
          "echo 'int sageshim_test_stub;' | ${CC:-cc} -shared -fPIC -x c - "
          "-o \"$T/libsageshim.so\"";
    struct tool_result r = run_shell(script);
    ck_assert_msg(r.status == 0, "setup: %s", r.err);
    tool_result_free(&r);
    return tmp;
}

/* Run SCRIPT with $SAGESHIM pointing at the copy in the layout. */
static struct tool_result run_copy(const char *tmp, const char *kind, const char *script)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmp,
             strcmp(kind, "installed") == 0 ? "bin/sageshim" : "sageshim");
    char *argv[] = { "sh", "-c", (char *)script, NULL };
    setenv("SAGESHIM", path, 1);
    return run_program(argv);
}

START_TEST(exit_status_passes_through)
{
    char *tmp = layout("build");
    struct tool_result r = run_copy(tmp, "build", "\"$SAGESHIM\" run -- sh -c 'exit 7'");
    ck_assert_msg(r.status == 7, "%d: %s", r.status, r.err);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(arguments_pass_through_unchanged)
{
    char *tmp = layout("build");
    struct tool_result r = run_copy(tmp, "build",
        "\"$SAGESHIM\" run -- sh -c 'printf \"[%s]\" \"$@\"' zero 'a b' '' '--mode' c");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "[a b][][--mode][c]");
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(preload_names_the_library_beside_the_command_first)
{
    char *tmp = layout("build");
    struct tool_result r = run_copy(tmp, "build",
        "LD_PRELOAD=/nonexistent/other.so \"$SAGESHIM\" run -- sh -c 'echo \"$LD_PRELOAD\"' "
        "2>/dev/null");
    ck_assert_int_eq(r.status, 0);
    char *dir = realpath(tmp, NULL);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s/libsageshim.so:/nonexistent/other.so\n", dir);
    ck_assert_str_eq(r.out, expected);
    free(dir);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(installed_command_finds_lib_directory)
{
    char *tmp = layout("installed");
    setenv("LD_PRELOAD", "", 1);
    struct tool_result r = run_copy(tmp, "installed",
        "\"$SAGESHIM\" run -- sh -c 'echo \"$LD_PRELOAD\"'");
    ck_assert_int_eq(r.status, 0);
    char *dir = realpath(tmp, NULL);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s/lib/libsageshim.so\n", dir);
    ck_assert_str_eq(r.out, expected);
    free(dir);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(options_set_the_environment)
{
    char *tmp = layout("build");
    struct tool_result r = run_copy(tmp, "build",
        "touch \"$T/my.conf\" && cd \"$T\" && \"$SAGESHIM\" run --mode diagnose "
        "--log run.log --conf my.conf -- "
        "sh -c 'echo \"$SAGESHIM_MODE|$SAGESHIM_LOG|$SAGESHIM_CONF\"'");
    ck_assert_int_eq(r.status, 0);
    /* Relative paths become absolute: the program may change directory. */
    char expected[4200];
    char *cwd_tmp = realpath(tmp, NULL);
    snprintf(expected, sizeof expected, "diagnose|%s/run.log|%s/my.conf\n", cwd_tmp, cwd_tmp);
    ck_assert_str_eq(r.out, expected);
    free(cwd_tmp);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(bad_mode_is_refused)
{
    char *tmp = layout("build");
    struct tool_result r = run_copy(tmp, "build", "\"$SAGESHIM\" run --mode fast -- true");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--mode"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(missing_command_exits_127)
{
    char *tmp = layout("build");
    struct tool_result r = run_copy(tmp, "build", "\"$SAGESHIM\" run -- /nonexistent/program");
    ck_assert_int_eq(r.status, 127);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/program"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(missing_library_is_reported)
{
    char *tmp = layout("build");
    struct tool_result r = run_copy(tmp, "build",
        "rm \"$T/libsageshim.so\" && \"$SAGESHIM\" run -- true");
    ck_assert_int_eq(r.status, 127);
    ck_assert_ptr_nonnull(strstr(r.err, "libsageshim.so not found"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* A relative SAGESHIM_LIBRARY goes into LD_PRELOAD absolute: a process
 * started after a chdir would otherwise get the loader's "cannot be
 * preloaded" error and run without the library. */
START_TEST(relative_library_path_is_made_absolute)
{
    char *tmp = layout("build");
    char *dir = realpath(tmp, NULL);
    const char *relative[] = { "libsageshim.so", "./libsageshim.so", "sub/../libsageshim.so" };
    for (size_t i = 0; i < sizeof relative / sizeof relative[0]; i++) {
        char script[512];
        snprintf(script, sizeof script,
                 "mkdir -p \"$T/sub\" && cd \"$T\" && SAGESHIM_LIBRARY=%s \"$SAGESHIM\" run -- "
                 "sh -c 'cd / && echo \"$LD_PRELOAD\" && sh -c \"echo child\"'", relative[i]);
        struct tool_result r = run_copy(tmp, "build", script);
        ck_assert_msg(r.status == 0, "%s: %d: %s", relative[i], r.status, r.err);
        char expected[4200];
        snprintf(expected, sizeof expected, "%s/libsageshim.so\nchild\n", dir);
        ck_assert_str_eq(r.out, expected);
        ck_assert_msg(strstr(r.err, "cannot be preloaded") == NULL, "%s: %s", relative[i], r.err);
        tool_result_free(&r);
    }
    free(dir);
    remove_temp_dir(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_run");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, exit_status_passes_through);
    tcase_add_test(tc, arguments_pass_through_unchanged);
    tcase_add_test(tc, preload_names_the_library_beside_the_command_first);
    tcase_add_test(tc, installed_command_finds_lib_directory);
    tcase_add_test(tc, options_set_the_environment);
    tcase_add_test(tc, bad_mode_is_refused);
    tcase_add_test(tc, missing_command_exits_127);
    tcase_add_test(tc, missing_library_is_reported);
    tcase_add_test(tc, relative_library_path_is_made_absolute);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
