/* toolrun.h: run the built `sageshim` command as a subprocess and keep its
 * exit status and output, for the command-line suites. */
#ifndef SAGESHIM_TESTS_TOOLRUN_H
#define SAGESHIM_TESTS_TOOLRUN_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct tool_result {
    int status;      /* exit status, or 128 + signal */
    char *out;       /* stdout, NUL-terminated */
    char *err;       /* stderr */
};

/* $BUILD/sageshim (the build directory run-checks.sh exports), absolute so
 * scripts may change directory. */
static inline const char *sageshim_path(void)
{
    static char path[4096];
    const char *build = getenv("BUILD");
    char *dir = realpath(build && *build ? build : "build", NULL);
    snprintf(path, sizeof path, "%s/sageshim", dir ? dir : "build");
    free(dir);
    return path;
}

static inline char *slurp_stream(FILE *f)
{
    fflush(f);
    long len = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
    if (text && len > 0 && fread(text, 1, (size_t)len, f) != (size_t)len)
        text[0] = '\0';
    fclose(f);
    return text;
}

/* Run argv (argv[0] looked up in PATH) with stdout and stderr captured. */
static inline struct tool_result run_program(char *const argv[])
{
    struct tool_result r = { -1, NULL, NULL };
    FILE *out = tmpfile(), *err = tmpfile();
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(err);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fseek(out, 0, SEEK_END);
    fseek(err, 0, SEEK_END);
    r.out = slurp_stream(out);
    r.err = slurp_stream(err);
    ck_assert_ptr_nonnull(r.out);
    ck_assert_ptr_nonnull(r.err);
    return r;
}

/* Run `sh -c SCRIPT` with $SAGESHIM set to the built command. */
static inline struct tool_result run_shell(const char *script)
{
    setenv("SAGESHIM", sageshim_path(), 1);
    char *argv[] = { "sh", "-c", (char *)script, NULL };
    return run_program(argv);
}

static inline void tool_result_free(struct tool_result *r)
{
    free(r->out);
    free(r->err);
}

/* A fresh empty directory under $TMPDIR (or /tmp); removed by the caller. */
static inline char *make_temp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *path = malloc(4096);
    ck_assert_ptr_nonnull(path);
    snprintf(path, 4096, "%s/sageshim-tools-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(path));
    return path;
}

static inline void remove_temp_dir(char *path)
{
    char *argv[] = { "rm", "-rf", path, NULL };
    struct tool_result r = run_program(argv);
    tool_result_free(&r);
    free(path);
}

#endif
