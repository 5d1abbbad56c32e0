/* log.c: "sageshim[<pid>]: <message>" lines, to stderr or the configured
 * file.  Each line is written with one write() so lines from several
 * threads and processes sharing the file never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

#define LOG_LINE_MAX 2048

static atomic_int log_fd = 2;

static void write_line(int fd, const char *line, size_t len)
{
    ssize_t n;
    do {
        n = write(fd, line, len);
    } while (n < 0 && errno == EINTR);
}

void shim_log_open(const struct ss_config *cfg)
{
    if (!cfg->log || !cfg->log[0] || strcmp(cfg->log, "stderr") == 0)
        return;
    /* O_NOFOLLOW: a log path in a shared directory must not be a way to make
     * the program append to some other file through a planted link. */
    int fd = open(cfg->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        char line[LOG_LINE_MAX];
        int n = snprintf(line, sizeof line, "sageshim[%d]: cannot open log %s: %s; logging to stderr\n",
                         (int)getpid(), cfg->log, strerror(errno));
        if (n > 0)
            write_line(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        return;
    }
    atomic_store(&log_fd, fd);
}

/* getpid() is a system call; diagnose mode logs every launch, so the pid is
 * kept and forgotten in a forked child (shim_log_after_fork). */
static atomic_int cached_pid;

static int current_pid(void)
{
    int pid = atomic_load_explicit(&cached_pid, memory_order_relaxed);
    if (pid == 0) {
        pid = (int)getpid();
        atomic_store_explicit(&cached_pid, pid, memory_order_relaxed);
    }
    return pid;
}

void shim_log_after_fork(void)
{
    atomic_store(&cached_pid, 0);
}

void shim_log(enum ss_log_level level, const char *fmt, ...)
{
    int saved_errno = errno;
    const struct ss_config *cfg = shim_config();
    if ((int)level > (int)cfg->log_level) {
        errno = saved_errno;
        return;
    }

    char line[LOG_LINE_MAX];
    int prefix = snprintf(line, sizeof line, "sageshim[%d]: ", current_pid());
    if (prefix < 0)
        prefix = 0;
    va_list ap;
    va_start(ap, fmt);
    /* Leave room for the newline; a longer message is cut. */
    int n = vsnprintf(line + prefix, sizeof line - (size_t)prefix - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)prefix;
    if (n > 0)
        len += (size_t)n < sizeof line - (size_t)prefix - 1 ? (size_t)n
                                                            : sizeof line - (size_t)prefix - 2;
    /* Messages quote files (config lines, paths) that may hold anything:
     * control bytes must not split the line or drive a terminal. */
    for (size_t i = (size_t)prefix; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    line[len++] = '\n';
    write_line(atomic_load(&log_fd), line, len);
    errno = saved_errno;
}
