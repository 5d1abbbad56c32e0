/* report_once.h: configuration problems reported once per process tree.
 *
 * Every process that loads the preload library reads the same config and
 * finds the same problems; a launcher's fifty children must not repeat them.
 * The process that reports them (or `sageshim run`, before it starts the
 * program) sets SAGESHIM_CONFIG_REPORTED to a hash of the lines it reported;
 * a descendant whose lines hash the same stays quiet.  Lines that differ (a
 * child given another SAGESHIM_CONF) are reported again. */
#ifndef SAGESHIM_REPORT_ONCE_H
#define SAGESHIM_REPORT_ONCE_H

#include <stddef.h>
#include <stdint.h>

#define SS_REPORTED_ENV "SAGESHIM_CONFIG_REPORTED"

/* "file:line: message", or "file: message" when line is 0: the one way a
 * config problem is written, by the library and by the tools, cut to
 * SS_PROBLEM_LINE_MAX - 1 bytes so both hash the same text. */
#define SS_PROBLEM_LINE_MAX 320
void ss_problem_line(char *out, size_t len, const char *file, int line, const char *message);

/* Hash of a sequence of problem lines: start with SS_REPORT_HASH_START and
 * add each line in order. */
#define SS_REPORT_HASH_START UINT64_C(14695981039346656037)
uint64_t ss_report_hash_add(uint64_t hash, const char *line);

/* The value of SAGESHIM_CONFIG_REPORTED for a hash: 16 hex digits. */
void ss_report_marker(uint64_t hash, char out[17]);

#endif
