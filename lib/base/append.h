/* append.h: building a message in a fixed buffer. */
#ifndef SAGESHIM_APPEND_H
#define SAGESHIM_APPEND_H

#include <stddef.h>

/* Append printf-formatted text to the NUL-terminated string in buf (len
 * bytes in all); what does not fit is cut, and buf stays terminated. */
void ss_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
