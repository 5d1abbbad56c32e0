/* logfd.h: the descriptor the log writes to (logfd.c), used by log.c only. */
#ifndef SAGESHIM_LOGFD_H
#define SAGESHIM_LOGFD_H

#include <stddef.h>

/* Log to `path` (NULL, "" or "stderr": to stderr).  A path that cannot be
 * opened, or is not a regular file, gets one line on stderr and the log
 * goes there. */
void shim_logfd_open(const char *path);

/* Write one whole line: only to the file the log opened (or the stderr the
 * program had then), never killed by SIGPIPE. */
void shim_logfd_write(const char *line, size_t len);

/* 1 when the log writes to the file it opened, 0 when to stderr (no file
 * asked for, or the file could not be opened).  After shim_logfd_open. */
int shim_logfd_is_file(void);

/* The same line to the program's stderr as it is now, whatever the log is
 * (config problems when the log is a file), never killed by SIGPIPE. */
void shim_logfd_write_stderr(const char *line, size_t len);

#endif
