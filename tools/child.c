/* child.c: run an interpreter with a time limit, in its own process group,
 * reading stdout and stderr apart (child.h).
 *
 * Why each piece: an interpreter may hang, stop itself, or exit while a
 * child it started keeps the pipe open, so reading to end-of-file could wait
 * forever; the deadline and the group kill bound every case.  A sitecustomize
 * or PYTHONVERBOSE writes to stderr, and a print in a startup hook to
 * stdout, so only lines carrying CHILD_MARK on stdout are answers. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After the interpreter exits, output still in the pipes is read for at most
 * this long (a background child may keep writing forever). */
#define DRAIN_MS 200

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* stdout is cut into lines; marked ones are kept. */
struct line_reader {
    char line[12288];       /* a hex-encoded PATH_MAX path fits */
    size_t used;
    int overflow;           /* the current line is too long: dropped */
};

static void keep_marked(struct child_result *r, const char *line, size_t n)
{
    size_t mark = strlen(CHILD_MARK);
    if (n < mark || memcmp(line, CHILD_MARK, mark) != 0)
        return;
    size_t have = strlen(r->marked);
    if (have + (n - mark) + 2 > sizeof r->marked)
        return;
    memcpy(r->marked + have, line + mark, n - mark);
    r->marked[have + n - mark] = '\n';
    r->marked[have + n - mark + 1] = '\0';
}

static void feed_stdout(struct child_result *r, struct line_reader *lr, const char *buf,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            if (!lr->overflow)
                keep_marked(r, lr->line, lr->used);
            lr->used = 0;
            lr->overflow = 0;
        } else if (lr->used < sizeof lr->line) {
            lr->line[lr->used++] = buf[i];
        } else {
            lr->overflow = 1;
        }
    }
}

static void feed_stderr(struct child_result *r, const char *buf, size_t n)
{
    size_t cap = sizeof r->err_tail - 1, have = strlen(r->err_tail);
    if (n >= cap) {
        memcpy(r->err_tail, buf + n - cap, cap);
        r->err_tail[cap] = '\0';
        return;
    }
    if (have + n > cap) {
        size_t drop = have + n - cap;
        memmove(r->err_tail, r->err_tail + drop, have - drop + 1);
        have -= drop;
    }
    memcpy(r->err_tail + have, buf, n);
    r->err_tail[have + n] = '\0';
}

/* Read what is ready on the open descriptors within wait_ms; a descriptor at
 * end-of-file is closed (set to -1). */
static void read_ready(int fds[2], int wait_ms, struct child_result *r, struct line_reader *lr)
{
    struct pollfd p[2];
    nfds_t n = 0;
    int which[2];
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0) {
            p[n].fd = fds[i];
            p[n].events = POLLIN;
            p[n].revents = 0;
            which[n++] = i;
        }
    if (n == 0) {
        if (wait_ms > 0)
            poll(NULL, 0, wait_ms);
        return;
    }
    if (poll(p, n, wait_ms) <= 0)
        return;
    for (nfds_t k = 0; k < n; k++) {
        if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buf[4096];
        ssize_t got = read(p[k].fd, buf, sizeof buf);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            close(fds[which[k]]);
            fds[which[k]] = -1;
            continue;
        }
        if (which[k] == 0)
            feed_stdout(r, lr, buf, (size_t)got);
        else
            feed_stderr(r, buf, (size_t)got);
    }
}

/* Has the interpreter exited?  Asked without reaping it, so its pid (the
 * group's id) stays reserved until the group has been killed. */
static int has_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

static void start(char *const argv[], int out[2], int err[2])
{
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) {
        dup2(null, 0);
        close(null);
    }
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(out[1]);
    close(err[0]);
    close(err[1]);
    /* Doctor ignores nothing; the interpreter gets default dispositions. */
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* The interpreter's group while one runs: doctor interrupted (Ctrl-C goes
 * to the terminal's foreground group, which the interpreter has left) takes
 * it down too instead of leaving it running. */
static volatile sig_atomic_t running_group;

static void kill_group_and_die(int sig)
{
    if (running_group)
        kill(-(pid_t)running_group, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static void guard(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = kill_group_and_die;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_signals[i], &sa, &old[i]);
}

static void unguard(const struct sigaction *old)
{
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_signals[i], &old[i], NULL);
}

void child_run(char *const argv[], unsigned timeout_s, struct child_result *r)
{
    memset(r, 0, sizeof *r);
    r->status = 127;
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        start(argv, out, err);
    close(out[1]);
    close(err[1]);
    int fds[2] = { out[0], err[0] };
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return;
    }
    setpgid(pid, pid);   /* also here: whichever runs first makes the group */
    struct sigaction old_actions[NFATAL];
    running_group = pid;
    guard(old_actions);
    r->started = 1;
    struct line_reader lr;
    lr.used = 0;
    lr.overflow = 0;
    long long deadline = now_ms() + (long long)timeout_s * 1000;
    for (;;) {
        if (has_exited(pid)) {
            /* What it wrote before exiting is in the pipes; a child it left
             * behind may keep them open, so read for a short while only. */
            long long drain_end = now_ms() + DRAIN_MS;
            while ((fds[0] >= 0 || fds[1] >= 0) && now_ms() < drain_end)
                read_ready(fds, 20, r, &lr);
            break;
        }
        long long left = deadline - now_ms();
        if (left <= 0) {
            r->timed_out = 1;
            break;
        }
        read_ready(fds, left < 100 ? (int)left : 100, r, &lr);
    }
    /* The whole group: the interpreter at the limit, and whatever it left
     * running in either case. */
    kill(-pid, SIGKILL);
    if (r->timed_out)
        kill(pid, SIGKILL);
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    unguard(old_actions);
    running_group = 0;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r->status == 127 && !r->marked[0])
        r->started = 0;
}

const char *child_answer(const struct child_result *r, const char *word, char *buf, size_t len)
{
    size_t wl = strlen(word);
    for (const char *line = r->marked; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n >= wl && memcmp(line, word, wl) == 0 && (n == wl || line[wl] == ' ')) {
            size_t skip = n == wl ? wl : wl + 1;
            size_t copy = n - skip < len - 1 ? n - skip : len - 1;
            memcpy(buf, line + skip, copy);
            buf[copy] = '\0';
            return buf;
        }
        line += n + (end ? 1 : 0);
    }
    return NULL;
}

void child_last_error_line(const struct child_result *r, char *buf, size_t len)
{
    const char *text = r->err_tail;
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    size_t start = n;
    while (start && text[start - 1] != '\n')
        start--;
    snprintf(buf, len, "%.*s", (int)(n - start), text + start);
}
