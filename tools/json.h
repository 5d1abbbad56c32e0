/* json.h: a tiny streaming JSON writer for the command line's --json output.
 *
 * The writer tracks nesting so callers never place commas themselves:
 * json_key() names the next value inside an object; every other call is a
 * value.  Strings are escaped so any byte sequence yields valid JSON. */
#ifndef SAGESHIM_TOOLS_JSON_H
#define SAGESHIM_TOOLS_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
    FILE *out;
    int depth;
    int has_items[JSON_MAX_DEPTH]; /* a value was already written at this level */
    int after_key;                 /* the next value follows "key": */
};

void json_init(struct json_writer *w, FILE *out);
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
void json_uint(struct json_writer *w, uint64_t v);
void json_bool(struct json_writer *w, int v);
void json_null(struct json_writer *w);
/* Ends the document with a newline. */
void json_finish(struct json_writer *w);

/* Write s as a quoted JSON string: quotes, backslashes and control
 * characters escaped; bytes that are not valid UTF-8 written as \u00XX. */
void json_write_escaped(FILE *out, const char *s);

#endif
