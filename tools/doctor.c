/* doctor.c: `sageshim doctor [PATH]` - one screen for a person: GPUs, the
 * preload library, the config in effect, the bundle, and the SageAttention
 * install (its modules, their compatibility with the bundle, the long-
 * sequence fix, and the shadowed-op defect of its Python dispatch) - and one
 * of four answers: healthy, healthy with a repair at run time, nothing to
 * check, or N problems found (doctor.h). */
#include "doctor.h"
#include "child.h"
#include "config/options.h"
#include "pyfind.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void problem(struct findings *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  PROBLEM: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    f->problems++;
}

static void diag_as_problem(void *ctx, const char *file, int line, const char *message)
{
    struct findings *f = ctx;
    char shown[PATH_MAX];
    doctor_pretty_path(file ? file : "?", shown, sizeof shown);
    if (line > 0)
        problem(f, "%s:%d: %s", shown, line, message);
    else
        problem(f, "%s: %s", shown, message);
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

/* ---- preload library and config -------------------------------------- */

static void report_library(struct findings *f, char *libdir, size_t libdir_len)
{
    printf("Preload library\n");
    char lib[PATH_MAX], looked[2 * PATH_MAX + 64];
    if (find_preload_library(lib, sizeof lib, looked, sizeof looked)) {
        printf("  %s\n", lib);
        snprintf(libdir, libdir_len, "%s", lib);
        char *slash = strrchr(libdir, '/');
        if (slash)
            *slash = '\0';
        return;
    }
    problem(f, "libsageshim.so not found (looked at %s): reinstall sageshim", looked);
    char dir[PATH_MAX], above[PATH_MAX + 8];
    if (self_directory(dir, sizeof dir) < 0
        || snprintf(above, sizeof above, "%s/../lib", dir) >= (int)sizeof above)
        libdir[0] = '\0';
    else
        doctor_pretty_path(above, libdir, libdir_len);
}

static void report_config(struct findings *f, const char *libdir, struct ss_config *cfg)
{
    printf("Config\n");
    char path[PATH_MAX];
    char shown[PATH_MAX];
    if (ss_config_find(libdir[0] ? libdir : NULL, env_lookup, path, sizeof path)) {
        doctor_pretty_path(path, shown, sizeof shown);
        printf("  file: %s\n", shown);
    } else
        printf("  file: none found (built-in defaults)\n");
    ss_config_load(cfg, libdir[0] ? libdir : NULL, env_lookup, diag_as_problem, f);
    char archs[64] = "";
    size_t used = 0;
    for (size_t i = 0; i < cfg->narchs && used < sizeof archs; i++)
        used += (size_t)snprintf(archs + used, sizeof archs - used, "%s%u", i ? "," : "",
                                 cfg->archs[i]);
    printf("  mode %s%s, archs %s, repair %s, hotfix %s, bundle %s, log %s\n",
           ss_mode_name(cfg->mode), cfg->dry_run ? " (dry run)" : "", archs[0] ? archs : "none",
           cfg->repair ? "on" : "off", cfg->hotfix ? "on" : "off",
           cfg->bundle && cfg->bundle[0] ? cfg->bundle : "(the installed one)",
           cfg->log ? cfg->log : "stderr");
    /* Values that parse but cannot work (relative paths, empty lists, ...). */
    ss_config_check(cfg, diag_as_problem, f);
}

/* ---- SageAttention --------------------------------------------------- */

/* "sm_90a, compute_90a": each architecture of the module once, in the order
 * of first appearance (every container of a multi-file module repeats them). */
static void module_archs(const struct ss_image *image, char *buf, size_t len)
{
    char seen[32][32];
    size_t nseen = 0, used = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < image->ncontainers; c++) {
        for (size_t e = 0; e < image->containers[c].nentries; e++) {
            char arch[32];
            ss_entry_arch_name(&image->containers[c].entries[e], arch, sizeof arch);
            int repeated = 0;
            for (size_t i = 0; i < nseen; i++)
                repeated |= strcmp(seen[i], arch) == 0;
            if (repeated || nseen == 32 || used >= len)
                continue;
            memcpy(seen[nseen++], arch, sizeof arch);
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", arch);
        }
    }
}

