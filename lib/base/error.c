/* error.c: filling and formatting struct ss_error. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static void fill(struct ss_error *err, size_t offset, int has_offset,
                 const char *fmt, va_list ap)
{
    if (!err)
        return;
    err->offset = offset;
    err->has_offset = has_offset;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
}

int ss_fail(struct ss_error *err, size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(err, offset, 1, fmt, ap);
    va_end(ap);
    return -1;
}

int ss_fail_nooffset(struct ss_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(err, 0, 0, fmt, ap);
    va_end(ap);
    return -1;
}

void ss_error_format(const struct ss_error *err, char *buf, size_t len)
{
    if (!err) {
        snprintf(buf, len, "unknown error");
        return;
    }
    if (err->has_offset)
        snprintf(buf, len, "at offset 0x%zx: %s", err->offset, err->message);
    else
        snprintf(buf, len, "%s", err->message);
}

void ss_vdiag(ss_diag_fn diag, void *ctx, const char *file, int line, const char *fmt,
              va_list ap)
{
    char message[768];
    if (!diag)
        return;
    vsnprintf(message, sizeof message, fmt, ap);
    diag(ctx, file, line, message);
}

void ss_diag(ss_diag_fn diag, void *ctx, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ss_vdiag(diag, ctx, file, line, fmt, ap);
    va_end(ap);
}
