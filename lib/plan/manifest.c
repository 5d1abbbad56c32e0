/* manifest.c: the bundle's MANIFEST text (format in bundle.h).
 *
 *   label sageattention@68de379
 *   fatbin _qattn_sm90.fatbin module=_qattn_sm90 archs=90,120 kernels=12 sha256=<64 hex>
 *   hotfix sageshim_fused.fatbin modules=<glob>,<glob> archs=80,90 kernels=44 sha256=<hex>
 *
 * Lines are whitespace-separated words; '#' starts a comment.  A bad line
 * is reported and skipped, the rest of the manifest still counts. */
#include "config/arch.h"
#include "bundle.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 4096
#define MAX_KERNELS 1000000u
#define MAX_WORDS 16

struct manifest_state {
    struct ss_manifest *m;
    size_t cap, hotfix_cap;
    const char *file;
    ss_diag_fn diag;
    void *ctx;
    int problems;
};

static void problem(struct manifest_state *st, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct manifest_state *st, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ss_vdiag(st->diag, st->ctx, st->file, line, fmt, ap);
    va_end(ap);
    st->problems++;
}

/* Split s in place into whitespace-separated words; at most `max`. */
static size_t split_words(char *s, char **words, size_t max)
{
    size_t n = 0;
    while (*s) {
        while (*s && isspace((unsigned char)*s))
            *s++ = '\0';
        if (!*s)
            break;
        if (n == max)
            return max + 1;
        words[n++] = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
    }
    return n;
}

/* A bundle file name must stay inside the bundle directory. */
static int safe_relative_path(const char *path)
{
    if (!*path || path[0] == '/')
        return 0;
    const char *p = path;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += n;
        if (*p == '/')
            p++;
    }
    return 1;
}

static int parse_unsigned(const char *s, unsigned max, unsigned *out)
{
    unsigned long v = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int parse_archs(const char *s, struct ss_manifest_item *item)
{
    size_t n = 0;
    if (ss_parse_arch_list(s, item->archs, sizeof item->archs / sizeof item->archs[0], &n, NULL,
                           0) != 0)
        return -1;
    item->narchs = n;
    return 0;
}

static int parse_sha256(const char *s, char out[65])
{
    if (strlen(s) != 64)
        return -1;
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return -1;
        out[i] = (char)tolower((unsigned char)s[i]);
    }
    out[64] = '\0';
    return 0;
}

static void item_free(struct ss_manifest_item *item)
{
    free(item->file);
    free(item->module);
    for (size_t g = 0; g < item->nglobs; g++)
        free(item->globs[g]);
    memset(item, 0, sizeof *item);
}

