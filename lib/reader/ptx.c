/* ptx.c: read kernel declarations from PTX text (fatbin-format §4.7):
 * `.entry` names, parameter sizes and alignments, and the launch
 * directives that follow the parameter list.  PTX stores no offsets: they
 * are computed here by natural alignment, as the compiler lays them out
 * for ordinary parameters. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "kernels.h"

/* Upper bound on one array parameter's element count (a parameter space is
 * at most 32 KiB anyway). */
#define MAX_PARAM_BYTES (1u << 20)

struct token {
    const char *s;
    size_t n;
    size_t offset;      /* from the start of the text */
};

struct ptx_reader {
    const char *text;
    size_t len;
    size_t pos;
    struct ss_entry *entry;
    struct ss_error *err;
    size_t capacity;    /* of entry->kernels */
};

static int is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || c == '%' || c == '.';
}

/* Skip blanks and comments; 0 at the end of the text. */
static int skip_space(struct ptx_reader *r)
{
    while (r->pos < r->len) {
        char c = r->text[r->pos];
        if (c == '\0')
            return 0;   /* loaded images end at the NUL */
        if (isspace((unsigned char)c)) {
            r->pos++;
        } else if (c == '/' && r->pos + 1 < r->len && r->text[r->pos + 1] == '/') {
            while (r->pos < r->len && r->text[r->pos] != '\n')
                r->pos++;
        } else if (c == '/' && r->pos + 1 < r->len && r->text[r->pos + 1] == '*') {
            r->pos += 2;
            while (r->pos + 1 < r->len &&
                   !(r->text[r->pos] == '*' && r->text[r->pos + 1] == '/'))
                r->pos++;
            r->pos = r->pos + 2 <= r->len ? r->pos + 2 : r->len;
        } else {
            return 1;
        }
    }
    return 0;
}

/* Words (directives, names, numbers), strings, or one punctuation char. */
static int next_token(struct ptx_reader *r, struct token *t)
{
    if (!skip_space(r))
        return 0;
    size_t start = r->pos;
    char c = r->text[start];
    if (is_word_char(c)) {
        while (r->pos < r->len && is_word_char(r->text[r->pos]))
            r->pos++;
    } else if (c == '"') {
        r->pos++;
        while (r->pos < r->len && r->text[r->pos] != '"' && r->text[r->pos] != '\0')
            r->pos++;
        if (r->pos < r->len && r->text[r->pos] == '"')
            r->pos++;
    } else {
        r->pos++;
    }
    t->s = r->text + start;
    t->n = r->pos - start;
    t->offset = start;
    return 1;
}

static int token_is(const struct token *t, const char *word)
{
    return t->n == strlen(word) && memcmp(t->s, word, t->n) == 0;
}

static int need_token(struct ptx_reader *r, struct token *t, const char *what)
{
    if (next_token(r, t))
        return 0;
    return ss_fail(r->err, r->pos, "PTX ends inside %s", what);
}

static int read_number(struct ptx_reader *r, unsigned *value, const char *what)
{
    struct token t;
    if (need_token(r, &t, what) < 0)
        return -1;
    char buf[24];
    if (t.n == 0 || t.n >= sizeof buf || !isdigit((unsigned char)t.s[0]))
        return ss_fail(r->err, t.offset, "expected a number in %s", what);
    memcpy(buf, t.s, t.n);
    buf[t.n] = '\0';
    char *end;
    unsigned long v = strtoul(buf, &end, 0);
    if (*end != '\0' || v > UINT_MAX)
        return ss_fail(r->err, t.offset, "bad number in %s", what);
    *value = (unsigned)v;
    return 0;
}

