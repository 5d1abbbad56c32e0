/* trust.c: which files a setuid/setgid program may read (trust.h). */
#include "trust.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ss_stat_trusted(const struct stat *st, uid_t uid, char *why, size_t len)
{
    if (st->st_uid != 0 && st->st_uid != uid) {
        snprintf(why, len, "owned by uid %ld, neither root nor the real user (uid %ld)",
                 (long)st->st_uid, (long)uid);
        return 0;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, len, "writable by %s (mode %03o)",
                 (st->st_mode & S_IWOTH) ? "others" : "its group",
                 (unsigned)(st->st_mode & 0777));
        return 0;
    }
    return 1;
}

int ss_file_trusted(const char *path, uid_t uid, char *why, size_t len)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, len, "cannot stat: %s", strerror(errno));
        return 0;
    }
    return ss_stat_trusted(&st, uid, why, len);
}