static void check_module(const struct ext_module *mod)
{
    struct ss_image image;
    struct ss_error err;
    if (ss_image_parse(mod->bytes, mod->len, &image, &err) < 0) {
        printf("    %s: no CUDA code\n", mod->name);
        return;
    }
    char archs[256];
    module_archs(&image, archs, sizeof archs);
    printf("    %s (%s): %s\n", mod->name, mod->path, archs[0] ? archs : "no entries");
    ss_image_free(&image);
}

/* The shadowed op found: repaired at run time when the preload library's
 * repair is on (a defect, not a problem), a problem with its remedy when not. */
static void shadowed_op(struct findings *f, const struct ss_config *cfg, const char *path,
                        const char *name, int first, int again)
{
    int repaired = cfg->repair && cfg->mode != SS_MODE_OFF;
    const char *what = "the second definition (the register_fake) replaces the custom op, so "
                       "without the repair this path launches no attention kernel and returns "
                       "garbage";
    if (repaired) {
        printf("  defect: %s: `def %s` at line %d is defined again at line %d: %s\n", path,
               name, first, again, what);
        printf("  repaired at run time: repair = on restores the op in every program started "
               "with `sageshim run` (or with libsageshim.so in LD_PRELOAD); no bundle needed\n");
        f->repaired++;
        return;
    }
    problem(f, "%s: `def %s` at line %d is defined again at line %d: %s", path, name, first,
            again, what);
    printf("  remedy: set repair = on in sageshim.conf (now %s%s) and start programs with "
           "`sageshim run`, or install SageAttention from a commit >= d970424 "
           "(e.g. pip install git+https://github.com/thu-ml/SageAttention@d1a57a5)\n",
           cfg->repair ? "on" : "off", cfg->mode == SS_MODE_OFF ? ", but mode = off" : "");
}

/* The shadowed-op defect: a top-level `def NAME` appearing twice in a
 * *_compile.py, so the register_fake function replaces the custom op. */
static int scan_dispatch_file(struct findings *f, const char *path, const struct ss_config *cfg)
{
    uint8_t *bytes;
    size_t len;
    struct ss_error err;
    if (ss_read_file(path, &bytes, &len, &err) < 0) {
        report_input_error(path, &err);
        return 0;
    }
    enum { MAX_DEFS = 4096 };
    struct { char name[128]; int line; } *defs = calloc(MAX_DEFS, sizeof *defs);
    size_t ndefs = 0;
    int shadowed = 0, line = 1;
    for (size_t at = 0; defs && at < len; line++) {
        size_t end = at;
        while (end < len && bytes[end] != '\n')
            end++;
        const char *s = (const char *)bytes + at;
        size_t n = end - at;
        if (n > 4 && strncmp(s, "def ", 4) == 0) {
            size_t name_len = 0;
            while (4 + name_len < n && name_len < 127
                   && (s[4 + name_len] == '_' || (s[4 + name_len] >= '0' && s[4 + name_len] <= '9')
                       || ((s[4 + name_len] | 0x20) >= 'a' && (s[4 + name_len] | 0x20) <= 'z')))
                name_len++;
            char name[128];
            memcpy(name, s + 4, name_len);
            name[name_len] = '\0';
            for (size_t d = 0; d < ndefs && name_len; d++) {
                if (strcmp(defs[d].name, name) != 0)
                    continue;
                shadowed_op(f, cfg, path, name, defs[d].line, line);
                shadowed = 1;
            }
            if (name_len && ndefs < MAX_DEFS) {
                memcpy(defs[ndefs].name, name, name_len + 1);
                defs[ndefs++].line = line;
            }
        }
        at = end + 1;
    }
    if (!shadowed)
        printf("    %s: no shadowed names\n", path);
    free(defs);
    free(bytes);
    return shadowed;
}

