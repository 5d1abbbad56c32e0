/* check_tool_doctor.c: `sageshim doctor PATH` on a healthy and a broken
 * SageAttention-shaped package (tests/tools/fixtures), on a machine without
 * a CUDA driver.  Exit 0 healthy, 1 problems found. */
#include "testutil.h"
#include "toolrun.h"
#include "doctor_site.h"

static struct tool_result doctor(void)
{
    return run_shell("SAGESHIM_CONF=\"$T/sageshim.conf\" SAGESHIM_BUNDLE=\"$T/bundle\" "
                     "\"$SAGESHIM\" doctor \"$T/site/sageattention\"");
}

START_TEST(healthy_package_is_healthy)
{
    char *tmp = prepare("healthy");
    struct tool_result r = doctor();
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "sageshim.conf"));
    ck_assert_ptr_nonnull(strstr(r.out, "_qattn_sm90"));
    ck_assert_ptr_nonnull(strstr(r.out, "redirect _qattn_sm90.cpython-312-x86_64-linux-gnu.so "
                                        "(cuLibraryLoadData): sm_90 -> bundle"));
    ck_assert_ptr_nonnull(strstr(r.out, "no shadowed names"));
    ck_assert_ptr_nonnull(strstr(r.out, "doctor: healthy"));
    ck_assert_ptr_null(strstr(r.out, "PROBLEM"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* Three answers: with repair on (the default) the shadowed op is a defect
 * repaired at run time (exit 0, saying so); with repair off a problem. */
START_TEST(shadowed_op_is_repaired_at_run_time)
{
    char *tmp = prepare("broken");
    struct tool_result r = doctor();
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    /* Names the file, the name and both lines (7 and 12 in the fixture). */
    ck_assert_ptr_nonnull(strstr(r.out, "sm90_compile.py"));
    ck_assert_ptr_nonnull(strstr(r.out, "`def attn_inst_buf` at line 7 is defined again at line 12"));
    ck_assert_ptr_nonnull(strstr(r.out, "repaired at run time: repair = on"));
    ck_assert_ptr_nonnull(strstr(r.out, "doctor: healthy: SageAttention's shadowed sm90 op is "
                                        "present and repaired at run time"));
    ck_assert_ptr_null(strstr(r.out, "PROBLEM"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(shadowed_op_without_repair_is_a_problem_with_its_remedy)
{
    char *tmp = prepare("broken");
    setenv("SAGESHIM_REPAIR", "off", 1);
    struct tool_result r = doctor();
    unsetenv("SAGESHIM_REPAIR");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "PROBLEM: "));
    ck_assert_ptr_nonnull(strstr(r.out, "`def attn_inst_buf` at line 7 is defined again at line 12"));
    ck_assert_ptr_nonnull(strstr(r.out, "set repair = on in sageshim.conf (now off)"));
    ck_assert_ptr_nonnull(strstr(r.out, "d970424"));
    /* With the repair off, long attention inputs are not cut either. */
    ck_assert_ptr_nonnull(strstr(r.out, "PROBLEM: long attention and Triton inputs are not run "
                                        "in pieces (repair = off); remedy: repair = on"));
    ck_assert_ptr_nonnull(strstr(r.out, "doctor: 2 problems found"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(every_config_value_is_checked)
{
    char *tmp = prepare("healthy");
    struct tool_result r = run_shell(
        "printf '[sageshim]\\nrepiar = on\\nmodules =\\nrepair_modules = sage-attention\\n"
        "bundle = kernels\\nlog = /nonexistent-sageshim-dir/x.log\\nmode = diagnostic\\n' "
        "> \"$T/sageshim.conf\" && SAGESHIM_CONF=\"$T/sageshim.conf\" "
        "\"$SAGESHIM\" doctor \"$T/site/sageattention\"");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, ":2: unknown key 'repiar' (did you mean 'repair'?)"));
    ck_assert_ptr_nonnull(strstr(r.out, ":7: bad value 'diagnostic' for 'mode'"));
    ck_assert_ptr_nonnull(strstr(r.out, "using 'redirect'"));
    ck_assert_ptr_nonnull(strstr(r.out, "modules is empty"));
    ck_assert_ptr_nonnull(strstr(r.out, "'sage-attention' is not a Python module name"));
    ck_assert_ptr_nonnull(strstr(r.out, "bundle = kernels is a relative path"));
    ck_assert_ptr_nonnull(strstr(r.out, "/nonexistent-sageshim-dir does not exist"));
    ck_assert_ptr_nonnull(strstr(r.out, "doctor: 6 problems found"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* Run from a ComfyUI folder, doctor asks the venv's interpreter (here a
 * script running python3 with the fixture's site directory on its path),
 * finds the package without importing it, and shows the real import error. */
START_TEST(comfyui_python_is_found_and_its_import_error_shown)
{
    char *tmp = prepare("healthy");
    struct tool_result r = run_shell(
        "command -v python3 >/dev/null || exit 77; "
        "mkdir -p \"$T/ComfyUI/venv/bin\" && "
        "printf '#!/bin/sh\\nPYTHONPATH=\"%s\" exec python3 \"$@\"\\n' \"$T/site\" "
        "> \"$T/ComfyUI/venv/bin/python3\" && chmod +x \"$T/ComfyUI/venv/bin/python3\" && "
        "echo 'import sageshim_missing_dependency_xyz' >> \"$T/site/sageattention/__init__.py\" && "
        "cd \"$T/ComfyUI\" && SAGESHIM_CONF=\"$T/sageshim.conf\" SAGESHIM_BUNDLE=\"$T/bundle\" "
        "\"$SAGESHIM\" doctor");
    if (r.status != 77) {
        ck_assert_msg(r.status == 1, "%s%s", r.out, r.err);
        ck_assert_msg(strstr(r.out, "/ComfyUI/venv/bin/python3 (venv/ in "), "%s", r.out);
        ck_assert_msg(strstr(r.out, "/site/sageattention (Python "), "%s", r.out);
        ck_assert_msg(strstr(r.out, "ModuleNotFoundError: No module named "
                                    "'sageshim_missing_dependency_xyz'"), "%s", r.out);
        /* Located all the same: its modules were inspected. */
        ck_assert_msg(strstr(r.out, "_qattn_sm90"), "%s", r.out);
    }
    tool_result_free(&r);
    r = run_shell("\"$SAGESHIM\" doctor --python /nonexistent/python3");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.out, "/nonexistent/python3 does not run"), "%s", r.out);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(limits_are_named)
{
    char *tmp = prepare("healthy");
    struct tool_result r = doctor();
    ck_assert_ptr_nonnull(strstr(r.out, "a causal attention call one head of which passes 2^32 "
                                        "output elements"));
    ck_assert_msg(strstr(r.out, "Long inputs (32-bit offsets in the attention kernels, the Triton "
                                "quantizers and attention): run in pieces by the repair on GPUs "
                                "in archs (repair = on)\n"), "%s", r.out);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(no_driver_is_an_answer_not_a_problem)
{
    char *tmp = prepare("healthy");
    /* This machine has no GPU; hide any driver to be sure. */
    setenv("LD_LIBRARY_PATH", "/nonexistent", 1);
    struct tool_result r = run_shell("test -e /dev/nvidiactl && exit 77; "
                                     "SAGESHIM_CONF=\"$T/sageshim.conf\" "
                                     "SAGESHIM_BUNDLE=\"$T/bundle\" "
                                     "\"$SAGESHIM\" doctor \"$T/site/sageattention\"");
    if (r.status != 77) {
        ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
        ck_assert_ptr_nonnull(strstr(r.out, "no CUDA driver"));
    }
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(gpus_come_from_the_driver)
{
    /* The shim suite's fake driver, when it has been built (optional). */
    const char *build = getenv("BUILD");
    char fake[4096];
    snprintf(fake, sizeof fake, "%s/tests/shim/fake", build && *build ? build : "build");
    char lib[4200];
    snprintf(lib, sizeof lib, "%s/libcuda.so.1", fake);
    if (access(lib, R_OK) != 0)
        return;
    char *tmp = prepare("healthy");
    setenv("LD_LIBRARY_PATH", fake, 1);
    setenv("FAKECUDA_DEVICES", "9.0,8.9", 1);
    struct tool_result r = doctor();
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, " sm_90 (compute capability 9.0): in archs (90,120): entry "
                                "redirect of watched modules, hotfix, long inputs run in pieces "
                                "(repair)\n"), "%s", r.out);
    ck_assert_msg(strstr(r.out, " sm_89 (compute capability 8.9): not in archs (90,120): "
                                "untouched - no entry redirect, no hotfix in this process (one "
                                "hotfix serves every GPU), no pieces; add 89 to `archs` to "
                                "include it\n"), "%s", r.out);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(incompatible_bundle_is_a_problem)
{
    char *tmp = prepare("healthy");
    /* A bundle file under the module's name holding other kernels. */
    setenv("CLUSTER", fixture_path("cluster.fatbin"), 1);
    struct tool_result r = run_shell(
        "cp \"$CLUSTER\" \"$T/site/sageattention/_qattn_sm90.so\" && rm -rf \"$T/bundle\" "
        "\"$T/site/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so\" && "
        "\"$SAGESHIM\" bundle --from \"$T/site/sageattention\" --out \"$T/bundle\" >/dev/null && "
        "cp \"$EXT\" \"$T/site/sageattention/_qattn_sm90.so\"");
    ck_assert_msg(r.status == 0, "%s", r.err);
    tool_result_free(&r);
    r = doctor();
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "keep original _qattn_sm90.so (cuLibraryLoadData): "));
    ck_assert_ptr_nonnull(strstr(r.out, "PROBLEM: the bundle is refused for"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* "N of M fatbins intact" is a hash of the bytes, every time (issue 20): a
 * fatbin changed through a shared mapping keeps its size, inode and times
 * (the page was already written), which fooled the hash cache of c4f968b
 * (kept under XDG_CACHE_HOME) into "1 of 1" for ever.  python3 holds the
 * mapping across two doctor runs. */
START_TEST(changed_fatbin_is_not_intact)
{
    char *tmp = prepare("healthy");
    struct tool_result r = run_shell(
        "export SAGESHIM_CONF=\"$T/sageshim.conf\" SAGESHIM_BUNDLE=\"$T/bundle\" "
        "XDG_CACHE_HOME=\"$T/cache\" && python3 -c '\n"
        "import glob, mmap, os, re, subprocess\n"
        "t = os.environ[\"T\"]\n"
        "path, = glob.glob(t + \"/bundle/*.fatbin\")\n"
        "fd = os.open(path, os.O_RDWR)\n"
        "m = mmap.mmap(fd, 0)\n"
        "at = len(m) // 2\n"
        "m[at] = m[at]\n"
        "doctor = [os.environ[\"SAGESHIM\"], \"doctor\", t + \"/site/sageattention\"]\n"
        "def intact():\n"
        "    out = subprocess.run(doctor, stdout=subprocess.PIPE, text=True).stdout\n"
        "    print(re.findall(r\"\\d+ fatbin files? \\(\\d+ intact\\)\", out))\n"
        "intact()\n"
        "m[at] ^= 0xff\n"
        "intact()\n"
        "m[at] ^= 0xff\n"
        "intact()\n"
        "'");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_str_eq(r.out, "['1 fatbin file (1 intact)']\n"
                            "['1 fatbin file (0 intact)']\n"
                            "['1 fatbin file (1 intact)']\n");
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

START_TEST(missing_bundle_is_a_note)
{
    char *tmp = prepare("healthy");
    struct tool_result r = run_shell("SAGESHIM_CONF=\"$T/sageshim.conf\" "
                                     "SAGESHIM_BUNDLE=\"$T/nonexistent\" SAGESHIM_MODE=redirect "
                                     "\"$SAGESHIM\" doctor \"$T/site/sageattention\"");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "note: no configured bundle at "));
    ck_assert_ptr_nonnull(strstr(r.out, "nonexistent"));
    ck_assert_ptr_nonnull(strstr(r.out, "doctor: healthy"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* A module without CUDA code: the runtime loads no image from it, so the
 * library logs nothing; doctor prints no plan line the library would not
 * log (it used to print "keep original ...: parse error at offset 0x0"). */
START_TEST(a_module_without_cuda_code_gets_no_plan_line)
{
    char *tmp = prepare("healthy");
    setenv("PLAIN_SO", fixture_path("../libsageshim.so"), 1);
    struct tool_result r = run_shell(
        "cp \"$PLAIN_SO\" \"$T/site/sageattention/_qattn_sm89.cpython-312-x86_64-linux-gnu.so\"");
    ck_assert_int_eq(r.status, 0);
    tool_result_free(&r);
    r = doctor();
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "_qattn_sm89: no CUDA code\n"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "      (no line: the file has no CUDA code, so the CUDA runtime "
                                "loads no image from it and the preload library never sees it)"),
                  "%s", r.out);
    ck_assert_ptr_null(strstr(r.out, "parse error"));
    ck_assert_ptr_null(strstr(r.out, "keep original _qattn_sm89"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

/* Paths print as a person reads them, and a message names a path once. */
START_TEST(paths_print_plainly)
{
    char *tmp = prepare("healthy");
    struct tool_result r = run_shell("\"$SAGESHIM\" doctor /nonexistent-sageshim-x");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.out, "PROBLEM: /nonexistent-sageshim-x: No such file or directory\n"),
                  "%s", r.out);
    ck_assert_ptr_null(strstr(r.out, "/../"));
    tool_result_free(&r);
    r = run_shell("SAGESHIM_CONF=\"$T/missing.conf\" \"$SAGESHIM\" doctor \"$T/site/sageattention\"");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.out, "/missing.conf: SAGESHIM_CONF: does not exist, ignored"), "%s",
                  r.out);
    tool_result_free(&r);
    r = run_shell("\"$SAGESHIM\" inspect \"$T/nothing.fatbin\"");
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "sageshim: ") && strstr(r.err, "/nothing.fatbin: cannot open"),
                  "%s", r.err);
    ck_assert_msg(!strstr(r.err, "/nothing.fatbin: /"), "the path twice: %s", r.err);
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_doctor");
    TCase *tc = tcase_create("doctor");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, healthy_package_is_healthy);
    tcase_add_test(tc, shadowed_op_is_repaired_at_run_time);
    tcase_add_test(tc, shadowed_op_without_repair_is_a_problem_with_its_remedy);
    tcase_add_test(tc, every_config_value_is_checked);
    tcase_add_test(tc, comfyui_python_is_found_and_its_import_error_shown);
    tcase_add_test(tc, limits_are_named);
    tcase_add_test(tc, no_driver_is_an_answer_not_a_problem);
    tcase_add_test(tc, gpus_come_from_the_driver);
    tcase_add_test(tc, incompatible_bundle_is_a_problem);
    tcase_add_test(tc, missing_bundle_is_a_note);
    tcase_add_test(tc, changed_fatbin_is_not_intact);
    tcase_add_test(tc, a_module_without_cuda_code_gets_no_plan_line);
    tcase_add_test(tc, paths_print_plainly);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
