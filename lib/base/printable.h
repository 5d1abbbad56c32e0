/* printable.h: the one sanitiser for text sageshim prints.
 *
 * Names and strings taken from input (paths, config lines, kernel names,
 * archive members) may hold anything, escape sequences that drive a
 * terminal included.  Everything the log and the command line print from
 * input goes through ss_printable first: control characters (C0, DEL, and
 * the C1 range U+0080..U+009F) and bytes that are not valid UTF-8 come out
 * as "\xNN", so the output stays one line per message, cannot drive a
 * terminal, and shows which bytes were there.  Valid UTF-8 text (names in
 * any language) is left as it is. */
#ifndef SAGESHIM_PRINTABLE_H
#define SAGESHIM_PRINTABLE_H

#include <stddef.h>

/* Write the escaped form of in[0..len) into out (at most cap - 1 bytes, a
 * NUL always added when cap > 0; an escape is never cut in half).  Returns
 * the number of bytes written, without the NUL. */
size_t ss_printable(char *out, size_t cap, const char *in, size_t len);

/* The same, leaving the control characters listed in `keep` (e.g. "\n\t"
 * for the tools' own line structure) as they are. */
size_t ss_printable_keep(char *out, size_t cap, const char *in, size_t len, const char *keep);

/* The same for a NUL-terminated string, in one of 8 rotating buffers of
 * this thread (for use as a printf argument; long text is cut). */
const char *ss_printable_str(const char *text);

#endif
