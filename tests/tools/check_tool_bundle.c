/* check_tool_bundle.c: `sageshim bundle` builds a bundle the library opens,
 * from an extension module, a package directory or a wheel, keeping only
 * the requested architectures and refusing inputs that lack them. */
#include "testutil.h"
#include "toolrun.h"

#include "plan/bundle.h"

static void count_diag(void *ctx, const char *file, int line, const char *message)
{
    (*(int *)ctx)++;
}

/* Open DIR as the preload library would; every file must hash and parse. */
static void assert_bundle_opens(const char *dir, const char *module, const char *label,
                                size_t expected_archs)
{
    struct ss_bundle b;
    struct ss_error err;
    int problems = 0;
    ck_assert_int_eq(ss_bundle_open(dir, &b, count_diag, &problems, &err), 0);
    ck_assert_int_eq(problems, 0);
    ck_assert_uint_eq(b.nfiles, 1);
    ck_assert_str_eq(b.files[0].item->module, module);
    ck_assert_str_eq(b.manifest.label, label);
    /* ext_a.cu and ext_b.cu declare one kernel each. */
    ck_assert_uint_eq(b.files[0].item->kernels, 2);
    ck_assert_uint_eq(b.files[0].item->narchs, expected_archs);
    /* One container per translation unit survives. */
    ck_assert_uint_eq(b.files[0].image.ncontainers, 2);
    ss_bundle_close(&b);
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(4096);
    ck_assert_ptr_nonnull(p);
    snprintf(p, 4096, "%s/%s", dir, name);
    return p;
}

START_TEST(from_extension_module_keeps_every_arch)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    setenv("EXT", fixture_path("libext.so"), 1);
    struct tool_result r = run_shell("\"$SAGESHIM\" bundle --from \"$EXT\" --out \"$T/b\"");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    char *dir = path_in(tmp, "b");
    /* libext.so is built for sm_80, sm_89, sm_90(a), sm_120 (+ compute_120). */
    assert_bundle_opens(dir, "libext", "unknown", 4);
    free(dir);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(from_package_directory_with_label)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    setenv("EXT", fixture_path("libext.so"), 1);
    struct tool_result r = run_shell(
        "mkdir -p \"$T/pkg/sageattention\" && echo 'x = 1' > \"$T/pkg/sageattention/core.py\" && "
        "cp \"$EXT\" \"$T/pkg/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so\" && "
        "\"$SAGESHIM\" bundle --from \"$T/pkg\" --out \"$T/b\" --label 'sageattention@68de379'");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "_qattn_sm90.fatbin"));
    char *dir = path_in(tmp, "b");
    assert_bundle_opens(dir, "_qattn_sm90", "sageattention@68de379", 4);
    free(dir);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(from_wheel)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    setenv("EXT", fixture_path("libext.so"), 1);
    /* python3 -m zipfile -c deflates members, as wheels do. */
    struct tool_result r = run_shell(
        "mkdir -p \"$T/w/sageattention\" && "
        "cp \"$EXT\" \"$T/w/sageattention/_qattn_sm89.cpython-312-x86_64-linux-gnu.so\" && "
        "echo 'x = 1' > \"$T/w/sageattention/core.py\" && cd \"$T/w\" && "
        "python3 -m zipfile -c ../sa.whl sageattention && "
        "\"$SAGESHIM\" bundle --from \"$T/sa.whl\" --out \"$T/b\" --sm 90,120");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    char *dir = path_in(tmp, "b");
    assert_bundle_opens(dir, "_qattn_sm89", "unknown", 2);
    free(dir);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* --sm takes every spelling of lib/config/arch.c: 90, 9.0, sm_90a, compute_90. */
static const char *const sm_spellings[] = { "90", "9.0", "sm_90a", "compute_90" };

