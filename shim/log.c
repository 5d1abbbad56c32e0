/* log.c: "sageshim[<pid>]: <message>" lines, to stderr or the configured
 * file.  Each line is written with one write() so lines from several
 * threads and processes sharing the file never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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

/* The log file is opened at the first line, not at start-up: a process
 * that has nothing to say must not even create the file. */
static const char *log_path;          /* cfg->log (the config lives as long as the process) */
enum { LOG_NOT_OPENED, LOG_OPENING, LOG_OPENED };
static atomic_int log_state = LOG_NOT_OPENED;

void shim_log_open(const struct ss_config *cfg)
{
    if (!cfg->log || !cfg->log[0] || strcmp(cfg->log, "stderr") == 0)
        return;
    log_path = cfg->log;
}

static void open_or_fall_back(void)
{
    /* O_NOFOLLOW: a log path in a shared directory must not be a way to make
     * the program append to some other file through a planted link. */
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        char line[LOG_LINE_MAX];
        int n = snprintf(line, sizeof line, "sageshim[%d]: cannot open log %s: %s; logging to stderr\n",
                         (int)getpid(), log_path, strerror(errno));
        if (n > 0)
            write_line(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        return;
    }
    atomic_store(&log_fd, fd);
}

static void open_log_file(void)
{
    if (!log_path || atomic_load(&log_state) == LOG_OPENED)
        return;
    int expected = LOG_NOT_OPENED;
    if (!atomic_compare_exchange_strong(&log_state, &expected, LOG_OPENING)) {
        /* Another thread is opening it: its first line goes to the file too. */
        while (atomic_load(&log_state) != LOG_OPENED)
            sched_yield();
        return;
    }
    open_or_fall_back();
    atomic_store(&log_state, LOG_OPENED);
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
    /* An open cut short by the fork (another thread) is tried again. */
    if (atomic_load(&log_state) == LOG_OPENING)
        atomic_store(&log_state, LOG_NOT_OPENED);
}

int shim_log_enabled(enum ss_log_level level)
{
    return (int)level <= (int)shim_config()->log_level;
}

/* "sageshim[<pid>]: " without snprintf: it is written before every line. */
static size_t put_prefix(char *line)
{
    static const char head[] = "sageshim[";
    size_t len = sizeof head - 1;
    memcpy(line, head, len);
    len += shim_put_decimal(line + len, (unsigned)current_pid());
    line[len++] = ']';
    line[len++] = ':';
    line[len++] = ' ';
    return len;
}

/* Prefix, message (control bytes replaced), newline, into line
 * (LOG_LINE_MAX bytes); returns the length. */
static size_t format_line(char *line, const char *text, size_t text_len)
{
    size_t prefix = put_prefix(line);
    /* Leave room for the newline; a longer message is cut. */
    size_t room = sizeof line - prefix - 1;
    if (text_len > room)
        text_len = room;
    /* Messages quote files (config lines, paths) that may hold anything:
     * control bytes must not split the line or drive a terminal. */
    for (size_t i = 0; i < text_len; i++) {
        unsigned char c = (unsigned char)text[i];
        line[prefix + i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    size_t len = prefix + text_len;
    line[len++] = '\n';
    return len;
}

/* One line, one write(). */
static void write_message(const char *text, size_t text_len)
{
    char line[LOG_LINE_MAX];
    size_t len = format_line(line, text, text_len);
    open_log_file();
    write_line(atomic_load(&log_fd), line, len);
}

void shim_log_text(enum ss_log_level level, const char *text, size_t len)
{
    int saved_errno = errno;
    if (shim_log_enabled(level))
        write_message(text, len);
    errno = saved_errno;
}

void shim_log(enum ss_log_level level, const char *fmt, ...)
{
    int saved_errno = errno;
    if (!shim_log_enabled(level)) {
        errno = saved_errno;
        return;
    }
    char message[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    size_t len = 0;
    if (n > 0)
        len = (size_t)n < sizeof message ? (size_t)n : sizeof message - 1;
    write_message(message, len);
    errno = saved_errno;
}

void shim_log_console_too(enum ss_log_level level, const char *text)
{
    int saved_errno = errno;
    if (shim_log_enabled(level)) {
        size_t text_len = strlen(text);
        write_message(text, text_len);
        /* The log is a file: a person at the console must still see this. */
        if (atomic_load(&log_fd) != 2) {
            char line[LOG_LINE_MAX];
            write_line(2, line, format_line(line, text, text_len));
        }
    }
    errno = saved_errno;
}
