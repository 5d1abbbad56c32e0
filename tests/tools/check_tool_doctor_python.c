/* check_tool_doctor_python.c: which interpreter `sageshim doctor` asks,
 * whether it may run it, and that nothing the interpreter does can hang
 * doctor or change its answer (issue 19).  The interpreters are shell
 * scripts answering doctor's two questions with marked lines (see
 * fake_python), or the real python3.  Each test asserts the last line and
 * the exit status: 0 healthy, 1 problems, 3 nothing to check. */
#include "doctor_site.h"

#include <sys/stat.h>
#include <time.h>

/* A fake interpreter at path: touches $MARKER when run, runs `before`,
 * answers (the package is $SITE_PKG, or "none" when $NO_SAGE is set), then
 * runs `after`. */
static void fake_python(const char *path, const char *before, const char *after)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    setenv("FAKE_DIR", dir, 1);
    struct tool_result r = run_shell("mkdir -p \"$FAKE_DIR\"");
    ck_assert_int_eq(r.status, 0);
    tool_result_free(&r);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "#!/bin/sh\n"
            "[ -n \"$MARKER\" ] && : > \"$MARKER\"\n"
            "%s\n"
            "case \"$2\" in\n"
            "*find_spec*)\n"
            "  echo 'SAGESHIM-DOCTOR: version 3.99.0'\n"
            "  if [ -n \"$NO_SAGE\" ]; then echo 'SAGESHIM-DOCTOR: none'; else\n"
            "  printf 'SAGESHIM-DOCTOR: location %%s\\n' \"$(printf %%s \"$SITE_PKG\" | od -An -tx1 "
            "| tr -d ' \\n')\"; fi ;;\n"
            "*) echo 'SAGESHIM-DOCTOR: import-ok' ;;\n"
            "esac\n"
            "%s\n",
            before ? before : "", after ? after : "");
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(path, 0755), 0);
}

static char *setup(void)
{
    char *tmp = prepare("healthy");
    char site[4200], marker[4200];
    snprintf(site, sizeof site, "%s/site/sageattention", tmp);
    snprintf(marker, sizeof marker, "%s/ran", tmp);
    setenv("SITE_PKG", site, 1);
    setenv("MARKER", marker, 1);
    unsetenv("NO_SAGE");
    return tmp;
}

static void teardown(char *tmp)
{
    unsetenv("MARKER");
    unsetenv("NO_SAGE");
    remove_temp_dir(tmp);
}

/* doctor from directory `cd` (under $T), with extra arguments. */
static struct tool_result doctor_in(const char *cd, const char *args)
{
    setenv("CD", cd, 1);
    setenv("ARGS", args ? args : "", 1);
    return run_shell("cd \"$T/$CD\" && SAGESHIM_CONF=\"$T/sageshim.conf\" "
                     "SAGESHIM_BUNDLE=\"$T/bundle\" \"$SAGESHIM\" doctor $ARGS");
}