START_TEST(sm_option_keeps_only_that_arch)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    setenv("EXT", fixture_path("libext.so"), 1);
    setenv("SM", sm_spellings[_i], 1);
    struct tool_result r = run_shell(
        "\"$SAGESHIM\" bundle --from \"$EXT\" --out \"$T/b\" --sm \"$SM\" >/dev/null && "
        "grep '^fatbin' \"$T/b/MANIFEST\" && \"$SAGESHIM\" inspect \"$T/b/libext.fatbin\"");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "archs=90 "));
    /* Every entry left is sm_90 or sm_90a code; sm_80/89/120 are gone. */
    int entries = 0;
    for (const char *p = strstr(r.out, "    entry "); p; p = strstr(p + 1, "    entry ")) {
        const char *eol = strchr(p, '\n');
        ck_assert_ptr_nonnull(eol);
        const char *arch = strstr(p, "sm_90");
        ck_assert_msg(arch && arch < eol, "not sm_90: %.*s", (int)(eol - p), p);
        entries++;
    }
    /* Two translation units, each with sm_90 and sm_90a. */
    ck_assert_int_eq(entries, 4);
    char *dir = path_in(tmp, "b");
    assert_bundle_opens(dir, "libext", "unknown", 1);
    free(dir);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(missing_arch_is_refused)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    setenv("EXT", fixture_path("libext.so"), 1);
    /* libext.so has no sm_100 code. */
    struct tool_result r = run_shell(
        "\"$SAGESHIM\" bundle --from \"$EXT\" --out \"$T/b\" --sm 90,100");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "sm_100"));
    tool_result_free(&r);
    r = run_shell("test ! -e \"$T/b/MANIFEST\"");
    ck_assert_msg(r.status == 0, "a refused bundle must not be written");
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(input_without_cuda_code_is_refused)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    /* No extension module at all: said so, also when --sm names an arch. */
    struct tool_result r = run_shell(
        "mkdir \"$T/pkg\" && echo 'x = 1' > \"$T/pkg/a.py\" && "
        "\"$SAGESHIM\" bundle --from \"$T/pkg\" --out \"$T/b\" --sm 90");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "no extension modules (*.so) found in "), "%s", r.err);
    ck_assert_ptr_null(strstr(r.err, "sm_90"));
    tool_result_free(&r);
    /* An extension module without CUDA code. */
    r = run_shell("echo 'not elf' > \"$T/pkg/_x.so\" && "
                  "\"$SAGESHIM\" bundle --from \"$T/pkg\" --out \"$T/b\"");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "no CUDA code"), "%s", r.err);
    tool_result_free(&r);
    /* A text file named like a wheel. */
    r = run_shell("echo hello > \"$T/x.whl\" && "
                  "\"$SAGESHIM\" bundle --from \"$T/x.whl\" --out \"$T/b\"");
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "x.whl: not a zip archive"), "%s", r.err);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* An existing --out is not overwritten silently; --force replaces the
 * bundle, leaving no stale fatbin; a directory holding other files is
 * never emptied. */
START_TEST(existing_out_needs_force_and_keeps_nothing_stale)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    setenv("EXT", fixture_path("libext.so"), 1);
    struct tool_result r = run_shell(
        "\"$SAGESHIM\" bundle --from \"$EXT\" --out \"$T/b\" --label first >/dev/null && "
        "echo stale > \"$T/b/old_module.fatbin\" && "
        "\"$SAGESHIM\" bundle --from \"$EXT\" --out \"$T/b\" --label second");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "already holds a bundle; pass --force"), "%s", r.err);
    tool_result_free(&r);
    r = run_shell("grep -q 'first' \"$T/b/MANIFEST\"");
    ck_assert_msg(r.status == 0, "a refused run must leave the bundle as it was");
    tool_result_free(&r);

    r = run_shell("\"$SAGESHIM\" bundle --from \"$EXT\" --out \"$T/b\" --label second --force "
                  ">/dev/null && ls \"$T/b\"");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "MANIFEST\nlibext.fatbin\n");
    tool_result_free(&r);
    char *dir = path_in(tmp, "b");
    assert_bundle_opens(dir, "libext", "second", 4);
    free(dir);

    r = run_shell("echo keep > \"$T/b/notes.txt\" && "
                  "\"$SAGESHIM\" bundle --from \"$EXT\" --out \"$T/b\" --force; "
                  "echo \"status $?\"; ls \"$T/b\"");
    ck_assert_msg(strstr(r.out, "status 1\nMANIFEST\nlibext.fatbin\nnotes.txt\n"), "%s", r.out);
    ck_assert_msg(strstr(r.err, "holds notes.txt, which is not part of a bundle"), "%s", r.err);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(missing_input_exits_2)
{
    struct tool_result r = run_shell(
        "\"$SAGESHIM\" bundle --from /nonexistent/pkg --out /nonexistent/out");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/pkg"));
    tool_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_bundle");
    TCase *tc = tcase_create("bundle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, from_extension_module_keeps_every_arch);
    tcase_add_test(tc, from_package_directory_with_label);
    tcase_add_test(tc, from_wheel);
    tcase_add_loop_test(tc, sm_option_keeps_only_that_arch, 0,
                        (int)(sizeof sm_spellings / sizeof sm_spellings[0]));
    tcase_add_test(tc, missing_arch_is_refused);
    tcase_add_test(tc, input_without_cuda_code_is_refused);
    tcase_add_test(tc, existing_out_needs_force_and_keeps_nothing_stale);
    tcase_add_test(tc, missing_input_exits_2);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
