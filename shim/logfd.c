/* logfd.c: the log's descriptor.  The library writes into other people's
 * processes, so it must never block on, kill, or write into something that
 * is not its log:
 *   - the log file is opened O_NONBLOCK | O_NOCTTY (a FIFO or a terminal at
 *     the path can neither hang the program before main() nor become its
 *     controlling terminal) and used only when fstat says it is a regular
 *     file or the null device (SAGESHIM_LOG=/dev/null is how a user asks for
 *     no log: refusing it sent every diagnose line to stderr instead);
 *   - the device and inode of the descriptor (the log file's, or fd 2's when
 *     logging to stderr) are kept, and checked before every line: a program
 *     that closed the descriptor and opened its own file under the same
 *     number gets nothing appended.  A log file is then opened again by its
 *     path; stderr that changed identity is left alone (the log goes
 *     silent);
 *   - a line written to a pipe or socket is written with SIGPIPE blocked,
 *     and the SIGPIPE that write raised (reader gone) is taken back, so a
 *     program whose stderr is a dead pipe is not killed by our line. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "logfd.h"
#include "base/printable.h"

/* The target.  fd -1: silent.  Readers load the fields one by one; a torn
 * read only looks like a changed identity and is checked again under
 * reopen_lock. */
static atomic_int target_fd = 2;
static atomic_ulong target_dev;
static atomic_ulong target_ino;
static atomic_int target_is_pipe;
static char target_path[PATH_MAX];  /* "" when logging to stderr */
static pthread_mutex_t reopen_lock = PTHREAD_MUTEX_INITIALIZER;

static void write_all(int fd, const char *line, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, line, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        line += n;
        len -= (size_t)n;
    }
}

/* A write to a pipe or socket whose reader is gone raises SIGPIPE in this
 * thread.  Blocked, it stays pending; taken back with sigtimedwait unless a
 * SIGPIPE was already pending before our write (the program's own, which
 * must stay: the two are one signal then, and nothing is taken). */
static void write_without_sigpipe(int fd, const char *line, size_t len)
{
    sigset_t pipe_only, old, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe_only, &old) != 0)
        return;   /* cannot protect the program: do not write */
    int was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    ssize_t n;
    do {
        n = write(fd, line, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EPIPE && !was_pending) {
        const struct timespec now = { 0, 0 };
        while (sigtimedwait(&pipe_only, NULL, &now) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void set_target(int fd, const struct stat *st)
{
    atomic_store(&target_dev, (unsigned long)st->st_dev);
    atomic_store(&target_ino, (unsigned long)st->st_ino);
    atomic_store(&target_is_pipe, S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode));
    atomic_store(&target_fd, fd);
}

/* fd 2 as the program has it now; silent when it is not open. */
static void target_stderr(void)
{
    struct stat st;
    target_path[0] = '\0';
    if (fstat(2, &st) == 0)
        set_target(2, &st);
    else
        atomic_store(&target_fd, -1);
}

/* The null device (1,3 on Linux): a write there can neither block nor land
 * in anybody's data. */
static int is_null_device(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

/* Open the log file; -1 with why filled when it cannot be used. */
static int open_log_file(const char *path, struct stat *st, char *why, size_t whylen)
{
    /* O_NOFOLLOW: a log path in a shared directory must not be a way to make
     * the program append to some other file through a planted link. */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
                            | O_NOCTTY, 0644);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !(S_ISREG(st->st_mode) || is_null_device(st))) {
        snprintf(why, whylen, "not a regular file");
        close(fd);
        return -1;
    }
    return fd;
}

void shim_logfd_open(const char *path)
{
    target_stderr();
    if (!path || !path[0] || strcmp(path, "stderr") == 0)
        return;
    struct stat st;
    char why[128];
    int fd = open_log_file(path, &st, why, sizeof why);
    if (fd < 0) {
        char shown[1024], line[1400];
        ss_printable(shown, sizeof shown, path, strlen(path));
        int n = snprintf(line, sizeof line, "sageshim[%d]: cannot open log %s: %s; logging to stderr\n",
                         (int)getpid(), shown, why);
        if (n > 0)
            shim_logfd_write(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        return;
    }
    snprintf(target_path, sizeof target_path, "%s", path);
    set_target(fd, &st);
}

/* The descriptor no longer is what the log opened: open the log file
 * again, or go silent (stderr).  Returns the descriptor to use, or -1. */
static int target_changed(void)
{
    pthread_mutex_lock(&reopen_lock);
    int fd = atomic_load(&target_fd);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && (unsigned long)st.st_dev == atomic_load(&target_dev)
        && (unsigned long)st.st_ino == atomic_load(&target_ino)) {
        pthread_mutex_unlock(&reopen_lock);
        return fd;   /* another thread fixed it already */
    }
    char why[128];
    fd = target_path[0] ? open_log_file(target_path, &st, why, sizeof why) : -1;
    if (fd >= 0)
        set_target(fd, &st);
    else
        atomic_store(&target_fd, -1);
    pthread_mutex_unlock(&reopen_lock);
    return fd;
}

void shim_logfd_write(const char *line, size_t len)
{
    /* log.c opens the log (shim_logfd_open) before its first line. */
    int fd = atomic_load(&target_fd);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || (unsigned long)st.st_dev != atomic_load(&target_dev)
        || (unsigned long)st.st_ino != atomic_load(&target_ino)) {
        fd = target_changed();
        if (fd < 0)
            return;
    }
    if (atomic_load(&target_is_pipe))
        write_without_sigpipe(fd, line, len);
    else
        write_all(fd, line, len);
}

/* target_path is written by shim_logfd_open only, which log.c runs once
 * before any line. */
int shim_logfd_is_file(void)
{
    return target_path[0] != '\0';
}

void shim_logfd_write_stderr(const char *line, size_t len)
{
    struct stat st;
    if (fstat(2, &st) != 0)
        return;
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        write_without_sigpipe(2, line, len);
    else
        write_all(2, line, len);
}

/* A child forked while another thread was reopening starts with the lock
 * free (shim.h: each file that holds a lock resets its own). */
static void reopen_lock_in_child(void)
{
    pthread_mutex_init(&reopen_lock, NULL);
}

__attribute__((constructor)) static void logfd_register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, reopen_lock_in_child);
}
