/* log.c: "sageshim[<pid>]: <message>" lines, to stderr or the configured
 * file.  Each line is written with one write() so lines from several
 * threads and processes sharing the file never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "logfd.h"
#include "policy.h"
#include "base/printable.h"

#define LOG_LINE_MAX 2048

/* Set by shim_log_open, from the configuration: the log never asks for the
 * configuration itself (state.c logs while it loads it).  Until then, errors
 * only. */
static atomic_int log_level = SS_LOG_ERROR;

/* The log file is opened at the first line, not at start-up: a process
 * that has nothing to say must not even create the file. */
static const char *log_path;   /* cfg->log (the config lives as long as the process) */
enum { LOG_NOT_OPENED, LOG_OPENING, LOG_OPENED };
static atomic_int log_state = LOG_NOT_OPENED;

void shim_log_open(const struct ss_config *cfg)
{
    atomic_store(&log_level, (int)cfg->log_level);
    log_path = cfg->log;
}

static void open_log_once(void)
{
    if (atomic_load(&log_state) == LOG_OPENED)
        return;
    int expected = LOG_NOT_OPENED;
    if (!atomic_compare_exchange_strong(&log_state, &expected, LOG_OPENING)) {
        /* Another thread is opening it: this line goes to the file too. */
        while (atomic_load(&log_state) != LOG_OPENED)
            sched_yield();
        return;
    }
    shim_logfd_open(log_path);
    atomic_store(&log_state, LOG_OPENED);
}

/* getpid() is a system call; diagnose mode logs every launch, so the pid is
 * kept and forgotten in a forked child (forget_pid_in_child). */
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

static void forget_pid_in_child(void)
{
    atomic_store(&cached_pid, 0);
    /* An open cut short by the fork (another thread) is tried again. */
    if (atomic_load(&log_state) == LOG_OPENING)
        atomic_store(&log_state, LOG_NOT_OPENED);
}

__attribute__((constructor)) static void log_register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, forget_pid_in_child);
}

int shim_log_enabled(enum ss_log_level level)
{
    return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
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

/* Prefix, message, newline, into line; returns the length.  escape: the
 * message quotes input (config lines, paths, names that may hold
 * anything), so its control bytes are escaped: they must not split the
 * line or drive a terminal.  Text the shim composed only of printable parts
 * (the launch line: numbers, fixed words and the kernel name escaped once
 * when it was recorded) is copied as it is; escaping it again on every
 * launch was most of the launch line's cost. */
static size_t format_line(char line[LOG_LINE_MAX], const char *text, size_t text_len, int escape)
{
    size_t prefix = put_prefix(line);
    /* At most room bytes of text, then the newline; a longer message is
     * cut (ss_printable writes at most room bytes of text into room + 1,
     * the last for its NUL, which the newline then replaces). */
    size_t room = LOG_LINE_MAX - prefix - 1;
    if (text_len > room)
        text_len = room;
    size_t len;
    if (escape) {
        len = prefix + ss_printable(line + prefix, room + 1, text, text_len);
    } else {
        memcpy(line + prefix, text, text_len);
        len = prefix + text_len;
    }
    line[len++] = '\n';
    return len;
}

/* One line, one write(). */
static void write_message(const char *text, size_t text_len, int escape)
{
    char line[LOG_LINE_MAX];
    size_t len = format_line(line, text, text_len, escape);
    open_log_once();
    shim_logfd_write(line, len);
}

void shim_log_text(enum ss_log_level level, const char *text, size_t len)
{
    int saved_errno = errno;
    if (shim_log_enabled(level))
        write_message(text, len, 1);
    errno = saved_errno;
}

void shim_log_printable_text(enum ss_log_level level, const char *text, size_t len)
{
    int saved_errno = errno;
    if (shim_log_enabled(level))
        write_message(text, len, 0);
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
    write_message(message, len, 1);
    errno = saved_errno;
}

void shim_log_console_too(enum ss_log_level level, const char *text)
{
    int saved_errno = errno;
    if (shim_log_enabled(level)) {
        size_t text_len = strlen(text);
        write_message(text, text_len, 1);
        /* The log is a file: a person at the console must still see this.
         * (Not when the file could not be opened: the line went to stderr.) */
        if (shim_logfd_is_file()) {
            char line[LOG_LINE_MAX];
            shim_logfd_write_stderr(line, format_line(line, text, text_len, 1));
        }
    }
    errno = saved_errno;
}