/* Bytes of a scalar PTX type (.u32, .f64, .b8 ...); 0 when not a type. */
static unsigned type_size(const struct token *t)
{
    static const struct { const char *name; unsigned size; } types[] = {
        { ".b8", 1 }, { ".u8", 1 }, { ".s8", 1 },
        { ".b16", 2 }, { ".u16", 2 }, { ".s16", 2 }, { ".f16", 2 }, { ".bf16", 2 },
        { ".b32", 4 }, { ".u32", 4 }, { ".s32", 4 }, { ".f32", 4 },
        { ".f16x2", 4 }, { ".bf16x2", 4 },
        { ".b64", 8 }, { ".u64", 8 }, { ".s64", 8 }, { ".f64", 8 },
        { ".b128", 16 },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (token_is(t, types[i].name))
            return types[i].size;
    return 0;
}

static unsigned align_up(unsigned value, unsigned align)
{
    return align > 1 ? (value + align - 1) / align * align : value;
}

static int is_power_of_two(unsigned v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static int add_param(struct ptx_reader *r, struct ss_kernel *k, unsigned size,
                     unsigned align, size_t *capacity, size_t where)
{
    if (k->nparams == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 8;
        struct ss_param *p = realloc(k->params, grown * sizeof *p);
        if (!p)
            return ss_fail_nooffset(r->err, "out of memory for parameters");
        k->params = p;
        *capacity = grown;
    }
    unsigned start = k->nparams ? k->params[k->nparams - 1].offset +
                                  k->params[k->nparams - 1].size : 0;
    unsigned offset = align_up(start, align);
    if (offset > MAX_PARAM_BYTES || size > MAX_PARAM_BYTES - offset)
        return ss_fail(r->err, where, "parameters exceed %u bytes", MAX_PARAM_BYTES);
    k->params[k->nparams] = (struct ss_param){
        .ordinal = k->nparams, .offset = offset, .size = size, .align = align,
    };
    k->nparams++;
    k->has_param_size = 1;
    k->param_size = offset + size;
    return 0;
}

/* One parameter: `.param [.align N] .type [.ptr [.space] [.align N]] name[[N]]`.
 * The `.align` after `.ptr` is the pointee's and does not move the offset.
 * Leaves *end on the ',' or ')' that follows. */
static int read_param(struct ptx_reader *r, struct ss_kernel *k, size_t *capacity,
                      struct token *end)
{
    struct token t;
    unsigned align = 0, elem = 0, count = 1;
    int in_pointer = 0, have_name = 0;
    size_t where = r->pos;
    for (;;) {
        if (need_token(r, &t, "a parameter list") < 0)
            return -1;
        if (token_is(&t, ",") || token_is(&t, ")"))
            break;
        if (token_is(&t, ".param")) {
            continue;
        } else if (token_is(&t, ".align")) {
            unsigned a;
            if (read_number(r, &a, ".align") < 0)
                return -1;
            if (!in_pointer) {
                if (!is_power_of_two(a) || a > 4096)
                    return ss_fail(r->err, t.offset, "bad parameter alignment %u", a);
                align = a;
            }
        } else if (t.n >= 4 && memcmp(t.s, ".ptr", 4) == 0) {
            in_pointer = 1;
            /* `.ptr.global.align 16` may come as one word. */
            if (t.n >= 6 && memcmp(t.s + t.n - 6, ".align", 6) == 0) {
                unsigned ignored;
                if (read_number(r, &ignored, ".align") < 0)
                    return -1;
            }
        } else if (type_size(&t) && !elem) {
            elem = type_size(&t);
        } else if (token_is(&t, "[")) {
            if (read_number(r, &count, "an array parameter") < 0 ||
                need_token(r, &t, "an array parameter") < 0)
                return -1;
            if (!token_is(&t, "]"))
                return ss_fail(r->err, t.offset, "expected ']'");
            if (count == 0 || count > MAX_PARAM_BYTES)
                return ss_fail(r->err, t.offset, "bad array size %u", count);
        } else if (t.s[0] != '.') {
            have_name = 1;
        }
    }
    *end = t;
    if (!elem || !have_name)
        return ss_fail(r->err, where, "parameter without %s", elem ? "a name" : "a type");
    if ((unsigned long long)elem * count > MAX_PARAM_BYTES)
        return ss_fail(r->err, where, "parameter larger than %u bytes", MAX_PARAM_BYTES);
    return add_param(r, k, elem * count, align ? align : elem, capacity, where);
}

static int read_params(struct ptx_reader *r, struct ss_kernel *k)
{
    size_t capacity = 0;
    struct token t;
    /* `()` is the empty list. */
    size_t save = r->pos;
    if (need_token(r, &t, "a parameter list") < 0)
        return -1;
    if (token_is(&t, ")"))
        return 0;
    r->pos = save;
    do {
        if (read_param(r, k, &capacity, &t) < 0)
            return -1;
    } while (token_is(&t, ","));
    return 0;
}

/* `.maxntid x[, y[, z]]`: missing dimensions are 1. */
static int read_dims(struct ptx_reader *r, unsigned dims[3], const char *what)
{
    dims[0] = dims[1] = dims[2] = 1;
    for (int i = 0; i < 3; i++) {
        if (read_number(r, &dims[i], what) < 0)
            return -1;
        size_t save = r->pos;
        struct token t;
        if (!next_token(r, &t) || !token_is(&t, ",")) {
            r->pos = save;
            break;
        }
    }
    return 0;
}

/* Skip a `{ ... }` body whose opening brace was just read. */
static int skip_block(struct ptx_reader *r, size_t start)
{
    struct token t;
    size_t depth = 1;
    while (depth > 0) {
        if (!next_token(r, &t))
            return ss_fail(r->err, start, "unterminated '{' block");
        if (token_is(&t, "{"))
            depth++;
        else if (token_is(&t, "}"))
            depth--;
    }
    return 0;
}

/* Directives between the parameter list and the body, up to '{' or ';'. */
static int read_directives(struct ptx_reader *r, struct ss_kernel *k)
{
    struct token t;
    for (;;) {
        if (need_token(r, &t, "a kernel declaration") < 0)
            return -1;
        if (token_is(&t, "{"))
            return skip_block(r, t.offset);
        if (token_is(&t, ";"))
            return 0;
        int rc = 0;
        if (token_is(&t, ".maxntid"))
            rc = read_dims(r, k->max_threads, ".maxntid");
        else if (token_is(&t, ".reqntid"))
            rc = read_dims(r, k->req_ntid, ".reqntid");
        else if (token_is(&t, ".reqnctapercluster"))
            rc = read_dims(r, k->cluster_dims, ".reqnctapercluster");
        else if (token_is(&t, ".explicitcluster"))
            k->explicit_cluster = 1;
        else if (token_is(&t, ".maxclusterrank"))
            rc = read_number(r, &k->max_cluster_rank, ".maxclusterrank");
        if (rc < 0)
            return -1;
        /* Other directives (.minnctapersm 2, .maxnreg 32, .pragma "..";)
         * only have arguments that the loop steps over. */
    }
}

static struct ss_kernel *new_kernel(struct ptx_reader *r, const struct token *name)
{
    struct ss_entry *e = r->entry;
    if (e->nkernels == r->capacity) {
        size_t grown = r->capacity ? r->capacity * 2 : 16;
        struct ss_kernel *k = realloc(e->kernels, grown * sizeof *k);
        if (!k) {
            ss_fail_nooffset(r->err, "out of memory for kernels");
            return NULL;
        }
        e->kernels = k;
        r->capacity = grown;
    }
    struct ss_kernel *k = &e->kernels[e->nkernels];
    memset(k, 0, sizeof *k);
    k->name = strndup(name->s, name->n);
    if (!k->name) {
        ss_fail_nooffset(r->err, "out of memory for a kernel name");
        return NULL;
    }
    e->nkernels++;
    return k;
}

/* `.entry name ( params ) directives { body }` (the list may be absent). */
static int read_entry(struct ptx_reader *r, int is_visible)
{
    struct token name, t;
    if (need_token(r, &name, ".entry") < 0)
        return -1;
    if (!is_word_char(name.s[0]) || name.s[0] == '.')
        return ss_fail(r->err, name.offset, "expected a kernel name after .entry");
    struct ss_kernel *k = new_kernel(r, &name);
    if (!k)
        return -1;
    k->is_local = !is_visible;

    size_t save = r->pos;
    if (need_token(r, &t, "a kernel declaration") < 0)
        return -1;
    if (token_is(&t, "(")) {
        if (read_params(r, k) < 0)
            return -1;
    } else {
        r->pos = save;
    }
    return read_directives(r, k);
}

/* `.target sm_90a[, texmode_...]`: the arch of a bare PTX image. */
static int read_target(struct ptx_reader *r)
{
    struct token t;
    if (need_token(r, &t, ".target") < 0)
        return -1;
    struct ss_entry *e = r->entry;
    if (e->sm != 0 || t.n < 4 || memcmp(t.s, "sm_", 3) != 0)
        return 0;
    unsigned sm = 0;
    size_t i = 3;
    while (i < t.n && isdigit((unsigned char)t.s[i]) && sm < 10000)
        sm = sm * 10 + (unsigned)(t.s[i++] - '0');
    e->sm = sm;
    if (i < t.n && t.s[i] == 'a')
        e->variant = SS_VARIANT_A;
    else if (i < t.n && t.s[i] == 'f')
        e->variant = SS_VARIANT_F;
    return 0;
}

static int read_text(struct ptx_reader *r)
{
    struct token t;
    int is_visible = 0;
    while (next_token(r, &t)) {
        if (token_is(&t, ".visible") || token_is(&t, ".weak") || token_is(&t, ".extern")) {
            is_visible = 1;
        } else if (token_is(&t, ".entry")) {
            if (read_entry(r, is_visible) < 0)
                return -1;
            is_visible = 0;
        } else if (token_is(&t, ".target")) {
            if (read_target(r) < 0)
                return -1;
        } else if (token_is(&t, "{")) {
            /* .func bodies and initializers: nothing to read inside. */
            if (skip_block(r, t.offset) < 0)
                return -1;
            is_visible = 0;
        } else if (token_is(&t, ";")) {
            is_visible = 0;
        }
    }
    return 0;
}

int ss_ptx_read(const char *text, size_t len, struct ss_entry *entry,
                struct ss_error *err)
{
    if (!text)
        return ss_fail_nooffset(err, "no PTX text");
    if (len > SS_MAX_PAYLOAD)
        return ss_fail_nooffset(err, "PTX of %zu bytes is too large", len);
    struct ptx_reader r = { .text = text, .len = len, .entry = entry, .err = err };
    entry->kernels = NULL;
    entry->nkernels = 0;
    entry->kernels_read = 0;
    if (entry->kind == 0)
        entry->kind = SS_KIND_PTX;
    if (read_text(&r) < 0) {
        ss_entry_clear_kernels(entry);
        return -1;
    }
    entry->kernels_read = 1;
    return 0;
}
