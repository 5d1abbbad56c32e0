/* child.h: run a program doctor does not control (an interpreter) so that
 * nothing it does can hang or fool doctor: a time limit, the whole process
 * group killed, stdout and stderr read apart, and only the lines it marks
 * as answers kept from stdout. */
#ifndef SAGESHIM_CHILD_H
#define SAGESHIM_CHILD_H

#include <stddef.h>

/* Every answer line starts with this; any other output is not an answer. */
#define CHILD_MARK "SAGESHIM-DOCTOR: "

/* The default limit on each interpreter run, in seconds (--timeout). */
#define CHILD_DEFAULT_TIMEOUT 30

struct child_result {
    int started;            /* 0: fork or exec failed (status 127) */
    int status;             /* exit status, or 128 + signal */
    int timed_out;          /* killed at the time limit */
    char marked[16384];     /* the marked lines of stdout, mark removed, '\n' after each */
    char err_tail[2048];    /* the end of stderr (a traceback's last lines) */
};

/* Run argv (argv[0] looked up in PATH) with stdin from /dev/null in a process
 * group of its own.  Returns when it exits - then anything left in its
 * group (a background child holding the pipes) is killed - or after
 * timeout_s seconds, when the whole group is killed.  Never blocks longer. */
void child_run(char *const argv[], unsigned timeout_s, struct child_result *r);

/* The text after "<word> " of the first marked line "<word> ...", or after
 * "<word>" alone; NULL when there is none.  Copies at most len-1 bytes. */
const char *child_answer(const struct child_result *r, const char *word, char *buf,
                         size_t len);

/* The last non-empty line of err_tail, or "" (for "why did it fail"). */
void child_last_error_line(const struct child_result *r, char *buf, size_t len);

#endif
