/* run.c: `sageshim run [--mode M] [--log FILE] [--conf FILE] -- CMD [ARGS...]`
 * - start a program with the preload library in LD_PRELOAD.  The program
 * replaces this process (exec), so its arguments, exit status and signals
 * are its own. */
#include "tools.h"
#include "config/options.h"
#include "config/report_once.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: sageshim run [OPTIONS] [--] CMD [ARGS...]\n"
            "Run CMD (and every process it starts) with libsageshim.so preloaded.\n"
            "Problems in the configuration are printed here, once, before CMD starts.\n"
            "\n"
            "options:\n"
            "  --mode MODE   redirect, diagnose or off for this run (SAGESHIM_MODE)\n"
            "  --log FILE    write the shim's lines to FILE instead of stderr (SAGESHIM_LOG)\n"
            "  --conf FILE   use this sageshim.conf (SAGESHIM_CONF)\n"
            "  -h, --help    this text\n"
            "\n"
            "example:\n"
            "  sageshim run -- ./run_nvidia_gpu.sh\n"
            "  sageshim run --mode diagnose --log /tmp/sageshim.log -- python main.py\n");
}

/* 1 when `list` (LD_PRELOAD: separated by ':' or spaces) already names lib. */
static int preload_has(const char *list, const char *lib)
{
    size_t n = strlen(lib);
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ": ");
        if (len == n && strncmp(p, lib, n) == 0)
            return 1;
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

static int set_preload(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    if (!old || !*old)
        return setenv("LD_PRELOAD", lib, 1);
    if (preload_has(old, lib))
        return 0;
    size_t need = strlen(lib) + strlen(old) + 2;
    char *value = malloc(need);
    if (!value)
        return -1;
    snprintf(value, need, "%s:%s", lib, old);
    int rc = setenv("LD_PRELOAD", value, 1);
    free(value);
    return rc;
}

static int valid_mode(const char *mode)
{
    return strcmp(mode, "redirect") == 0 || strcmp(mode, "diagnose") == 0
           || strcmp(mode, "off") == 0;
}

/* A path the child can still use after changing directory. */
static int set_path_variable(const char *name, const char *path)
{
    if (path[0] == '/' || strcmp(path, "stderr") == 0)
        return setenv(name, path, 1);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return setenv(name, path, 1);
    size_t need = strlen(cwd) + strlen(path) + 2;
    char *full = malloc(need);
    if (!full)
        return -1;
    snprintf(full, need, "%s/%s", cwd, path);
    int rc = setenv(name, full, 1);
    free(full);
    return rc;
}

struct run_problems {
    int count;
    uint64_t hash;
};

static void print_problem(void *ctx, const char *file, int line, const char *message)
{
    struct run_problems *p = ctx;
    char text[SS_PROBLEM_LINE_MAX];
    ss_problem_line(text, sizeof text, file, line, message);
    fprintf(stderr, "sageshim run: config: %s\n", text);
    p->hash = ss_report_hash_add(p->hash, text);
    p->count++;
}

static void print_check(void *ctx, const char *file, int line, const char *message)
{
    (void)ctx;
    char text[1024];
    ss_problem_line(text, sizeof text, file, line, message);
    fprintf(stderr, "sageshim run: config: %s\n", text);
}

static const char *plain_getenv(const char *name)
{
    return getenv(name);
}

/* Read the configuration the program will read (same environment, same
 * library directory) and print its problems before the program starts.  The
 * marker tells the preloaded processes they were reported (report_once.h). */
static void report_config(const char *lib)
{
    char libdir[PATH_MAX];
    snprintf(libdir, sizeof libdir, "%s", lib);
    char *slash = strrchr(libdir, '/');
    if (slash)
        *slash = '\0';
    struct run_problems p = { 0, SS_REPORT_HASH_START };
    struct ss_config cfg;
    ss_config_load(&cfg, slash ? libdir : NULL, plain_getenv, print_problem, &p);
    /* Checks the library does not make (relative paths, empty lists). */
    ss_config_check(&cfg, print_check, NULL);
    ss_config_free(&cfg);
    if (p.count) {
        char marker[17];
        ss_report_marker(p.hash, marker);
        setenv(SS_REPORTED_ENV, marker, 1);
    }
}

