/* config.c: sageshim.conf, its defaults and the SAGESHIM_* environment.
 *
 * This runs inside the preload library's constructor, before the host
 * program's main(): no stdio, no global state, the environment only through
 * the function the caller passes, every problem reported through diag. */
#include "config.h"
#include "trust.h"
#include "file.h"

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

static const char *const default_modules[] = {
    "*/sageattention/_qattn_sm90*.so",
    "*/sageattention/_qattn_sm89*.so",
};
static const char *const default_observe[] = {
    "*/sageattention/_fused*.so",
};
static const char *const default_repair_modules[] = {
    "sageattention._qattn_sm90",
    "sageattention._qattn_sm89",
    "sageattention._qattn_sm80",
    "sageattention._fused",
};

static void free_list(char **list, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free(list[i]);
        list[i] = NULL;
    }
    *n = 0;
}

static void set_list_from_array(char **list, size_t *n, const char *const *items, size_t count)
{
    free_list(list, n);
    for (size_t i = 0; i < count && i < SS_MAX_PATTERNS; i++) {
        list[*n] = strdup(items[i]);
        if (list[*n])
            (*n)++;
    }
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

void ss_config_defaults(struct ss_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = SS_MODE_REDIRECT;
    cfg->dry_run = 0;
    cfg->archs[0] = 90;
    cfg->archs[1] = 120;
    cfg->narchs = 2;
    set_list_from_array(cfg->modules, &cfg->nmodules, default_modules,
                        sizeof default_modules / sizeof default_modules[0]);
    set_list_from_array(cfg->observe, &cfg->nobserve, default_observe,
                        sizeof default_observe / sizeof default_observe[0]);
    cfg->bundle = strdup("");
    cfg->repair = 1;
    set_list_from_array(cfg->repair_modules, &cfg->nrepair_modules, default_repair_modules,
                        sizeof default_repair_modules / sizeof default_repair_modules[0]);
    cfg->log = strdup("stderr");
    cfg->log_level = SS_LOG_INFO;
    cfg->source = strdup("(defaults)");
}

void ss_config_free(struct ss_config *cfg)
{
    if (!cfg)
        return;
    free_list(cfg->modules, &cfg->nmodules);
    free_list(cfg->observe, &cfg->nobserve);
    free_list(cfg->repair_modules, &cfg->nrepair_modules);
    free(cfg->bundle);
    free(cfg->log);
    free(cfg->source);
    cfg->bundle = cfg->log = cfg->source = NULL;
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

/* ---- Values ---------------------------------------------------------- */

/* Each setter applies `value` to cfg.  Returns 0 when applied, 1 when
 * applied but with something to report in `why`, -1 when refused (cfg
 * unchanged, reason in `why`). */
typedef int (*setter_fn)(struct ss_config *cfg, const char *value, char *why, size_t whylen);

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

static int set_mode(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    if (strcasecmp(v, "redirect") == 0)
        cfg->mode = SS_MODE_REDIRECT;
    else if (strcasecmp(v, "diagnose") == 0)
        cfg->mode = SS_MODE_DIAGNOSE;
    else if (strcasecmp(v, "off") == 0)
        cfg->mode = SS_MODE_OFF;
    else {
        snprintf(why, whylen, "expected redirect, diagnose or off");
        return -1;
    }
    return 0;
}

static int set_bool(int *field, const char *v, char *why, size_t whylen)
{
    int b;
    if (parse_bool(v, &b) != 0) {
        snprintf(why, whylen, "expected yes/no, true/false, on/off or 1/0");
        return -1;
    }
    *field = b;
    return 0;
}

static int set_dry_run(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    return set_bool(&cfg->dry_run, v, why, whylen);
}

static int set_repair(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    return set_bool(&cfg->repair, v, why, whylen);
}

static int set_log_level(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    if (strcasecmp(v, "error") == 0)
        cfg->log_level = SS_LOG_ERROR;
    else if (strcasecmp(v, "warn") == 0 || strcasecmp(v, "warning") == 0)
        cfg->log_level = SS_LOG_WARN;
    else if (strcasecmp(v, "info") == 0)
        cfg->log_level = SS_LOG_INFO;
    else if (strcasecmp(v, "debug") == 0)
        cfg->log_level = SS_LOG_DEBUG;
    else {
        snprintf(why, whylen, "expected error, warn, info or debug");
        return -1;
    }
    return 0;
}

static int set_log(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    if (!*v) {
        snprintf(why, whylen, "expected stderr or a file path");
        return -1;
    }
    replace_string(&cfg->log, v);
    return 0;
}

static int set_bundle(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    /* Empty is allowed: it means the default next to the library. */
    (void)why;
    (void)whylen;
    replace_string(&cfg->bundle, v);
    return 0;
}

static int is_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

/* Next token of a comma/space separated list: copies it into tok (bounded)
 * and returns the position after it, or NULL at the end.  *toolong is set
 * when the token did not fit. */
static const char *next_token(const char *p, char *tok, size_t toklen, int *toolong)
{
    while (*p && is_separator(*p))
        p++;
    if (!*p)
        return NULL;
    size_t n = 0;
    *toolong = 0;
    while (*p && !is_separator(*p)) {
        if (n + 1 < toklen)
            tok[n++] = *p;
        else
            *toolong = 1;
        p++;
    }
    tok[n] = '\0';
    return p;
}

/* "9.0", "90", "sm_90" -> 90;  "12.0", "120", "sm_120" -> 120. */
static int parse_arch(const char *tok, unsigned *sm)
{
    const char *p = tok;
    int prefixed = strncasecmp(p, "sm_", 3) == 0;
    if (prefixed)
        p += 3;
    if (!isdigit((unsigned char)*p))
        return -1;
    unsigned major = 0;
    while (isdigit((unsigned char)*p)) {
        major = major * 10 + (unsigned)(*p - '0');
        if (major > 1000)
            return -1;
        p++;
    }
    if (*p == '.' && !prefixed) {
        /* Compute capability "major.minor", minor one digit. */
        if (major < 1 || major > 99 || !isdigit((unsigned char)p[1]) || p[2] != '\0')
            return -1;
        *sm = major * 10 + (unsigned)(p[1] - '0');
        return 0;
    }
    if (*p != '\0' || major < 10 || major > 999)
        return -1;
    *sm = major;
    return 0;
}

static int set_archs(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    unsigned archs[SS_MAX_ARCHS];
    size_t n = 0;
    char tok[64];
    int toolong;
    const char *p = v;

    while ((p = next_token(p, tok, sizeof tok, &toolong)) != NULL) {
        unsigned sm;
        if (toolong || parse_arch(tok, &sm) != 0) {
            snprintf(why, whylen, "'%s' is not an architecture (expected e.g. 9.0, 90 or sm_90)",
                     tok);
            return -1;
        }
        int seen = 0;
        for (size_t i = 0; i < n; i++)
            seen |= archs[i] == sm;
        if (seen)
            continue;
        if (n == SS_MAX_ARCHS) {
            snprintf(why, whylen, "more than %d architectures", SS_MAX_ARCHS);
            return -1;
        }
        archs[n++] = sm;
    }
    if (n == 0) {
        snprintf(why, whylen, "expected at least one architecture");
        return -1;
    }
    memcpy(cfg->archs, archs, n * sizeof archs[0]);
    cfg->narchs = n;
    return 0;
}

/* Replace a pattern list; patterns beyond SS_MAX_PATTERNS are dropped and
 * reported.  An empty value empties the list. */
static int set_patterns(char **list, size_t *count, const char *v, char *why, size_t whylen)
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

static int set_modules(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    return set_patterns(cfg->modules, &cfg->nmodules, v, why, whylen);
}

static int set_observe(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    return set_patterns(cfg->observe, &cfg->nobserve, v, why, whylen);
}

static int set_repair_modules(struct ss_config *cfg, const char *v, char *why, size_t whylen)
{
    return set_patterns(cfg->repair_modules, &cfg->nrepair_modules, v, why, whylen);
}

struct key_handler {
    const char *key;
    setter_fn set;
};

static const struct key_handler keys[] = {
    { "mode", set_mode },
    { "dry_run", set_dry_run },
    { "archs", set_archs },
    { "modules", set_modules },
    { "observe", set_observe },
    { "bundle", set_bundle },
    { "repair", set_repair },
    { "repair_modules", set_repair_modules },
    { "log", set_log },
    { "log_level", set_log_level },
};
#define NKEYS (sizeof keys / sizeof keys[0])

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
    int set_on_line[NKEYS];   /* line that last set each key, 0 = none */
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

    size_t k = 0;
    while (k < NKEYS && strcmp(keys[k].key, key) != 0)
        k++;
    if (k == NKEYS) {
        problem(st, line, "unknown key '%s'", key);
        return;
    }
    char why[256] = "";
    int r = keys[k].set(st->cfg, value, why, sizeof why);
    if (r < 0) {
        problem(st, line, "bad value '%s' for '%s': %s", value, key, why);
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
    static const struct { const char *var; setter_fn set; } vars[] = {
        { "SAGESHIM_MODE", set_mode },
        { "SAGESHIM_LOG", set_log },
        { "SAGESHIM_LOG_LEVEL", set_log_level },
        { "SAGESHIM_BUNDLE", set_bundle },
        { "SAGESHIM_REPAIR", set_repair },
        { "SAGESHIM_DRY_RUN", set_dry_run },
        { "SAGESHIM_ARCHS", set_archs },
    };
    int problems = 0;

    if (!getenv_fn)
        return 0;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *raw = getenv_fn(vars[i].var);
        if (!raw || !*raw)
            continue;
        /* Trim a copy: "SAGESHIM_MODE=' off'" is a plain typo. */
        char *copy = strdup(raw);
        if (!copy) {
            ss_diag(diag, ctx, "environment", 0, "%s: out of memory", vars[i].var);
            problems++;
            continue;
        }
        char *value = trim(copy);
        char why[256] = "";
        if (vars[i].set(cfg, value, why, sizeof why) < 0) {
            ss_diag(diag, ctx, "environment", 0, "bad value '%s' for %s: %s", value,
                   vars[i].var, why);
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

/* Write candidate i of the search order into path; 0 when there is none
 * (unset variable, no libdir, or too long), -1 past the last. */
static int candidate(int i, const char *libdir, const char *(*getenv_fn)(const char *),
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
        if (!libdir || !*libdir)
            return 0;
        n = snprintf(path, len, "%s/../etc/sageshim.conf", libdir);
        break;
    case 3:
        n = snprintf(path, len, "/etc/sageshim.conf");
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
        int r = candidate(i, libdir, getenv_fn, path, len);
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
    size_t used = 0;
    for (int i = 0; ss_env_names[i]; i++) {
        if (!env(getenv_fn, ss_env_names[i]))
            continue;
        int n = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                         ss_env_names[i]);
        if (n < 0 || (size_t)n >= sizeof names - used)
            break;
        used += (size_t)n;
    }
    if (!used)
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
        ss_diag(diag, ctx, explicit_path, 0, "SAGESHIM_CONF: not a regular file, ignored");
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