static int ran(void)
{
    return access(getenv("MARKER"), F_OK) == 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void tmp_path(char *buf, size_t len, const char *tmp, const char *rel)
{
    snprintf(buf, len, "%s/%s", tmp, rel);
}

/* The tree: python_embeded/bin/python (no python3) was not looked
 * for, so doctor asked python3 on PATH and ended healthy without having
 * seen ComfyUI's SageAttention. */
START_TEST(python_embeded_bin_python_is_found)
{
    char *tmp = setup();
    char py[4200];
    tmp_path(py, sizeof py, tmp, "ComfyUI/python_embeded/bin/python");
    fake_python(py, NULL, NULL);
    struct tool_result r = doctor_in("ComfyUI", NULL);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "/ComfyUI/python_embeded/bin/python (python_embeded/ (portable "
                                "ComfyUI) in "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "the current directory)"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "/site/sageattention (Python 3.99.0)"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\ndoctor: healthy\n"), "%s", r.out);
    ck_assert(ran());
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

/* The portable build: python_embeded/ beside ComfyUI/, doctor run inside
 * ComfyUI/; the interpreter is python_embeded/python3 (no bin/). */
START_TEST(portable_layout_in_the_parent_is_found)
{
    char *tmp = setup();
    char py[4200];
    tmp_path(py, sizeof py, tmp, "portable/python_embeded/python3");
    fake_python(py, NULL, NULL);
    struct tool_result r = run_shell("mkdir -p \"$T/portable/ComfyUI\"");
    tool_result_free(&r);
    r = doctor_in("portable/ComfyUI", NULL);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "/portable/python_embeded/python3 (python_embeded/ (portable "
                                "ComfyUI) in "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "/portable, the parent directory)"), "%s", r.out);
    /* Printed as a person reads it, not ComfyUI/../python_embeded. */
    ck_assert_ptr_null(strstr(r.out, "/.."));
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

/* From any other directory doctor used to ask python3 on PATH and say
 * healthy; now it says there is nothing to check, where it looked and how
 * to point it. */
START_TEST(no_interpreter_is_nothing_to_check)
{
    char *tmp = setup();
    struct tool_result r = run_shell("mkdir -p \"$T/empty/here\"");
    tool_result_free(&r);
    r = doctor_in("empty/here", NULL);
    ck_assert_msg(r.status == 3, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "\ndoctor: nothing to check: no ComfyUI interpreter found "
                                "(looked for python_embeded/, venv/ and .venv/ in "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "/empty/here (the current directory)"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "$VIRTUAL_ENV (not set)"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "pass --python PATH"), "%s", r.out);
    ck_assert_ptr_null(strstr(r.out, "healthy"));
    ck_assert_msg(strstr(r.out, "Long sequences (32-bit offsets in the _fused kernels, thu-ml "
                                "#388): not checked"), "%s", r.out);
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

START_TEST(sageattention_not_installed_is_nothing_to_check)
{
    char *tmp = setup();
    char py[4200];
    tmp_path(py, sizeof py, tmp, "ComfyUI/venv/bin/python3");
    fake_python(py, NULL, NULL);
    setenv("NO_SAGE", "1", 1);
    struct tool_result r = doctor_in("ComfyUI", NULL);
    ck_assert_msg(r.status == 3, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "\ndoctor: nothing to check: sageattention is not installed "
                                "for "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "/ComfyUI/venv/bin/python3; pass --python PATH"), "%s", r.out);
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

/* An active virtual environment elsewhere is used, and said. */
START_TEST(active_virtual_env_is_used)
{
    char *tmp = setup();
    char py[4200], env[4200];
    tmp_path(py, sizeof py, tmp, "envs/comfy/bin/python");
    tmp_path(env, sizeof env, tmp, "envs/comfy");
    fake_python(py, NULL, NULL);
    struct tool_result r = run_shell("mkdir -p \"$T/elsewhere/x\"");
    tool_result_free(&r);
    setenv("VIRTUAL_ENV", env, 1);
    r = doctor_in("elsewhere/x", NULL);
    unsetenv("VIRTUAL_ENV");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "/envs/comfy/bin/python (the active virtual environment, "
                                "$VIRTUAL_ENV)"), "%s", r.out);
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

/* The root exploit: doctor, run as root from a folder inside a
 * world-writable directory, executed ../venv/bin/python3 owned by nobody.
 * Found by searching, such an interpreter is named and never run; given
 * with --python it is the user's choice and runs. */