/* modules=<glob>[,<glob>...]: no empty glob, at most SS_MANIFEST_MAX_GLOBS. */
static int parse_globs(const char *s, struct ss_manifest_item *item)
{
    if (!*s || s[0] == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
        return -1;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (item->nglobs == SS_MANIFEST_MAX_GLOBS)
            return -1;
        char *glob = strndup(s, n);
        if (!glob)
            return -1;
        item->globs[item->nglobs++] = glob;
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

/* One `fatbin` or `hotfix` line (words[0] says which). */
static void parse_item(struct manifest_state *st, char **words, size_t nwords, int line)
{
    struct ss_manifest_item item;
    const char *kind = words[0];
    int hotfix = strcmp(kind, "hotfix") == 0;
    struct ss_manifest_item **list = hotfix ? &st->m->hotfixes : &st->m->items;
    size_t *count = hotfix ? &st->m->nhotfixes : &st->m->nitems;
    size_t *cap = hotfix ? &st->hotfix_cap : &st->cap;
    int have_module = 0, have_archs = 0, have_kernels = 0, have_sha = 0;

    memset(&item, 0, sizeof item);
    if (nwords < 2) {
        problem(st, line, "%s line without a file name", kind);
        return;
    }
    if (!safe_relative_path(words[1]) || strchr(words[1], '=')) {
        problem(st, line, "%s '%s': the file must be a relative path inside the bundle",
                kind, words[1]);
        return;
    }
    for (size_t i = 2; i < nwords; i++) {
        char *eq = strchr(words[i], '=');
        if (!eq) {
            problem(st, line, "%s %s: expected key=value, got '%s'", kind, words[1], words[i]);
            item_free(&item);
            return;
        }
        *eq = '\0';
        const char *key = words[i], *value = eq + 1;
        int bad = 0, repeated = 0;
        if (!hotfix && strcmp(key, "module") == 0) {
            repeated = have_module++;
            bad = !*value;
            if (!bad && !repeated && !(item.module = strdup(value))) {
                problem(st, line, "out of memory");
                item_free(&item);
                return;
            }
        } else if (hotfix && strcmp(key, "modules") == 0) {
            repeated = have_module++;
            bad = !repeated && parse_globs(value, &item) != 0;
        } else if (strcmp(key, "archs") == 0) {
            repeated = have_archs++;
            bad = parse_archs(value, &item) != 0;
        } else if (strcmp(key, "kernels") == 0) {
            repeated = have_kernels++;
            bad = parse_unsigned(value, MAX_KERNELS, &item.kernels) != 0;
        } else if (strcmp(key, "sha256") == 0) {
            repeated = have_sha++;
            bad = parse_sha256(value, item.sha256) != 0;
        } else {
            problem(st, line, "%s %s: unknown field '%s'", kind, words[1], key);
            item_free(&item);
            return;
        }
        if (repeated || bad) {
            problem(st, line, "%s %s: %s %s '%s'", kind, words[1],
                    repeated ? "repeated" : "bad", key, value);
            item_free(&item);
            return;
        }
    }
    const char *missing = !have_module ? (hotfix ? "modules" : "module") : !have_archs ? "archs"
                        : !have_kernels ? "kernels" : !have_sha ? "sha256" : NULL;
    if (missing) {
        problem(st, line, "%s %s: missing %s=", kind, words[1], missing);
        item_free(&item);
        return;
    }
    for (size_t i = 0; i < *count; i++) {
        if (strcmp((*list)[i].file, words[1]) == 0) {
            problem(st, line, "%s %s: listed twice; this line is ignored", kind, words[1]);
            item_free(&item);
            return;
        }
    }
    if (*count == MAX_ITEMS) {
        problem(st, line, "more than %d %s lines; the rest are ignored", MAX_ITEMS, kind);
        item_free(&item);
        return;
    }
    if (*count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct ss_manifest_item *n = realloc(*list, ncap * sizeof *n);
        if (!n) {
            problem(st, line, "out of memory");
            item_free(&item);
            return;
        }
        *list = n;
        *cap = ncap;
    }
    item.file = strdup(words[1]);
    if (!item.file) {
        problem(st, line, "out of memory");
        item_free(&item);
        return;
    }
    (*list)[(*count)++] = item;
}

static void parse_label(struct manifest_state *st, char *rest, int line)
{
    while (*rest && isspace((unsigned char)*rest))
        rest++;
    size_t n = strlen(rest);
    while (n > 0 && isspace((unsigned char)rest[n - 1]))
        rest[--n] = '\0';
    if (!*rest) {
        problem(st, line, "label without a value");
        return;
    }
    if (st->m->label)
        problem(st, line, "label given again; this one wins");
    char *copy = strdup(rest);
    if (!copy) {
        problem(st, line, "out of memory");
        return;
    }
    free(st->m->label);
    st->m->label = copy;
}

static void parse_line(struct manifest_state *st, char *s, int line)
{
    char *hash = strchr(s, '#');
    if (hash)
        *hash = '\0';
    char *p = s;
    while (*p && isspace((unsigned char)*p))
        p++;
    if (!*p)
        return;
    if (strncmp(p, "label", 5) == 0 && (p[5] == '\0' || isspace((unsigned char)p[5]))) {
        parse_label(st, p + 5, line);
        return;
    }
    char *words[MAX_WORDS];
    size_t n = split_words(p, words, MAX_WORDS);
    if (n == 0)
        return;
    if (n > MAX_WORDS) {
        problem(st, line, "too many words on one line");
        return;
    }
    if (strcmp(words[0], "fatbin") == 0 || strcmp(words[0], "hotfix") == 0)
        parse_item(st, words, n, line);
    else
        problem(st, line, "unknown directive '%s'", words[0]);
}

int ss_manifest_parse(struct ss_manifest *m, const char *text, size_t len,
                      const char *filename, ss_diag_fn diag, void *ctx)
{
    struct manifest_state st = { .m = m, .file = filename ? filename : "MANIFEST",
                                 .diag = diag, .ctx = ctx };
    size_t pos = 0;
    int line = 0;

    memset(m, 0, sizeof *m);
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line++;
        size_t n = end - pos;
        if (memchr(text + pos, '\0', n)) {
            problem(&st, line, "line contains a NUL byte; ignored");
        } else {
            char *buf = malloc(n + 1);
            if (!buf) {
                problem(&st, line, "out of memory");
                break;
            }
            memcpy(buf, text + pos, n);
            buf[n] = '\0';
            parse_line(&st, buf, line);
            free(buf);
        }
        pos = end + 1;
    }
    return st.problems;
}

void ss_manifest_free(struct ss_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nitems; i++)
        item_free(&m->items[i]);
    free(m->items);
    for (size_t i = 0; i < m->nhotfixes; i++)
        item_free(&m->hotfixes[i]);
    free(m->hotfixes);
    free(m->label);
    memset(m, 0, sizeof *m);
}

