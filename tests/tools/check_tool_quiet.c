/* check_tool_quiet.c: the shim is invisible where it touches nothing.
 *
 * tests/tools/fixtures/launcher/run_app.sh is shaped like ComfyUI's launcher:
 * bash -> python -> ten children (git rev-parse with stderr folded into
 * stdout, python -c, sh, ...), none of which touches CUDA.  Run without the
 * shim, under plain LD_PRELOAD and under `sageshim run`, at the default
 * level: no sageshim line anywhere, and every child's stdout, stderr and
 * status byte-identical to the run without the shim.  With a config holding
 * three problems they are printed once: by the launcher's first process
 * (LD_PRELOAD) or by `sageshim run` before it starts anything. */
#include <dlfcn.h>
#include <link.h>

#include "testutil.h"
#include "toolrun.h"

static int find_runtime(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    if (info->dlpi_name && strstr(info->dlpi_name, "libasan.so")) {
        snprintf(data, 4096, "%s", info->dlpi_name);
        return 1;
    }
    return 0;
}

static int elf_machine(const char *path)
{
    unsigned char head[20];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head ? head[18] | head[19] << 8 : -1;
}

/* The launcher runs the machine's own bash, python and git; a cross build
 * (tests/aarch64/run.sh: this program under qemu) cannot be preloaded into
 * them, so there is nothing to test there. */
static int cannot_preload_into_host_programs(void)
{
    if (dlsym(RTLD_DEFAULT, "__tsan_init") != NULL)
        return 1;   /* an instrumented shim in uninstrumented python: not this test's subject */
    int shell = elf_machine("/bin/sh");
    return shell < 0 || shell != elf_machine("/proc/self/exe");
}

/* T, LIB (with the ASan runtime ahead of it in a sanitizer build), the
 * launcher and a config file with the given text. */
static char *prepare(const char *conf_text)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    char asan[4096] = "", lib[8400], launcher[4096];
    dl_iterate_phdr(find_runtime, asan);
    const char *build = getenv("BUILD");
    char *dir = realpath(build && *build ? build : "build", NULL);
    snprintf(lib, sizeof lib, "%s%s%s/libsageshim.so", asan, *asan ? ":" : "", dir ? dir : "build");
    free(dir);
    setenv("LIB", lib, 1);
    /* An instrumented shim in python and git: their leaks are not ours, and
     * `sageshim run` puts the shim ahead of the runtime. */
    if (*asan) {
        setenv("ASAN_OPTIONS", "detect_leaks=0:verify_asan_link_order=0", 1);
        setenv("ASAN_RUNTIME", asan, 1);
    } else {
        unsetenv("ASAN_RUNTIME");
    }
    char *here = realpath("tests/tools/fixtures/launcher/run_app.sh", NULL);
    ck_assert_ptr_nonnull(here);
    snprintf(launcher, sizeof launcher, "%s", here);
    free(here);
    setenv("LAUNCHER", launcher, 1);
    char conf[4200];
    snprintf(conf, sizeof conf, "%s/sageshim.conf", tmp);
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs(conf_text, f);
    fclose(f);
    setenv("SAGESHIM_CONF", conf, 1);
    setenv("XDG_CONFIG_HOME", tmp, 1);
    unsetenv("SAGESHIM_MODE");
    unsetenv("SAGESHIM_LOG");
    unsetenv("SAGESHIM_LOG_LEVEL");
    unsetenv("SAGESHIM_CONFIG_REPORTED");
    unsetenv("LD_PRELOAD");
    return tmp;
}