/* The remedy for an import that fails: a missing module is installed into
 * that interpreter; anything else needs the whole traceback. */
static void import_failed(struct findings *f, const char *python, const char *path,
                          const char *why, const char *missing)
{
    if (missing[0])
        problem(f, "sageattention is installed at %s but `import sageattention` fails in %s: %s; "
                "remedy: install the missing module into that Python: %s -m pip install %s",
                path, python, why, python, missing);
    else
        problem(f, "sageattention is installed at %s but `import sageattention` fails in %s: %s; "
                "remedy: run %s -c 'import sageattention' to see the whole error, then "
                "reinstall sageattention (or what the error names) in that Python",
                path, python, why, python);
}

/* Where the package is: asked of the Python that ComfyUI would run
 * (pyfind.h).  Returns 0 with the path; -1 when there is nothing to check
 * (f->not_covered says why) or the interpreter failed (a problem). */
static int find_sageattention(struct findings *f, const char *python_given, unsigned timeout_s,
                              char *path, size_t len)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "/");
    struct py_choice *c = malloc(sizeof *c);
    if (!c) {
        problem(f, "out of memory");
        return -1;
    }
    py_choose(python_given, cwd, c);
    /* Interpreters found but not run: said first, whatever else is used. */
    for (const char *line = c->skipped; *line;) {
        const char *end = strchr(line, '\n');
        printf("  skipped %.*s; if you trust it, pass it with --python\n",
               (int)(end ? end - line : (ptrdiff_t)strlen(line)), line);
        line = end ? end + 1 : line + strlen(line);
    }
    if (!c->found) {
        snprintf(f->not_covered, sizeof f->not_covered,
                 "no ComfyUI interpreter found (looked for python_embeded/, venv/ and .venv/ "
                 "in %s); run doctor from the ComfyUI folder, or pass --python PATH or the "
                 "sageattention package directory", c->looked);
        printf("  %s\n", f->not_covered);
        free(c);
        return -1;
    }
    printf("  python: %s (%s)\n", c->python, c->why);
    char why[2048];
    enum py_located where = py_locate(c->python, timeout_s, path, len, why, sizeof why);
    int rc = -1;
    if (where == PY_DID_NOT_RUN) {
        problem(f, "%s; remedy: check that this interpreter runs, or pass --python PATH", why);
    } else if (where == PY_NOT_INSTALLED) {
        snprintf(f->not_covered, sizeof f->not_covered,
                 "%s; pass --python PATH for the interpreter that runs ComfyUI, or the "
                 "package directory", why);
        printf("  %s\n", f->not_covered);
    } else {
        printf("  %s (%s)\n", path, why);
        char missing[256];
        int imported = py_try_import(c->python, timeout_s, why, sizeof why, missing,
                                     sizeof missing);
        if (imported == 0)
            printf("  imports cleanly\n");
        else if (imported == -1)
            import_failed(f, c->python, path, why, missing);
        else
            problem(f, "`import sageattention` was not checked: %s", why);
        rc = 0;
    }
    free(c);
    return rc;
}

