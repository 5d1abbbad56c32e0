/* json.c: see json.h. */
#include "json.h"

#include <string.h>

void json_init(struct json_writer *w, FILE *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

/* Separator and indentation before a value or key at the current level. */
static void before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->has_items[w->depth - 1])
        fputc(',', w->out);
    w->has_items[w->depth - 1] = 1;
    fputc('\n', w->out);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->out);
}

static void open_level(struct json_writer *w, char bracket)
{
    before_item(w);
    fputc(bracket, w->out);
    /* Deeper nesting than the writer tracks still yields valid JSON; only
     * the comma bookkeeping of the deepest level is shared. */
    if (w->depth < JSON_MAX_DEPTH)
        w->depth++;
    w->has_items[w->depth - 1] = 0;
}

static void close_level(struct json_writer *w, char bracket)
{
    int had_items = w->depth > 0 && w->has_items[w->depth - 1];
    if (w->depth > 0)
        w->depth--;
    if (had_items) {
        fputc('\n', w->out);
        for (int i = 0; i < w->depth; i++)
            fputs("  ", w->out);
    }
    fputc(bracket, w->out);
}

void json_begin_object(struct json_writer *w) { open_level(w, '{'); }
void json_end_object(struct json_writer *w) { close_level(w, '}'); }
void json_begin_array(struct json_writer *w) { open_level(w, '['); }
void json_end_array(struct json_writer *w) { close_level(w, ']'); }

void json_key(struct json_writer *w, const char *key)
{
    before_item(w);
    json_write_escaped(w->out, key);
    fputs(": ", w->out);
    w->after_key = 1;
}

void json_string(struct json_writer *w, const char *s)
{
    before_item(w);
    json_write_escaped(w->out, s ? s : "");
}

void json_uint(struct json_writer *w, uint64_t v)
{
    before_item(w);
    fprintf(w->out, "%llu", (unsigned long long)v);
}

void json_bool(struct json_writer *w, int v)
{
    before_item(w);
    fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
    before_item(w);
    fputs("null", w->out);
}

void json_finish(struct json_writer *w)
{
    fputc('\n', w->out);
}

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 when the
 * bytes there are not one (overlong forms and surrogates included). */
static int utf8_sequence_length(const unsigned char *s)
{
    unsigned char c = s[0];
    int len;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2; cp = c & 0x1f; min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3; cp = c & 0x0f; min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4; cp = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        /* A NUL terminator fails this test, so we never read past it. */
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void json_write_escaped(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        unsigned char c = *p;
        switch (c) {
        case '"':  fputs("\\\"", out); p++; continue;
        case '\\': fputs("\\\\", out); p++; continue;
        case '\n': fputs("\\n", out); p++; continue;
        case '\r': fputs("\\r", out); p++; continue;
        case '\t': fputs("\\t", out); p++; continue;
        case '\b': fputs("\\b", out); p++; continue;
        case '\f': fputs("\\f", out); p++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            p++;
            continue;
        }
        int len = utf8_sequence_length(p);
        if (len == 0) {
            /* Not UTF-8: keep the byte visible as the Latin-1 code point. */
            fprintf(out, "\\u%04x", c);
            p++;
            continue;
        }
        fwrite(p, 1, (size_t)len, out);
        p += len;
    }
    fputc('"', out);
}