/* Run the launcher into $T/<name>/ in one of three ways. */
static struct tool_result launch(const char *name, const char *how)
{
    char script[1024];
    const char *prefix = strcmp(how, "plain") == 0 ? ""
                       : strcmp(how, "preload") == 0 ? "LD_PRELOAD=\"$LIB\" "
                       : "LD_PRELOAD=\"$ASAN_RUNTIME\" \"$SAGESHIM\" run -- ";
    snprintf(script, sizeof script, "mkdir \"$T/%s\" && %s\"$LAUNCHER\" \"$T/%s\"", name, prefix,
             name);
    struct tool_result r = run_shell(script);
    ck_assert_msg(r.status == 0, "%s: status %d\n%s%s", how, r.status, r.out, r.err);
    return r;
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

static void assert_children_identical(const char *a, const char *b)
{
    char script[256];
    snprintf(script, sizeof script, "diff -r \"$T/%s\" \"$T/%s\" && ls \"$T/%s\" | wc -l", a, b,
             a);
    struct tool_result r = run_shell(script);
    ck_assert_msg(r.status == 0, "children's output differs (%s vs %s):\n%s%s", a, b, r.out,
                  r.err);
    ck_assert_int_eq(atoi(r.out), 30);   /* ten children: out, err, status */
    tool_result_free(&r);
}

START_TEST(no_line_and_identical_output_at_the_default_level)
{
    if (cannot_preload_into_host_programs())
        return;
    char *tmp = prepare("");
    struct tool_result plain = launch("plain", "plain");
    struct tool_result pre = launch("preload", "preload");
    struct tool_result run = launch("run", "run");
    ck_assert_str_eq(plain.out, "app done\nlauncher done\n");
    ck_assert_ptr_null(strstr(pre.err, "sageshim"));
    ck_assert_ptr_null(strstr(run.err, "sageshim"));
    ck_assert_str_eq(pre.out, plain.out);
    ck_assert_str_eq(pre.err, plain.err);
    ck_assert_str_eq(run.out, plain.out);
    ck_assert_str_eq(run.err, plain.err);
    assert_children_identical("plain", "preload");
    assert_children_identical("plain", "run");
    /* git's answer is not polluted (the ComfyUI-Manager case). */
    struct tool_result git = run_shell("cat \"$T/preload/0.out\"");
    ck_assert_ptr_null(strstr(git.out, "sageshim"));
    tool_result_free(&git);
    tool_result_free(&plain);
    tool_result_free(&pre);
    tool_result_free(&run);

    /* Not even the log file is created by processes with nothing to say. */
    struct tool_result quiet = run_shell("mkdir \"$T/q\" && SAGESHIM_LOG=\"$T/quiet.log\" "
                                         "LD_PRELOAD=\"$LIB\" \"$LAUNCHER\" \"$T/q\" && "
                                         "test ! -e \"$T/quiet.log\"");
    ck_assert_msg(quiet.status == 0, "%s", quiet.err);
    tool_result_free(&quiet);

    /* The shim was in every process: at debug level mode off says so in
     * each of them (bash, python, the children and grandchildren). */
    struct tool_result dbg = run_shell("mkdir \"$T/dbg\" && SAGESHIM_MODE=off "
                                       "SAGESHIM_LOG_LEVEL=debug SAGESHIM_LOG=\"$T/debug.log\" "
                                       "LD_PRELOAD=\"$LIB\" \"$LAUNCHER\" \"$T/dbg\" && "
                                       "cat \"$T/debug.log\"");
    ck_assert_int_eq(dbg.status, 0);
    ck_assert_msg(count(dbg.out, "mode off: passing everything through") >= 12, "%s", dbg.out);
    tool_result_free(&dbg);
    assert_children_identical("plain", "dbg");
    remove_temp_dir(tmp);
}
END_TEST

static const char *const BAD_CONF = "[sageshim]\nmdoe = off\ncolour = red\nmode = diagnostic\n";

START_TEST(config_problems_are_printed_once)
{
    if (cannot_preload_into_host_programs())
        return;
    char *tmp = prepare(BAD_CONF);
    struct tool_result plain = launch("plain", "plain");
    struct tool_result pre = launch("preload", "preload");
    /* Three problems, each once, from the first process. */
    ck_assert_msg(count(pre.err, "sageshim[") == 3, "%s", pre.err);
    ck_assert_msg(count(pre.err, "config: ") == 3, "%s", pre.err);
    ck_assert_ptr_nonnull(strstr(pre.err, ":2: unknown key 'mdoe' (did you mean 'mode'?)"));
    ck_assert_ptr_nonnull(strstr(pre.err, ":4: bad value 'diagnostic' for 'mode': "));
    ck_assert_ptr_nonnull(strstr(pre.err, "using 'redirect'"));
    assert_children_identical("plain", "preload");

    /* With the log in a file the problems still reach the console, once. */
    struct tool_result to_file = run_shell("mkdir \"$T/f\" && SAGESHIM_LOG=\"$T/s.log\" "
                                           "LD_PRELOAD=\"$LIB\" \"$LAUNCHER\" \"$T/f\" && "
                                           "cat \"$T/s.log\" >&2");
    ck_assert_int_eq(to_file.status, 0);
    ck_assert_msg(count(to_file.err, "config: ") == 6, "%s", to_file.err);
    ck_assert_msg(count(to_file.err, "unknown key 'mdoe'") == 2, "%s", to_file.err);
    tool_result_free(&to_file);
    assert_children_identical("plain", "f");

    struct tool_result run = launch("run", "run");
    ck_assert_msg(count(run.err, "sageshim run: config: ") == 3, "%s", run.err);
    ck_assert_msg(count(run.err, "sageshim[") == 0, "%s", run.err);
    ck_assert_ptr_nonnull(strstr(run.err, "did you mean 'mode'?"));
    assert_children_identical("plain", "run");
    tool_result_free(&plain);
    tool_result_free(&pre);
    tool_result_free(&run);
    remove_temp_dir(tmp);
}
END_TEST

/* A child given another config reports its own problems. */
START_TEST(a_different_config_is_reported_again)
{
    if (cannot_preload_into_host_programs())
        return;
    char *tmp = prepare(BAD_CONF);
    struct tool_result r = run_shell(
        "printf 'log_levle = debug\\n' > \"$T/other.conf\" && "
        "LD_PRELOAD=\"$LIB\" sh -c 'true; SAGESHIM_CONF=\"$T/other.conf\" sh -c true; true'");
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(count(r.err, "sageshim[") == 4, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown key 'log_levle' (did you mean 'log_level'?)"));
    tool_result_free(&r);
    remove_temp_dir(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_quiet");
    TCase *tc = tcase_create("quiet");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, no_line_and_identical_output_at_the_default_level);
    tcase_add_test(tc, config_problems_are_printed_once);
    tcase_add_test(tc, a_different_config_is_reported_again);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
