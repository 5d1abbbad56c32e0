/* file.h: the one way the library reads a whole file.
 *
 * Every file sageshim reads (config, MANIFEST, bundle fatbins, images given
 * to the tools or to cuModuleLoad) comes through ss_file_read, so one place
 * decides what may be read:
 *   - opened with O_NONBLOCK | O_NOCTTY | O_CLOEXEC, so a FIFO, a terminal
 *     or a device at that path can never block or become the controlling
 *     terminal; O_NOFOLLOW too when symbolic links are refused;
 *   - fstat on the open descriptor (not the path: no window to swap the
 *     file), and anything but a regular file refused;
 *   - the trust check of secure mode (trust.h) on that same descriptor,
 *     before one byte is read;
 *   - at most `max` bytes, read whole; a file that grows or shrinks while
 *     being read is refused, not half used. */
#ifndef SAGESHIM_FILE_H
#define SAGESHIM_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct ss_trust;

struct ss_file_rules {
    size_t max;                    /* largest size accepted, in bytes */
    const struct ss_trust *trust;  /* NULL or !secure: every owner and mode */
    int nofollow;                  /* 1: a symbolic link at the path is refused */
};

/* Read the file at `path` under `rules` into a malloc'ed buffer with a NUL
 * after the last byte (so text can be used as a string; *len excludes it).
 * st (may be NULL) receives the descriptor's status.  Returns 0, or -1
 * with the reason, without the path, in why ("not a regular file (a FIFO)",
 * "cannot open: ...").  In secure mode (trust->secure) links are always
 * refused, whatever rules->nofollow says. */
int ss_file_read(const char *path, const struct ss_file_rules *rules, uint8_t **bytes,
                 size_t *len, struct stat *st, char *why, size_t whylen);

/* "a FIFO", "a directory", "a character device", ... for messages. */
const char *ss_file_kind(mode_t mode);

#endif
