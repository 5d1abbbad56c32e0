/* pyfind.c: which Python doctor asks, and what it says about SageAttention.
 *
 * ComfyUI users rarely run the interpreter that is `python3` on PATH: the
 * portable build ships python_embeded/, other installs a venv.  The package
 * is located with importlib.util.find_spec, which reads the file system only
 * (importing sageattention would import torch: seconds, and a CUDA driver);
 * the import itself is tried separately so its real error can be shown.
 * Interpreters run through child.h: time limit, answers on marked lines. */
#include "pyfind.h"
#include "child.h"

#include "base/append.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* python3, python, then python3.N in name order: the names an interpreter
 * directory may hold. */
static int python_rank(const char *name)
{
    if (strcmp(name, "python3") == 0)
        return 0;
    if (strcmp(name, "python") == 0)
        return 1;
    if (strncmp(name, "python3.", 8) != 0 || !name[8])
        return -1;
    for (const char *p = name + 8; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    return 2;
}

/* The best interpreter name in dir ("" when none): first by rank, then by
 * name, so the choice does not depend on readdir's order. */
static void best_python_in(const char *dir, char *name, size_t len)
{
    name[0] = '\0';
    int best = 99;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int rank = python_rank(e->d_name);
        if (rank < 0 || rank > best || (rank == best && strcmp(e->d_name, name) >= 0))
            continue;
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path
            || !is_executable_file(path))
            continue;
        best = rank;
        snprintf(name, len, "%s", e->d_name);
    }
    closedir(d);
}

/* Consider dir/<python*>: 1 when chosen; a refused one goes to skipped. */
static int consider(struct py_choice *c, const char *dir, const char *why_fmt_a,
                    const char *why_b)
{
    char name[256];
    best_python_in(dir, name, sizeof name);
    if (!name[0])
        return 0;
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return 0;
    char reason[PATH_MAX + 200];
    if (!py_interpreter_trusted(path, geteuid(), reason, sizeof reason)) {
        ss_append(c->skipped, sizeof c->skipped, "%s: not run: %s\n", path, reason);
        return 0;
    }
    snprintf(c->python, sizeof c->python, "%s", path);
    snprintf(c->why, sizeof c->why, "%s%s", why_fmt_a, why_b);
    c->found = 1;
    return 1;
}

/* ComfyUI's layouts, relative to its folder or the folder above. */
static const struct {
    const char *sub;
    const char *what;
} layouts[] = {
    { "python_embeded/bin", "python_embeded/ (portable ComfyUI) in " },
    { "python_embeded", "python_embeded/ (portable ComfyUI) in " },
    { "venv/bin", "venv/ in " },
    { ".venv/bin", ".venv/ in " },
};

static int search_folder(struct py_choice *c, const char *folder, const char *role)
{
    ss_append(c->looked, sizeof c->looked, "%s%s (%s)", c->looked[0] ? "; " : "", folder, role);
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        char dir[PATH_MAX], what[PATH_MAX + 96];
        if ((size_t)snprintf(dir, sizeof dir, "%s%s%s", folder,
                             strcmp(folder, "/") == 0 ? "" : "/", layouts[i].sub) >= sizeof dir)
            continue;
        snprintf(what, sizeof what, "%s%s, %s", layouts[i].what, folder, role);
        if (consider(c, dir, what, ""))
            return 1;
    }
    return 0;
}

static int search_env(struct py_choice *c, const char *var, const char *what)
{
    const char *prefix = getenv(var);
    if (!prefix || !prefix[0]) {
        ss_append(c->looked, sizeof c->looked, "; $%s (not set)", var);
        return 0;
    }
    ss_append(c->looked, sizeof c->looked, "; $%s/bin (%s)", var, prefix);
    char dir[PATH_MAX];
    if ((size_t)snprintf(dir, sizeof dir, "%s/bin", prefix) >= sizeof dir)
        return 0;
    return consider(c, dir, what, var);
}

void py_choose(const char *given, const char *start_dir, struct py_choice *c)
{
    memset(c, 0, sizeof *c);
    if (given) {
        snprintf(c->python, sizeof c->python, "%s", given);
        snprintf(c->why, sizeof c->why, "given with --python");
        c->found = 1;
        return;
    }
    if (search_folder(c, start_dir, "the current directory"))
        return;
    /* The parent by name, not "dir/..": paths print as a person reads them. */
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", start_dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
    else if (slash)
        parent[1] = '\0';
    if (strcmp(parent, start_dir) != 0 && search_folder(c, parent, "the parent directory"))
        return;
    if (search_env(c, "VIRTUAL_ENV", "the active virtual environment, $"))
        return;
    search_env(c, "CONDA_PREFIX", "the active conda environment, $");
}

/* Prints one marked line: "location HEX" (the directory's bytes, so any
 * file name survives), or "none", or "error TEXT"; and "version X.Y.Z". */