static void report_sageattention(struct findings *f, const char *given, const char *python,
                                 unsigned timeout_s, const struct ss_config *cfg,
                                 const struct doctor_bundles *db,
                                 const struct doctor_gpus *gpus, struct plan_summary *summary)
{
    printf("SageAttention\n");
    char located[PATH_MAX];
    const char *path = located;
    if (given) {
        /* Absolute, as the preload library sees module paths (globs). */
        if (!realpath(given, located)) {
            problem(f, "%s: %s", given, strerror(errno));
            return;
        }
        printf("  %s (given; which Python imports it was not checked)\n", path);
    } else {
        if (find_sageattention(f, python, timeout_s, located, sizeof located) < 0)
            return;
    }
    struct ext_module_list modules;
    struct ss_error err;
    if (collect_modules(path, &modules, &err) < 0) {
        char text[320];
        ss_error_format(&err, text, sizeof text);
        /* Some messages name the path already. */
        if (strncmp(text, path, strlen(path)) == 0)
            problem(f, "%s", text);
        else
            problem(f, "%s: %s", path, text);
        free_modules(&modules);
        return;
    }
    f->covered = 1;
    printf("  extension modules: %zu\n", modules.count);
    for (size_t i = 0; i < modules.count; i++)
        check_module(&modules.items[i]);
    doctor_print_plans(f, cfg, db, gpus, &modules, summary);
    free_modules(&modules);

    printf("  Python dispatch\n");
    char **files;
    size_t nfiles;
    if (find_files(path, "_compile.py", &files, &nfiles, &err) < 0) {
        printf("    cannot list %s\n", path);
        return;
    }
    if (nfiles == 0)
        printf("    no *_compile.py: the op cannot be shadowed\n");
    for (size_t i = 0; i < nfiles; i++)
        scan_dispatch_file(f, files[i], cfg);
    free_paths(files, nfiles);
}

static void report_limits(struct findings *f, const struct plan_summary *summary,
                          const struct ss_config *cfg)
{
    printf("What sageshim cannot fix\n"
           "  a causal attention call one head of which passes 2^32 output elements (~33M "
           "tokens at 128):\n"
           "    no cut can fix it; the repair raises an exception before any kernel runs\n"
           "  NaN for short or non-block-multiple lengths (uninitialized shared memory)\n"
           "  every launch on the legacy default stream\n");
    /* Attention and the Triton kernels past 32-bit offsets: the repair's
     * pieces, on GPUs in archs (README, "Long inputs"). */
    int pieces = cfg->repair && cfg->mode != SS_MODE_OFF;
    printf("Long inputs (32-bit offsets in the attention kernels, the Triton quantizers and "
           "attention): %s\n",
           !f->covered ? "not checked: no SageAttention was found"
           : pieces ? "run in pieces by the repair on GPUs in archs (repair = on)"
                    : "NOT fixed: the repair is off");
    if (f->covered && !pieces)
        problem(f, "long attention and Triton inputs are not run in pieces (%s); remedy: "
                "repair = on and mode = redirect or diagnose",
                cfg->mode == SS_MODE_OFF ? "mode = off" : "repair = off");
    /* Follows the long-sequence verdicts: never "fixed" where they say not. */
    const char *state;
    if (!f->covered)
        state = "not checked: no SageAttention was found";
    else if (summary->fused_checked == 0)
        state = "nothing to fix: this SageAttention has no _fused module";
    else if (summary->fused_fixed == summary->fused_checked)
        state = "fixed by the hotfix (every _fused kernel replaced) and the per-batch split";
    else
        state = "NOT fixed: see the long-sequence fix above";
    printf("Long sequences (32-bit offsets in the _fused kernels, thu-ml #388): %s\n", state);
}

