/* options.c: the option table and what each kind of value means (options.h). */
#include "options.h"
#include "base/append.h"
#include "arch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define FIELD(name) offsetof(struct ss_config, name)

const struct ss_option ss_options[] = {
    { "mode", "SAGESHIM_MODE", SS_OPT_MODE, FIELD(mode), 0, "redirect", NULL,
      "redirect (corrected kernels for watched modules), diagnose (the same, plus launch "
      "lines and a summary) or off" },
    { "dry_run", "SAGESHIM_DRY_RUN", SS_OPT_BOOL, FIELD(dry_run), 0, "no", NULL,
      "decide and log as in redirect mode, but load the original code" },
    { "archs", "SAGESHIM_ARCHS", SS_OPT_ARCHS, FIELD(archs), FIELD(narchs), "90, 120", NULL,
      "target GPU architectures (90, 9.0, sm_90 or sm_90a): the only devices where the shim "
      "redirects, hotfixes or runs long inputs in pieces" },
    { "modules", NULL, SS_OPT_GLOBS, FIELD(modules), FIELD(nmodules),
      "*/sageattention/_qattn_sm90*.so */sageattention/_qattn_sm89*.so",
      "no library is redirected",
      "globs on the path of the library owning CUDA code: redirected from the bundle" },
    { "observe", NULL, SS_OPT_GLOBS, FIELD(observe), FIELD(nobserve),
      "*/sageattention/_fused*.so", NULL,
      "globs of libraries whose launches diagnose counts, never redirected" },
    { "bundle", "SAGESHIM_BUNDLE", SS_OPT_DIR, FIELD(bundle), 0, "", NULL,
      "directory of a bundle (with its MANIFEST); empty: the one installed with the library" },
    { "hotfix", "SAGESHIM_HOTFIX", SS_OPT_BOOL, FIELD(hotfix), 0, "on", NULL,
      "replace kernels of hotfix_modules by the bundle's corrected kernels of the same name" },
    { "hotfix_modules", NULL, SS_OPT_GLOBS, FIELD(hotfix_modules), FIELD(nhotfix_modules),
      "*/sageattention/_fused*.so", "no kernel is hotfixed (hotfix = off says so plainly)",
      "globs of libraries whose kernels may be hotfixed" },
    { "repair", "SAGESHIM_REPAIR", SS_OPT_BOOL, FIELD(repair), 0, "on", NULL,
      "restore the sm90 attention op that SageAttention's import order shadows, and run "
      "attention and quantizer calls whose offsets pass 32 bits as pieces that fit" },
    { "repair_modules", NULL, SS_OPT_PY_MODULES, FIELD(repair_modules),
      FIELD(nrepair_modules),
      "sageattention._qattn_sm90 sageattention._qattn_sm89 sageattention._qattn_sm80 "
      "sageattention._fused",
      "nothing is repaired (repair = off says so plainly)",
      "Python extension modules the repair watches (their functions, and the package's "
      "Triton kernels, run long inputs in pieces)" },
    { "log", "SAGESHIM_LOG", SS_OPT_LOG, FIELD(log), 0, "stderr", NULL,
      "where to log: stderr or an absolute file path" },
    { "log_level", "SAGESHIM_LOG_LEVEL", SS_OPT_LOG_LEVEL, FIELD(log_level), 0, "info", NULL,
      "error, warn, info or debug" },
};
const size_t ss_noptions = sizeof ss_options / sizeof ss_options[0];

const struct ss_option *ss_option_find(const char *key)
{
    for (size_t i = 0; i < ss_noptions; i++)
        if (strcmp(ss_options[i].key, key) == 0)
            return &ss_options[i];
    return NULL;
}

/* ---- "Did you mean" ---------------------------------------------------- */

static char fold(char c)
{
    c = (char)tolower((unsigned char)c);
    return c == '-' ? '_' : c;
}

/* Edit distance with adjacent transpositions ("mdoe" is one edit from
 * "mode"), case and '-'/'_' folded.  Keys are short: longer input is far. */
static size_t distance(const char *a, const char *b)
{
    enum { MAX = 32 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAX || lb >= MAX)
        return MAX;
    size_t d[MAX + 1][MAX + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = fold(a[i - 1]) != fold(b[j - 1]);
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
                fold(a[i - 2]) == fold(b[j - 1]) && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *ss_option_nearest(const char *key)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < ss_noptions; i++) {
        size_t d = distance(key, ss_options[i].key);
        if (d < best_d) {
            best_d = d;
            best = ss_options[i].key;
        }
    }
    /* Close: at most a third of the key's letters wrong (one for short keys). */
    size_t len = strlen(key);
    size_t limit = len / 3 > 1 ? len / 3 : 1;
    return best && best_d <= limit ? best : NULL;
}

/* ---- Values ------------------------------------------------------------ */

static void *at(struct ss_config *cfg, size_t offset)
{
    return (char *)cfg + offset;
}

