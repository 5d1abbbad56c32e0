/* file.c: the bounded, trusted whole-file reader (file.h). */
#include "file.h"
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ss_file_kind(mode_t mode)
{
    if (S_ISREG(mode)) return "a regular file";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "of an unknown type";
}

/* Checks made on the open descriptor, before reading. */
static int check_descriptor(int fd, const struct ss_file_rules *rules, struct stat *st,
                            char *why, size_t whylen)
{
    if (fstat(fd, st) != 0) {
        snprintf(why, whylen, "cannot stat: %s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(why, whylen, "not a regular file (%s)", ss_file_kind(st->st_mode));
        return -1;
    }
    const struct ss_trust *trust = rules->trust;
    char untrusted[160];
    if (trust && trust->secure && !ss_stat_trusted(st, trust->uid, untrusted, sizeof untrusted)) {
        snprintf(why, whylen, "refused in a setuid/setgid program: %s", untrusted);
        return -1;
    }
    if (st->st_size < 0 || (uint64_t)st->st_size > rules->max) {
        snprintf(why, whylen, "%lld bytes, larger than the %zu allowed", (long long)st->st_size,
                 rules->max);
        return -1;
    }
    /* O_NONBLOCK was only for the open; reads of a regular file then go
     * on as usual (some file systems honour the flag with EAGAIN). */
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK))
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return 0;
}

/* Read exactly size bytes, and check that nothing follows them. */
static int read_whole(int fd, uint8_t *buf, size_t size, char *why, size_t whylen)
{
    size_t got = 0;
    /* One byte more than the size, to notice a file that grew meanwhile. */
    size_t room = size + 1;
    while (got < room) {
        ssize_t r = read(fd, buf + got, room - got);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0) {
            snprintf(why, whylen, "cannot read: %s", strerror(errno));
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (got != size) {
        snprintf(why, whylen, "file %s while being read", got > size ? "grew" : "shrank");
        return -1;
    }
    return 0;
}

int ss_file_read(const char *path, const struct ss_file_rules *rules, uint8_t **bytes,
                 size_t *len, struct stat *st_out, char *why, size_t whylen)
{
    *bytes = NULL;
    *len = 0;
    int secure = rules->trust && rules->trust->secure;
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    if (rules->nofollow || secure)
        flags |= O_NOFOLLOW;
    int fd = open(path, flags);
    if (fd < 0) {
        if (errno == ELOOP && (flags & O_NOFOLLOW))
            snprintf(why, whylen, "%s", secure ? "refused in a setuid/setgid program: a symbolic link"
                                               : "a symbolic link (not followed)");
        else
            snprintf(why, whylen, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (check_descriptor(fd, rules, &st, why, whylen) < 0) {
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    /* +1 for the growth check, +1 for the NUL. */
    uint8_t *buf = malloc(size + 2);
    if (!buf) {
        snprintf(why, whylen, "out of memory for %zu bytes", size);
        close(fd);
        return -1;
    }
    int rc = read_whole(fd, buf, size, why, whylen);
    close(fd);
    if (rc < 0) {
        free(buf);
        return -1;
    }
    buf[size] = 0;
    *bytes = buf;
    *len = size;
    if (st_out)
        *st_out = st;
    return 0;
}
