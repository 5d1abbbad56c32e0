/* trust.h: secure execution (setuid/setgid programs, AT_SECURE).
 *
 * A program running with more privileges than the user who started it must
 * not let that user steer it: in secure mode the preload library ignores its
 * SAGESHIM_* environment and reads only files that the user could not have
 * planted (owned by root or the real user, writable by nobody else). */
#ifndef SAGESHIM_TRUST_H
#define SAGESHIM_TRUST_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What file reads must check.  secure = 0: everything is trusted. */
struct ss_trust {
    int secure;   /* getauxval(AT_SECURE) was nonzero */
    uid_t uid;    /* the real user: files it owns are accepted too */
};

/* Is a file with this status fit to read in secure mode?  Trusted: owned by
 * root or `uid`, not writable by group or others.  Returns 1, or 0 with the
 * reason (without the file name) in why. */
int ss_stat_trusted(const struct stat *st, uid_t uid, char *why, size_t len);

/* The same for a path (stat, following links: the file read is what counts).
 * A path that cannot be stat'ed is not trusted. */
int ss_file_trusted(const char *path, uid_t uid, char *why, size_t len);

#endif