static const char LOCATE[] =
    "import sys, os\n"
    "def mark(*words):\n"
    "    sys.stdout.write('" CHILD_MARK "' + ' '.join(words) + '\\n')\n"
    "mark('version', sys.version.split()[0])\n"
    "try:\n"
    "    import importlib.util\n"
    "    s = importlib.util.find_spec('sageattention')\n"
    "    if s is None:\n"
    "        mark('none')\n"
    "    else:\n"
    "        d = list(s.submodule_search_locations)[0] if s.submodule_search_locations "
    "else os.path.dirname(s.origin)\n"
    "        mark('location', os.fsencode(d).hex())\n"
    "except Exception as e:\n"
    "    mark('error', (type(e).__name__ + ': ' + str(e)).replace('\\n', ' ')[:500])\n"
    "sys.stdout.flush()\n";

static int unhex(const char *hex, char *out, size_t len)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 >= len)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (char)v;
        if (!out[i])
            return -1;
    }
    out[n / 2] = '\0';
    return 0;
}

static void no_answer(const char *python, unsigned timeout_s, const struct child_result *r,
                      char *why, size_t whylen)
{
    char line[1024];
    child_last_error_line(r, line, sizeof line);
    if (r->timed_out)
        snprintf(why, whylen, "%s did not answer within %u s and was stopped (its whole "
                 "process group killed); pass --timeout SECONDS to wait longer", python,
                 timeout_s);
    else
        snprintf(why, whylen, "%s does not run: %s", python,
                 line[0] ? line : r->started ? "it gave no answer" : "cannot be started");
}

enum py_located py_locate(const char *python, unsigned timeout_s, char *dir, size_t len,
                          char *why, size_t whylen)
{
    char *argv[] = { (char *)python, "-c", (char *)LOCATE, NULL };
    struct child_result *r = malloc(sizeof *r);
    if (!r) {
        snprintf(why, whylen, "out of memory");
        return PY_DID_NOT_RUN;
    }
    child_run(argv, timeout_s, r);
    char answer[12288];
    enum py_located result = PY_DID_NOT_RUN;
    if (r->timed_out || !child_answer(r, "version", answer, sizeof answer)) {
        no_answer(python, timeout_s, r, why, whylen);
    } else if (child_answer(r, "none", answer, sizeof answer)) {
        snprintf(why, whylen, "sageattention is not installed for %s", python);
        result = PY_NOT_INSTALLED;
    } else if (child_answer(r, "location", answer, sizeof answer)) {
        if (unhex(answer, dir, len) == 0)
            result = PY_FOUND;
        else
            snprintf(why, whylen, "%s gave a package directory doctor cannot use", python);
        if (result == PY_FOUND)
            snprintf(why, whylen, "Python %s",
                     child_answer(r, "version", answer, sizeof answer) ? answer : "?");
    } else if (child_answer(r, "error", answer, sizeof answer)) {
        snprintf(why, whylen, "%s cannot look for sageattention: %s", python, answer);
    } else {
        no_answer(python, timeout_s, r, why, whylen);
    }
    free(r);
    return result;
}

/* "import-ok", or "import-failed TEXT" and, for a missing module,
 * "missing NAME". */
static const char IMPORT[] =
    "import sys\n"
    "def mark(*words):\n"
    "    sys.stdout.write('" CHILD_MARK "' + ' '.join(words) + '\\n')\n"
    "    sys.stdout.flush()\n"
    "try:\n"
    "    import sageattention\n"
    "except BaseException as e:\n"
    "    mark('import-failed', (type(e).__name__ + ': ' + str(e)).replace('\\n', ' ')[:800])\n"
    "    name = getattr(e, 'name', None) if isinstance(e, ImportError) else None\n"
    "    if name:\n"
    "        mark('missing', str(name).split('.')[0])\n"
    "else:\n"
    "    mark('import-ok')\n";

int py_try_import(const char *python, unsigned timeout_s, char *why, size_t whylen,
                  char *missing, size_t missing_len)
{
    missing[0] = '\0';
    char *argv[] = { (char *)python, "-c", (char *)IMPORT, NULL };
    struct child_result *r = malloc(sizeof *r);
    if (!r) {
        snprintf(why, whylen, "out of memory");
        return -2;
    }
    child_run(argv, timeout_s, r);
    char answer[1024];
    int rc = -2;
    if (!r->timed_out && child_answer(r, "import-ok", answer, sizeof answer)) {
        rc = 0;
    } else if (!r->timed_out && child_answer(r, "import-failed", answer, sizeof answer)) {
        snprintf(why, whylen, "%s", answer);
        if (!child_answer(r, "missing", missing, missing_len))
            missing[0] = '\0';
        rc = -1;
    } else {
        no_answer(python, timeout_s, r, why, whylen);
    }
    free(r);
    return rc;
}