START_TEST(foreign_interpreter_in_a_world_writable_parent_is_not_run)
{
    if (geteuid() != 0)
        return;   /* needs chown; the suites run as root in CI */
    char *tmp = setup();
    static const char *const modes[] = { "0777", "1777" };
    for (size_t m = 0; m < 2; m++) {
        setenv("MODE", modes[m], 1);
        struct tool_result r = run_shell(
            "rm -rf \"$T/shared\" && mkdir -p \"$T/shared/ComfyUI\" && chmod \"$MODE\" "
            "\"$T/shared\"");
        ck_assert_int_eq(r.status, 0);
        tool_result_free(&r);
        char py[4200];
        tmp_path(py, sizeof py, tmp, "shared/venv/bin/python3");
        fake_python(py, NULL, NULL);
        r = run_shell("chown -R nobody \"$T/shared/venv\"");
        ck_assert_int_eq(r.status, 0);
        tool_result_free(&r);
        unlink(getenv("MARKER"));
        r = doctor_in("shared/ComfyUI", NULL);
        ck_assert_msg(!ran(), "mode %s: the planted interpreter ran:\n%s", modes[m], r.out);
        ck_assert_msg(r.status == 3, "%s%s", r.out, r.err);
        ck_assert_msg(strstr(r.out, "  skipped ") && strstr(r.out, "/shared/venv/bin/python3: "
                                                                  "not run: "), "%s", r.out);
        /* 0777: the parent is the first thing wrong; 1777: the owner. */
        ck_assert_msg(strstr(r.out, modes[m][0] == '1' ? "/shared/venv: owned by uid "
                                                       : "/shared: writable by others"),
                      "%s", r.out);
        ck_assert_msg(strstr(r.out, "if you trust it, pass it with --python"), "%s", r.out);
        tool_result_free(&r);

        /* Root's own venv there: in a sticky directory (like /tmp) no one
         * else can replace it, so it runs; without the sticky bit anyone
         * can rename it away and put another in its place. */
        r = run_shell("chown -R root \"$T/shared/venv\"");
        tool_result_free(&r);
        unlink(getenv("MARKER"));
        r = doctor_in("shared/ComfyUI", NULL);
        if (modes[m][0] == '1') {
            ck_assert_msg(ran() && r.status == 0, "%s%s", r.out, r.err);
        } else {
            ck_assert_msg(!ran() && r.status == 3, "%s%s", r.out, r.err);
            ck_assert_msg(strstr(r.out, "writable by others (mode 777)"), "%s", r.out);
        }
        tool_result_free(&r);
    }
    /* --python is the user's word: run as given. */
    struct tool_result r = run_shell("chown -R nobody \"$T/shared/venv\"");
    tool_result_free(&r);
    unlink(getenv("MARKER"));
    r = doctor_in("shared/ComfyUI", "--python ../venv/bin/python3");
    ck_assert_msg(ran() && r.status == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "(given with --python)"), "%s", r.out);
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

/* An interpreter that hangs, or stops itself: cut at --timeout, a problem,
 * not a hang.  One that exits but leaves a child holding the pipes: doctor
 * does not wait for it, and the child does not outlive doctor. */
