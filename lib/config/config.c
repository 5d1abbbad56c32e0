/* config.c: sageshim.conf, its defaults and the SAGESHIM_* environment.
 *
 * This runs inside the preload library's constructor, before the host
 * program's main(): no stdio, no global state, the environment only through
 * the function the caller passes, every problem reported through diag. */
#include "config.h"
#include "base/append.h"
#include "options.h"
#include "base/trust.h"
#include "base/file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONFIG_BYTES (1024 * 1024)

void ss_config_defaults(struct ss_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    /* The defaults are the table's default texts, parsed like a file's. */
    for (size_t i = 0; i < ss_noptions; i++) {
        char why[256];
        ss_option_set(cfg, &ss_options[i], ss_options[i].default_value, why, sizeof why);
    }
    cfg->source = strdup("(defaults)");
}

void ss_config_free(struct ss_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < ss_noptions; i++)
        ss_option_free(cfg, &ss_options[i]);
    free(cfg->source);
    cfg->source = NULL;
}

const char *ss_mode_name(enum ss_mode mode)
{
    switch (mode) {
    case SS_MODE_REDIRECT: return "redirect";
    case SS_MODE_DIAGNOSE: return "diagnose";
    case SS_MODE_OFF: return "off";
    }
    return "unknown";
}

static void replace_string(char **field, const char *value)
{
    char *copy = strdup(value);
    /* On allocation failure the old value stays: better than NULL. */
    if (copy) {
        free(*field);
        *field = copy;
    }
}

/* ---- The file -------------------------------------------------------- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Comments start at '#' or ';' at the beginning of a line or after a blank,
 * so "log = /tmp/a#b" keeps its '#'. */
static void strip_comment(char *s)
{
    for (char *p = s; *p; p++) {
        if ((*p == '#' || *p == ';') && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            return;
        }
    }
}

struct parse_state {
    struct ss_config *cfg;
    const char *file;
    ss_diag_fn diag;
    void *ctx;
    int problems;
    int in_sageshim;          /* keys before any header count as [sageshim] */
    int set_on_line[SS_MAX_OPTIONS];   /* line that last set each key, 0 = none */
};

static void problem(struct parse_state *st, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct parse_state *st, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ss_vdiag(st->diag, st->ctx, st->file, line, fmt, ap);
    va_end(ap);
    st->problems++;
}

static void parse_section(struct parse_state *st, char *s, int line)
{
    char *close = strchr(s, ']');
    if (!close || *trim(close + 1) != '\0') {
        problem(st, line, "malformed section header '%s'", s);
        st->in_sageshim = 0;
        return;
    }
    *close = '\0';
    char *name = trim(s + 1);
    st->in_sageshim = strcmp(name, "sageshim") == 0;
    if (!st->in_sageshim)
        problem(st, line, "unknown section '[%s]'; its keys are ignored", name);
}

static void parse_assignment(struct parse_state *st, char *s, int line)
{
    char *eq = strchr(s, '=');
    if (!eq) {
        problem(st, line, "expected 'key = value', got '%s'", s);
        return;
    }
    *eq = '\0';
    char *key = trim(s);
    char *value = trim(eq + 1);
    if (!*key) {
        problem(st, line, "missing key before '='");
        return;
    }
    if (!st->in_sageshim)
        return;   /* reported once, at the section header */

    const struct ss_option *opt = ss_option_find(key);
    if (!opt) {
        const char *near = ss_option_nearest(key);
        if (near)
            problem(st, line, "unknown key '%s' (did you mean '%s'?)", key, near);
        else
            problem(st, line, "unknown key '%s'", key);
        return;
    }
    size_t k = (size_t)(opt - ss_options);
    char why[256] = "";
    int r = ss_option_set(st->cfg, opt, value, why, sizeof why);
    if (r < 0) {
        char kept[256];
        ss_option_format(st->cfg, opt, kept, sizeof kept);
        problem(st, line, "bad value '%s' for '%s': %s; using '%s'", value, key, why, kept);
        return;
    }
    if (r > 0)
        problem(st, line, "%s: %s", key, why);
    if (st->set_on_line[k])
        problem(st, line, "duplicate key '%s' (line %d wins)", key, line);
    st->set_on_line[k] = line;
}