int cmd_run(int argc, char **argv)
{
    const char *mode = NULL, *log = NULL, *conf = NULL;
    int command = argc;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            command = i + 1;
            break;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            run_usage(stdout);
            return EXIT_HEALTHY;
        }
        const char **target = strcmp(arg, "--mode") == 0 ? &mode
                            : strcmp(arg, "--log") == 0 ? &log
                            : strcmp(arg, "--conf") == 0 ? &conf : NULL;
        if (target) {
            /* "--log -- cmd" must not create a log file named "--". */
            if (i + 1 >= argc || argv[i + 1][0] == '-' || argv[i + 1][0] == '\0') {
                fprintf(stderr, "sageshim run: %s needs a value%s\n", arg,
                        i + 1 < argc && argv[i + 1][0] == '-'
                            ? " (a file whose name starts with '-' is written ./-name)" : "");
                run_usage(stderr);
                return EXIT_UNREADABLE;
            }
            *target = argv[++i];
            continue;
        }
        if (arg[0] == '-') {
            fprintf(stderr, "sageshim run: unknown option or missing value: %s\n", arg);
            run_usage(stderr);
            return EXIT_UNREADABLE;
        }
        command = i;   /* no "--": the command starts at the first non-option */
        break;
    }
    if (command >= argc) {
        run_usage(stderr);
        return EXIT_UNREADABLE;
    }
    if (mode && !valid_mode(mode)) {
        fprintf(stderr, "sageshim run: --mode must be redirect, diagnose or off, not '%s'\n", mode);
        return EXIT_UNREADABLE;
    }
    if (conf && access(conf, R_OK) != 0) {
        fprintf(stderr, "sageshim run: --conf %s: %s\n", conf, strerror(errno));
        return EXIT_UNREADABLE;
    }
    char lib[PATH_MAX], looked[2 * PATH_MAX + 64];
    if (!find_preload_library(lib, sizeof lib, looked, sizeof looked)) {
        fprintf(stderr, "sageshim run: libsageshim.so not found (looked at %s); "
                        "set SAGESHIM_LIBRARY to its path\n", looked);
        return 127;
    }
    /* The loader splits LD_PRELOAD at spaces and colons: "/opt/my tools/lib"
     * would preload "/opt/my", whatever library sits there. */
    if (lib[strcspn(lib, ": \t\n")] != '\0') {
        fprintf(stderr, "sageshim run: the preload library's path %s contains a space or a colon, "
                        "which LD_PRELOAD cannot hold (the loader would split it and load "
                        "another file); install sageshim under a path without them or set "
                        "SAGESHIM_LIBRARY to such a path\n", ss_printable_str(lib));
        return EXIT_UNREADABLE;
    }
    int rc = set_preload(lib);
    if (rc == 0 && mode)
        rc = setenv("SAGESHIM_MODE", mode, 1);
    if (rc == 0 && log)
        rc = set_path_variable("SAGESHIM_LOG", log);
    if (rc == 0 && conf)
        rc = set_path_variable("SAGESHIM_CONF", conf);
    if (rc != 0) {
        fprintf(stderr, "sageshim run: cannot set the environment: %s\n", strerror(errno));
        return EXIT_UNREADABLE;
    }
    report_config(lib);
    fflush(NULL);
    execvp(argv[command], argv + command);
    int saved = errno;
    fprintf(stderr, "sageshim run: %s: %s\n", argv[command], strerror(saved));
    /* The shell's convention: 126 found but not runnable, 127 not found. */
    return saved == ENOENT ? 127 : 126;
}