START_TEST(interpreters_cannot_hang_doctor)
{
    char *tmp = setup();
    static const struct {
        const char *before;
        const char *after;
        int status;
        const char *says;
    } cases[] = {
        { "sleep 1000", NULL, 1, "did not answer within 1 s and was stopped" },
        { "kill -STOP $$", NULL, 1, "did not answer within 1 s and was stopped" },
        { NULL, "sleep 1000 & echo $! > \"$MARKER.child\"", 0, "\ndoctor: healthy\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char py[4200];
        tmp_path(py, sizeof py, tmp, "ComfyUI/venv/bin/python3");
        fake_python(py, cases[i].before, cases[i].after);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* The third case runs with the default limit: it must not need it. */
        struct tool_result r = doctor_in("ComfyUI", cases[i].status ? "--timeout 1" : NULL);
        double took = seconds_since(&t0);
        ck_assert_msg(took < 10, "case %zu took %.1f s", i, took);
        ck_assert_msg(r.status == cases[i].status, "case %zu: %s%s", i, r.out, r.err);
        ck_assert_msg(strstr(r.out, cases[i].says), "case %zu: %s", i, r.out);
        tool_result_free(&r);
    }
    /* The background child was killed with its process group. */
    /* Killed: no process, or a zombie (here PID 1 may not reap orphans). */
    struct tool_result r = run_shell("sleep 0.2; s=$(cut -d' ' -f3 "
                                     "\"/proc/$(cat \"$MARKER.child\")/stat\" 2>/dev/null); "
                                     "[ -z \"$s\" ] || [ \"$s\" = Z ] && echo gone || echo alive");
    ck_assert_msg(strstr(r.out, "gone"), "%s", r.out);
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

/* Output that is not an answer changes nothing: a line on stderr at exit
 * (an atexit hook of a sitecustomize), noise on stdout after the answer,
 * and the real python3 with PYTHONVERBOSE=1 and such a sitecustomize. */
START_TEST(stray_output_does_not_change_the_answer)
{
    char *tmp = setup();
    char py[4200];
    tmp_path(py, sizeof py, tmp, "ComfyUI/venv/bin/python3");
    fake_python(py, "echo 'noise before' >&2",
                "echo 'Exception ignored in atexit callback' >&2; echo '/not/a/package'");
    struct tool_result r = doctor_in("ComfyUI", NULL);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "\ndoctor: healthy\n"), "%s", r.out);
    tool_result_free(&r);

    r = run_shell(
        "command -v python3 >/dev/null || exit 77; mkdir -p \"$T/sc\" && "
        "printf 'import atexit, sys\\natexit.register(lambda: (print(\"bye\"), "
        "print(\"atexit on stderr\", file=sys.stderr)))\\n' > \"$T/sc/sitecustomize.py\" && "
        "printf '#!/bin/sh\\nPYTHONPATH=\"%s:%s\" PYTHONVERBOSE=1 exec python3 \"$@\"\\n' "
        "\"$T/site\" \"$T/sc\" > \"$T/ComfyUI/venv/bin/python3\" && "
        "cd \"$T/ComfyUI\" && SAGESHIM_CONF=\"$T/sageshim.conf\" SAGESHIM_BUNDLE=\"$T/bundle\" "
        "\"$SAGESHIM\" doctor");
    if (r.status != 77) {
        ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
        ck_assert_msg(strstr(r.out, "/site/sageattention (Python 3."), "%s", r.out);
        ck_assert_msg(strstr(r.out, "imports cleanly"), "%s", r.out);
        ck_assert_msg(strstr(r.out, "\ndoctor: healthy\n"), "%s", r.out);
    }
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

/* A failing import is a problem with a remedy. */
START_TEST(import_failure_has_a_remedy)
{
    char *tmp = setup();
    struct tool_result r = run_shell(
        "command -v python3 >/dev/null || exit 77; mkdir -p \"$T/ComfyUI/venv/bin\" && "
        "printf '#!/bin/sh\\nPYTHONPATH=\"%s\" exec python3 \"$@\"\\n' \"$T/site\" "
        "> \"$T/ComfyUI/venv/bin/python3\" && chmod 755 \"$T/ComfyUI/venv/bin/python3\" && "
        "echo 'import sageshim_missing_dependency_xyz' >> \"$T/site/sageattention/__init__.py\" "
        "&& cd \"$T/ComfyUI\" && SAGESHIM_CONF=\"$T/sageshim.conf\" "
        "SAGESHIM_BUNDLE=\"$T/bundle\" \"$SAGESHIM\" doctor");
    if (r.status != 77) {
        ck_assert_msg(r.status == 1, "%s%s", r.out, r.err);
        ck_assert_msg(strstr(r.out, "remedy: install the missing module into that Python: "),
                      "%s", r.out);
        ck_assert_msg(strstr(r.out, "/ComfyUI/venv/bin/python3 -m pip install "
                                    "sageshim_missing_dependency_xyz"), "%s", r.out);
        ck_assert_msg(strstr(r.out, "\ndoctor: 1 problem found\n"), "%s", r.out);
    }
    tool_result_free(&r);
    teardown(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_doctor_python");
    TCase *tc = tcase_create("python");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, python_embeded_bin_python_is_found);
    tcase_add_test(tc, portable_layout_in_the_parent_is_found);
    tcase_add_test(tc, no_interpreter_is_nothing_to_check);
    tcase_add_test(tc, sageattention_not_installed_is_nothing_to_check);
    tcase_add_test(tc, active_virtual_env_is_used);
    tcase_add_test(tc, foreign_interpreter_in_a_world_writable_parent_is_not_run);
    tcase_add_test(tc, interpreters_cannot_hang_doctor);
    tcase_add_test(tc, stray_output_does_not_change_the_answer);
    tcase_add_test(tc, import_failure_has_a_remedy);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