static const void *at_const(const struct ss_config *cfg, size_t offset)
{
    return (const char *)cfg + offset;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "yes", "true", "1", "on" };
    static const char *const no[] = { "no", "false", "0", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static const char *const mode_names[] = { "redirect", "diagnose", "off" };
static const char *const level_names[] = { "error", "warn", "info", "debug" };

static int set_named(int *field, const char *v, const char *const *names, size_t n,
                     const char *expected, char *why, size_t whylen)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(v, names[i]) == 0) {
            *field = (int)i;
            return 0;
        }
    }
    snprintf(why, whylen, "expected %s", expected);
    return -1;
}

static int is_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

static void free_list(char **list, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free(list[i]);
        list[i] = NULL;
    }
    *n = 0;
}

/* Replace a list; items beyond SS_MAX_PATTERNS are dropped and reported.
 * An empty value empties the list. */
static int set_list(char **list, size_t *count, const char *v, char *why, size_t whylen)
{
    char *fresh[SS_MAX_PATTERNS];
    size_t n = 0, dropped = 0;
    const char *p = v;

    while (*p) {
        while (*p && is_separator(*p))
            p++;
        const char *start = p;
        while (*p && !is_separator(*p))
            p++;
        if (p == start)
            break;
        if (n == SS_MAX_PATTERNS) {
            dropped++;
            continue;
        }
        fresh[n] = strndup(start, (size_t)(p - start));
        if (!fresh[n]) {
            for (size_t i = 0; i < n; i++)
                free(fresh[i]);
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        n++;
    }
    free_list(list, count);
    for (size_t i = 0; i < n; i++)
        list[i] = fresh[i];
    *count = n;
    if (dropped) {
        snprintf(why, whylen, "%zu patterns beyond the limit of %d ignored", dropped,
                 SS_MAX_PATTERNS);
        return 1;
    }
    return 0;
}

static int set_string(char **field, const char *v, char *why, size_t whylen)
{
    char *copy = strdup(v);
    if (!copy) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    free(*field);
    *field = copy;
    return 0;
}

int ss_option_set(struct ss_config *cfg, const struct ss_option *opt, const char *v, char *why,
                  size_t whylen)
{
    void *field = at(cfg, opt->field);
    switch (opt->kind) {
    case SS_OPT_MODE: {
        int m;
        if (set_named(&m, v, mode_names, 3, "redirect, diagnose or off", why, whylen) < 0)
            return -1;
        *(enum ss_mode *)field = (enum ss_mode)m;
        return 0;
    }
    case SS_OPT_LOG_LEVEL: {
        int l;
        if (strcasecmp(v, "warning") == 0)
            v = "warn";
        if (set_named(&l, v, level_names, 4, "error, warn, info or debug", why, whylen) < 0)
            return -1;
        *(enum ss_log_level *)field = (enum ss_log_level)l;
        return 0;
    }
    case SS_OPT_BOOL:
        if (parse_bool(v, field) != 0) {
            snprintf(why, whylen, "expected yes/no, true/false, on/off or 1/0");
            return -1;
        }
        return 0;
    case SS_OPT_ARCHS: {
        unsigned archs[SS_MAX_ARCHS];
        size_t n;
        if (ss_parse_arch_list(v, archs, SS_MAX_ARCHS, &n, why, whylen) != 0)
            return -1;
        memcpy(field, archs, n * sizeof archs[0]);
        *(size_t *)at(cfg, opt->count) = n;
        return 0;
    }
    case SS_OPT_GLOBS:
    case SS_OPT_PY_MODULES:
        return set_list(field, at(cfg, opt->count), v, why, whylen);
    case SS_OPT_LOG:
        if (!*v) {
            snprintf(why, whylen, "expected stderr or a file path");
            return -1;
        }
        return set_string(field, v, why, whylen);
    case SS_OPT_DIR:
        /* Empty is allowed: it means the default next to the library. */
        return set_string(field, v, why, whylen);
    }
    snprintf(why, whylen, "unknown kind of option");
    return -1;
}

void ss_option_format(const struct ss_config *cfg, const struct ss_option *opt, char *buf,
                      size_t len)
{
    const void *field = at_const(cfg, opt->field);
    if (len == 0)
        return;
    buf[0] = '\0';
    switch (opt->kind) {
    case SS_OPT_MODE: {
        unsigned m = (unsigned)*(const enum ss_mode *)field;
        snprintf(buf, len, "%s", m < 3 ? mode_names[m] : "?");
        return;
    }
    case SS_OPT_LOG_LEVEL: {
        unsigned l = (unsigned)*(const enum ss_log_level *)field;
        snprintf(buf, len, "%s", l < 4 ? level_names[l] : "?");
        return;
    }
    case SS_OPT_BOOL: {
        /* The word the shipped file uses for this option's default. */
        int on = *(const int *)field;
        int onoff = strcmp(opt->default_value, "on") == 0 || strcmp(opt->default_value, "off") == 0;
        snprintf(buf, len, "%s", onoff ? (on ? "on" : "off") : (on ? "yes" : "no"));
        return;
    }
    case SS_OPT_ARCHS: {
        const unsigned *archs = field;
        size_t n = *(const size_t *)at_const(cfg, opt->count);
        for (size_t i = 0; i < n; i++)
            ss_append(buf, len, "%s%u", i ? ", " : "", archs[i]);
        return;
    }
    case SS_OPT_GLOBS:
    case SS_OPT_PY_MODULES: {
        char *const *list = field;
        size_t n = *(const size_t *)at_const(cfg, opt->count);
        for (size_t i = 0; i < n; i++)
            ss_append(buf, len, "%s%s", i ? " " : "", list[i]);
        return;
    }
    case SS_OPT_LOG:
    case SS_OPT_DIR: {
        const char *s = *(char *const *)field;
        snprintf(buf, len, "%s", s ? s : "");
        return;
    }
    }
}

void ss_option_free(struct ss_config *cfg, const struct ss_option *opt)
{
    switch (opt->kind) {
    case SS_OPT_GLOBS:
    case SS_OPT_PY_MODULES:
        free_list(at(cfg, opt->field), at(cfg, opt->count));
        return;
    case SS_OPT_LOG:
    case SS_OPT_DIR: {
        char **s = at(cfg, opt->field);
        free(*s);
        *s = NULL;
        return;
    }
    default:
        return;
    }
}

/* ---- Checks beyond parsing --------------------------------------------- */

static int is_python_name(const char *s)
{
    /* Dotted identifiers: "sageattention._qattn_sm90". */
    int at_start = 1;
    for (; *s; s++) {
        if (*s == '.') {
            if (at_start)
                return 0;
            at_start = 1;
            continue;
        }
        int letter = isalpha((unsigned char)*s) || *s == '_';
        if (!letter && (at_start || !isdigit((unsigned char)*s)))
            return 0;
        at_start = 0;
    }
    return !at_start;
}

static int check_option(const struct ss_config *cfg, const struct ss_option *opt,
                        ss_diag_fn diag, void *ctx)
{
    const char *file = cfg->source ? cfg->source : "(config)";
    const void *field = at_const(cfg, opt->field);
    int problems = 0;
    switch (opt->kind) {
    case SS_OPT_GLOBS:
    case SS_OPT_PY_MODULES: {
        char *const *list = field;
        size_t n = *(const size_t *)at_const(cfg, opt->count);
        if (n == 0 && opt->if_empty) {
            ss_diag(diag, ctx, file, 0, "%s is empty: %s", opt->key, opt->if_empty);
            problems++;
        }
        for (size_t i = 0; i < n; i++) {
            if (opt->kind == SS_OPT_PY_MODULES && !is_python_name(list[i])) {
                ss_diag(diag, ctx, file, 0,
                        "%s: '%s' is not a Python module name (expected e.g. "
                        "sageattention._qattn_sm90)", opt->key, list[i]);
                problems++;
            }
            /* Globs are matched against a library's full path. */
            if (opt->kind == SS_OPT_GLOBS && list[i][0] != '/' && list[i][0] != '*') {
                ss_diag(diag, ctx, file, 0,
                        "%s: '%s' can never match: patterns match a library's full path "
                        "(write */%s)", opt->key, list[i], list[i]);
                problems++;
            }
        }
        return problems;
    }
    case SS_OPT_DIR: {
        const char *s = *(char *const *)field;
        if (s && *s && s[0] != '/') {
            ss_diag(diag, ctx, file, 0,
                    "%s = %s is a relative path: each program would look for it from its own "
                    "working directory; write an absolute path", opt->key, s);
            return 1;
        }
        return 0;
    }
    case SS_OPT_LOG: {
        const char *s = *(char *const *)field;
        if (!s || strcmp(s, "stderr") == 0)
            return 0;
        if (s[0] != '/') {
            ss_diag(diag, ctx, file, 0,
                    "%s = %s is a relative path: each program would write it in its own "
                    "working directory; write an absolute path", opt->key, s);
            return 1;
        }
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", s);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else if (slash)
            *slash = '\0';
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            ss_diag(diag, ctx, file, 0,
                    "%s = %s: directory %s does not exist; lines would go to stderr", opt->key,
                    s, dir);
            return 1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

int ss_config_check(const struct ss_config *cfg, ss_diag_fn diag, void *ctx)
{
    int problems = 0;
    for (size_t i = 0; i < ss_noptions; i++)
        problems += check_option(cfg, &ss_options[i], diag, ctx);
    return problems;
}

_Static_assert(sizeof ss_options / sizeof ss_options[0] <= SS_MAX_OPTIONS,
               "the config parser tracks at most SS_MAX_OPTIONS keys");