/* A word the parser reads back unchanged: non-empty, no blanks, no '#'. */
static int is_word(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (isspace((unsigned char)*s) || *s == '#')
            return 0;
    return 1;
}

/* Appends to a growing string; on failure the buffer is freed and NULL kept. */
struct text {
    char *s;
    size_t len, cap;
};

static void append(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct text *t, const char *fmt, ...)
{
    if (!t->s)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            free(t->s);
            t->s = NULL;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t ncap = t->cap * 2 + (size_t)n;
        char *grown = realloc(t->s, ncap);
        if (!grown) {
            free(t->s);
            t->s = NULL;
            return;
        }
        t->s = grown;
        t->cap = ncap;
    }
}

char *ss_manifest_format(const struct ss_manifest *m)
{
    struct text t = { .s = malloc(256), .cap = 256 };
    if (!m || !t.s) {
        free(t.s);
        return NULL;
    }
    t.s[0] = '\0';
    append(&t, "# sageshim kernel bundle: one fatbin or hotfix line per file, checked when "
              "loaded\n");
    if (m->label) {
        if (!*m->label || strpbrk(m->label, "\n\r#")) {
            free(t.s);
            return NULL;
        }
        append(&t, "label %s\n", m->label);
    }
    for (size_t i = 0; i < m->nitems; i++) {
        const struct ss_manifest_item *item = &m->items[i];
        char sha[65];
        if (!is_word(item->file) || strchr(item->file, '=') || !is_word(item->module) ||
            item->narchs == 0 || item->narchs > sizeof item->archs / sizeof item->archs[0] ||
            parse_sha256(item->sha256, sha) != 0) {
            free(t.s);
            return NULL;
        }
        append(&t, "fatbin %s module=%s archs=", item->file, item->module);
        for (size_t a = 0; a < item->narchs; a++)
            append(&t, "%s%u", a ? "," : "", item->archs[a]);
        append(&t, " kernels=%u sha256=%s\n", item->kernels, sha);
    }
    for (size_t i = 0; i < m->nhotfixes; i++) {
        const struct ss_manifest_item *item = &m->hotfixes[i];
        char sha[65];
        int ok = is_word(item->file) && !strchr(item->file, '=') && item->nglobs > 0 &&
                 item->nglobs <= SS_MANIFEST_MAX_GLOBS && item->narchs > 0 &&
                 item->narchs <= sizeof item->archs / sizeof item->archs[0] &&
                 parse_sha256(item->sha256, sha) == 0;
        for (size_t g = 0; ok && g < item->nglobs; g++)
            ok = is_word(item->globs[g]) && !strchr(item->globs[g], ',');
        if (!ok) {
            free(t.s);
            return NULL;
        }
        append(&t, "hotfix %s modules=", item->file);
        for (size_t g = 0; g < item->nglobs; g++)
            append(&t, "%s%s", g ? "," : "", item->globs[g]);
        append(&t, " archs=");
        for (size_t a = 0; a < item->narchs; a++)
            append(&t, "%s%u", a ? "," : "", item->archs[a]);
        append(&t, " kernels=%u sha256=%s\n", item->kernels, sha);
    }
    return t.s;
}