static void doctor_usage(FILE *out)
{
    fprintf(out,
            "usage: sageshim doctor [--python PATH] [--timeout SECONDS] [SAGEATTENTION_DIR]\n"
            "Check the preload library, the configuration, the GPUs, the bundle and the\n"
            "SageAttention install.  The last line is the answer:\n"
            "  doctor: healthy                              exit 0\n"
            "  doctor: healthy: ... repaired at run time    exit 0\n"
            "  doctor: N problems found                     exit 1\n"
            "  doctor: nothing to check: ...                exit 3 (no interpreter or no\n"
            "                                               SageAttention found)\n"
            "Exit 2: usage error.\n"
            "\n"
            "options:\n"
            "  --python PATH       the Python interpreter that runs ComfyUI (run as given).\n"
            "                      Default: python_embeded/bin/python*, python_embeded/python*,\n"
            "                      venv/ or .venv/ in this folder, then in the one above, then\n"
            "                      $VIRTUAL_ENV, then $CONDA_PREFIX; one found this way is run\n"
            "                      only if root or you own it and every directory above it,\n"
            "                      and no one else can write them (sticky ones like /tmp\n"
            "                      excepted); never python3 from PATH\n"
            "  --timeout SECONDS   limit on each interpreter run (default %d); at the limit its\n"
            "                      whole process group is killed\n"
            "  SAGEATTENTION_DIR   inspect this package directory instead of asking Python\n"
            "  -h, --help          this text\n"
            "\n"
            "example:\n"
            "  cd ~/ComfyUI && sageshim doctor\n"
            "  sageshim doctor --python ~/ComfyUI/venv/bin/python\n",
            CHILD_DEFAULT_TIMEOUT);
}

int cmd_doctor(int argc, char **argv)
{
    const char *path = NULL, *python = NULL;
    unsigned timeout_s = CHILD_DEFAULT_TIMEOUT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            doctor_usage(stdout);
            return EXIT_HEALTHY;
        }
        if (strcmp(argv[i], "--python") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '-') {
                fprintf(stderr, "sageshim doctor: --python needs the interpreter's path\n");
                return EXIT_UNREADABLE;
            }
            python = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--timeout") == 0) {
            char *end = NULL;
            long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || !end || *end || v < 1 || v > 3600) {
                fprintf(stderr, "sageshim doctor: --timeout needs a number of seconds, "
                        "1 to 3600\n");
                return EXIT_UNREADABLE;
            }
            timeout_s = (unsigned)v;
            i++;
            continue;
        }
        if (argv[i][0] == '-' || path) {
            fprintf(stderr, "sageshim doctor: unexpected argument '%s'\n", argv[i]);
            doctor_usage(stderr);
            return EXIT_UNREADABLE;
        }
        path = argv[i];
    }
    struct findings f;
    memset(&f, 0, sizeof f);
    struct ss_config cfg;
    char libdir[PATH_MAX];
    struct doctor_gpus gpus;
    struct plan_summary summary;
    memset(&summary, 0, sizeof summary);

    report_library(&f, libdir, sizeof libdir);
    report_config(&f, libdir, &cfg);
    doctor_gpus_query(&gpus);
    doctor_gpus_report(&gpus, &cfg);
    /* Read once: the Bundle section shows them, the plans use them. */
    struct doctor_bundles *db = doctor_bundles_open(&cfg, libdir);
    if (db) {
        doctor_report_bundles(&f, &cfg, db);
        report_sageattention(&f, path, python, timeout_s, &cfg, db, &gpus, &summary);
        doctor_bundles_close(db);
    } else {
        problem(&f, "out of memory");
    }
    report_limits(&f, &summary, &cfg);

    /* Four answers.  Problems first: they are real whatever was checked. */
    int status;
    if (f.problems) {
        if (!f.covered && f.not_covered[0])
            printf("  (and no SageAttention was checked: %s)\n", f.not_covered);
        printf("doctor: %d problem%s found\n", f.problems, f.problems == 1 ? "" : "s");
        status = EXIT_PROBLEM;
    } else if (!f.covered) {
        printf("doctor: nothing to check: %s\n",
               f.not_covered[0] ? f.not_covered : "no SageAttention was found");
        status = EXIT_NOTHING_TO_CHECK;
    } else if (f.repaired) {
        printf("doctor: healthy: SageAttention's shadowed sm90 op is present and repaired at "
               "run time (repair = on); nothing to do\n");
        status = EXIT_HEALTHY;
    } else {
        printf("doctor: healthy\n");
        status = EXIT_HEALTHY;
    }
    ss_config_free(&cfg);
    return status;
}