int ss_config_parse(struct ss_config *cfg, const char *text, size_t len,
                    const char *filename, ss_diag_fn diag, void *ctx)
{
    struct parse_state st = { .cfg = cfg, .file = filename ? filename : "(config)",
                              .diag = diag, .ctx = ctx, .in_sageshim = 1 };
    size_t pos = 0;
    int line = 0;

    /* A UTF-8 byte order mark some editors write. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line++;
        size_t n = end - pos;
        char *buf = malloc(n + 1);
        if (!buf) {
            ss_diag(diag, ctx, st.file, line, "out of memory");
            return st.problems + 1;
        }
        memcpy(buf, text + pos, n);
        buf[n] = '\0';
        if (memchr(text + pos, '\0', n)) {
            problem(&st, line, "line contains a NUL byte; ignored");
        } else {
            strip_comment(buf);
            char *s = trim(buf);
            if (*s == '[')
                parse_section(&st, s, line);
            else if (*s)
                parse_assignment(&st, s, line);
        }
        free(buf);
        pos = end + 1;
    }
    return st.problems;
}

/* ---- The environment ------------------------------------------------- */

int ss_config_apply_env(struct ss_config *cfg, const char *(*getenv_fn)(const char *),
                        ss_diag_fn diag, void *ctx)
{
    int problems = 0;

    if (!getenv_fn)
        return 0;
    for (size_t i = 0; i < ss_noptions; i++) {
        const struct ss_option *opt = &ss_options[i];
        const char *raw = opt->env ? getenv_fn(opt->env) : NULL;
        if (!raw || !*raw)
            continue;
        /* Trim a copy: "SAGESHIM_MODE=' off'" is a plain typo. */
        char *copy = strdup(raw);
        if (!copy) {
            ss_diag(diag, ctx, "environment", 0, "%s: out of memory", opt->env);
            problems++;
            continue;
        }
        char *value = trim(copy);
        char why[256] = "";
        if (ss_option_set(cfg, opt, value, why, sizeof why) < 0) {
            char kept[256];
            ss_option_format(cfg, opt, kept, sizeof kept);
            ss_diag(diag, ctx, "environment", 0, "bad value '%s' for %s: %s; using '%s'", value,
                    opt->env, why, kept);
            problems++;
        }
        free(copy);
    }
    return problems;
}

/* ---- Finding and loading --------------------------------------------- */

static int is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *env(const char *(*getenv_fn)(const char *), const char *name)
{
    const char *v = getenv_fn ? getenv_fn(name) : NULL;
    return v && *v ? v : NULL;
}

int ss_config_candidate(int i, const char *libdir, const char *(*getenv_fn)(const char *),
                     char *path, size_t len)
{
    int n;
    const char *v;
    switch (i) {
    case 0:
        v = env(getenv_fn, "SAGESHIM_CONF");
        if (!v)
            return 0;
        n = snprintf(path, len, "%s", v);
        break;
    case 1:
        if ((v = env(getenv_fn, "XDG_CONFIG_HOME")) != NULL)
            n = snprintf(path, len, "%s/sageshim/sageshim.conf", v);
        else if ((v = env(getenv_fn, "HOME")) != NULL)
            n = snprintf(path, len, "%s/.config/sageshim/sageshim.conf", v);
        else
            return 0;
        break;
    case 2:
        /* The administrator's file before the installed default: installing
         * must not make /etc/sageshim.conf dead. */
        n = snprintf(path, len, "/etc/sageshim.conf");
        break;
    case 3:
        if (!libdir || !*libdir)
            return 0;
        n = snprintf(path, len, "%s/../etc/sageshim.conf", libdir);
        break;
    default:
        return -1;
    }
    return n > 0 && (size_t)n < len;
}

int ss_config_find(const char *libdir, const char *(*getenv_fn)(const char *),
                   char *path, size_t len)
{
    for (int i = 0;; i++) {
        int r = ss_config_candidate(i, libdir, getenv_fn, path, len);
        if (r < 0)
            break;
        if (r > 0 && is_regular_file(path))
            return 1;
    }
    if (len > 0)
        path[0] = '\0';
    return 0;
}

/* Read a whole (small) file (file.h: open/read only, never blocks, trust
 * checked on the descriptor).  Returns the text (NUL added) or NULL with
 * the reason in why. */
static char *read_small_file(const char *path, const struct ss_trust *trust, size_t *len,
                             char *why, size_t whylen)
{
    struct ss_file_rules rules = { .max = MAX_CONFIG_BYTES, .trust = trust };
    uint8_t *text = NULL;
    if (ss_file_read(path, &rules, &text, len, NULL, why, whylen) < 0)
        return NULL;
    return (char *)text;
}

/* Secure mode: say once which SAGESHIM_* settings are being ignored. */
static int report_ignored_env(const char *(*getenv_fn)(const char *), ss_diag_fn diag, void *ctx)
{
    char names[512] = "";
    /* SAGESHIM_CONF, then every option's variable. */
    for (size_t i = 0; i <= ss_noptions; i++) {
        const char *name = i == 0 ? "SAGESHIM_CONF" : ss_options[i - 1].env;
        if (name && env(getenv_fn, name))
            ss_append(names, sizeof names, "%s%s", names[0] ? ", " : "", name);
    }
    if (!names[0])
        return 0;
    ss_diag(diag, ctx, "environment", 0,
           "secure execution (setuid/setgid program): %s ignored", names);
    return 1;
}

int ss_config_load(struct ss_config *cfg, const char *libdir,
                   const char *(*getenv_fn)(const char *), ss_diag_fn diag, void *ctx)
{
    return ss_config_load_trusted(cfg, libdir, getenv_fn, NULL, diag, ctx);
}

int ss_config_load_trusted(struct ss_config *cfg, const char *libdir,
                           const char *(*getenv_fn)(const char *), const struct ss_trust *trust,
                           ss_diag_fn diag, void *ctx)
{
    char path[4096];
    int problems = 0;

    ss_config_defaults(cfg);

    /* A setuid/setgid program reads no environment at all: not SAGESHIM_*,
     * nor the HOME or XDG_CONFIG_HOME that would pick the config file. */
    if (trust && trust->secure) {
        problems += report_ignored_env(getenv_fn, diag, ctx);
        getenv_fn = NULL;
    }

    /* An explicit SAGESHIM_CONF that cannot be used deserves a word; the
     * search then goes on as if it were unset. */
    const char *explicit_path = env(getenv_fn, "SAGESHIM_CONF");
    if (explicit_path && !is_regular_file(explicit_path)) {
        struct stat st;
        /* "not a regular file" about a file that is not there misleads. */
        ss_diag(diag, ctx, explicit_path, 0, "SAGESHIM_CONF: %s, ignored",
                stat(explicit_path, &st) != 0 && errno == ENOENT ? "does not exist"
                                                                 : "not a regular file");
        problems++;
    }

    if (ss_config_find(libdir, getenv_fn, path, sizeof path)) {
        char why[256];
        size_t len = 0;
        char *text = read_small_file(path, trust, &len, why, sizeof why);
        if (!text) {
            ss_diag(diag, ctx, path, 0, "%s; using defaults", why);
            problems++;
        } else {
            problems += ss_config_parse(cfg, text, len, path, diag, ctx);
            free(text);
            replace_string(&cfg->source, path);
        }
    }
    problems += ss_config_apply_env(cfg, getenv_fn, diag, ctx);
    return problems;
}
