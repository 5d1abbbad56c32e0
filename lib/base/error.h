/* error.h: how every parser in the core library reports a failure.
 *
 * Parsers never print and never abort: they fill an ss_error with the byte
 * offset (within the input they were given) where the problem was seen and a
 * one-line message, and return -1.  The caller decides how to log it. */
#ifndef SAGESHIM_ERROR_H
#define SAGESHIM_ERROR_H

#include <stdarg.h>
#include <stddef.h>

struct ss_error {
    size_t offset;      /* byte offset in the input where the problem is */
    int has_offset;     /* 0 when the offset means nothing (e.g. out of memory) */
    char message[256];  /* one line, no trailing newline */
};

/* Fill err (if not NULL) and return -1, so parsers can `return ss_fail(...)`. */
int ss_fail(struct ss_error *err, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, for errors that have no meaningful offset. */
int ss_fail_nooffset(struct ss_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "at offset 0x1f0: bad magic" or "bad magic" - for log lines. */
void ss_error_format(const struct ss_error *err, char *buf, size_t len);

/* Callback used by line-oriented parsers (config, manifest) to report a
 * problem with one line while they keep going. */
typedef void (*ss_diag_fn)(void *ctx, const char *file, int line, const char *message);

/* Format one problem and hand it to diag (nothing when diag is NULL). */
void ss_diag(ss_diag_fn diag, void *ctx, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void ss_vdiag(ss_diag_fn diag, void *ctx, const char *file, int line, const char *fmt,
              va_list ap);

#endif
