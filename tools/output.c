/* output.c: every byte the command prints goes through the library's one
 * sanitiser (printable.h).  The tools print names and strings taken from
 * their inputs (paths, archive members, kernel names, manifest labels,
 * config lines) in many places; rather than trust each call site to escape
 * them, stdout and stderr are replaced at start-up by streams that escape
 * control characters and invalid UTF-8 on the way out.  Newlines and tabs
 * are the tools' own layout and pass unchanged. */
#include "tools.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct escaping_stream {
    int fd;
    /* The start of a UTF-8 sequence cut by the stream's buffer, held until
     * the rest arrives (it would look invalid on its own). */
    char held[4];
    size_t nheld;
};

static struct escaping_stream out_stream = { .fd = 1 };
static struct escaping_stream err_stream = { .fd = 2 };

static int write_fd(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Bytes at the end of p[0..n) that start a UTF-8 sequence not finished yet. */
static size_t incomplete_tail(const unsigned char *p, size_t n)
{
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char c = p[n - back];
        if ((c & 0xc0) == 0x80)
            continue;                 /* a continuation byte: look further back */
        size_t need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c <= 0xef ? 3
                    : c >= 0xc2 && c <= 0xdf ? 2 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

static ssize_t escaping_write(void *cookie, const char *buf, size_t size)
{
    struct escaping_stream *s = cookie;
    size_t done = 0;
    while (done < size) {
        /* held bytes first, then as much of buf as fits in the chunk */
        char in[1024 + 4], out[4 * sizeof in + 1];
        size_t n = s->nheld;
        memcpy(in, s->held, n);
        size_t take = size - done < 1024 ? size - done : 1024;
        memcpy(in + n, buf + done, take);
        n += take;
        done += take;
        size_t tail = done < size ? 0 : incomplete_tail((const unsigned char *)in, n);
        /* Keep a cut sequence only at the end of what we were given. */
        if (tail) {
            memcpy(s->held, in + n - tail, tail);
            n -= tail;
        }
        s->nheld = tail;
        size_t len = ss_printable_keep(out, sizeof out, in, n, "\n\t");
        if (write_fd(s->fd, out, len) < 0)
            return -1;
    }
    return (ssize_t)size;
}

static int escaping_close(void *cookie)
{
    struct escaping_stream *s = cookie;
    char out[32];
    size_t len = ss_printable(out, sizeof out, s->held, s->nheld);
    s->nheld = 0;
    return write_fd(s->fd, out, len);
}

static FILE *escaping(struct escaping_stream *s, int mode)
{
    cookie_io_functions_t io = { .write = escaping_write, .close = escaping_close };
    FILE *f = fopencookie(s, "w", io);
    if (f)
        setvbuf(f, NULL, mode, BUFSIZ);
    return f;
}

void output_escape_std_streams(void)
{
    FILE *out = escaping(&out_stream, isatty(1) ? _IOLBF : _IOFBF);
    FILE *err = escaping(&err_stream, _IOLBF);
    if (!out || !err) {
        if (out)
            fclose(out);
        if (err)
            fclose(err);
        return;
    }
    fflush(stdout);
    fflush(stderr);
    stdout = out;
    stderr = err;
}
