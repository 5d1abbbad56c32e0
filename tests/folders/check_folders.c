/* check_folders: lib/check-folders.sh, the check `make check` runs on the
 * core library's folders, fails on each kind of violation it exists for.
 * Each case is a tiny library of its own (tests/folders/<case>/: folders
 * with a folder.h map and one-function files, built by
 * tests/folders/module.mk) that differs from `good` by one violation: an
 * upward call, two files calling each other, a file missing from its map.
 * The real library must pass too. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

static const char *build_dir(void)
{
    const char *b = getenv("BUILD");
    return b && b[0] ? b : "build";
}

/* Run the check on ROOT with the objects matched by the shell glob OBJS;
 * returns its exit status, its output (stdout and stderr) in out. */
static int run_check(const char *root, const char *objs, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sh lib/check-folders.sh %s %s/%s 2>&1", root, build_dir(), objs);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen %s", cmd);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    ck_assert_msg(WIFEXITED(status), "%s: did not exit", cmd);
    printf("$ %s\n%s", cmd, out);
    return WEXITSTATUS(status);
}

START_TEST(good_fixture_passes)
{
    char out[8192];
    ck_assert_int_eq(run_check("tests/folders/good", "tests/folders/good/*/*.o", out,
                               sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 calls between 2 files in 2 folders"));
}
END_TEST

START_TEST(upward_call_fails)
{
    char out[8192];
    ck_assert_int_ne(run_check("tests/folders/upward", "tests/folders/upward/*/*.o", out,
                               sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "base/a.c calls plan/p.c (fixture_p): folder base may "
                                      "not call folder plan"));
}
END_TEST

START_TEST(loop_between_files_fails)
{
    char out[8192];
    ck_assert_int_ne(run_check("tests/folders/circle", "tests/folders/circle/*/*.o", out,
                               sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "the files call each other in a loop"));
    ck_assert_ptr_nonnull(strstr(out, "plan/p.c"));
    ck_assert_ptr_nonnull(strstr(out, "plan/q.c"));
}
END_TEST

START_TEST(unmapped_file_fails)
{
    char out[8192];
    ck_assert_int_ne(run_check("tests/folders/unmapped", "tests/folders/unmapped/*/*.o", out,
                               sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "plan/stray.c is not in the map in "
                                      "tests/folders/unmapped/plan/folder.h"));
}
END_TEST

/* What `make check` runs as a build step, here with its answer checked. */
START_TEST(the_library_passes)
{
    char out[8192];
    ck_assert_int_eq(run_check("lib", "lib/*/*.o", out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "in 4 folders, each to its own folder or one its map "
                                      "allows, no loop"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("folders");
    TCase *tc = tcase_create("check-folders");
    tcase_add_test(tc, good_fixture_passes);
    tcase_add_test(tc, upward_call_fails);
    tcase_add_test(tc, loop_between_files_fails);
    tcase_add_test(tc, unmapped_file_fails);
    tcase_add_test(tc, the_library_passes);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
