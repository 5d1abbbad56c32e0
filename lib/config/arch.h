/* arch.h: GPU architecture names, the one grammar every input uses
 * (sageshim.conf's archs, SAGESHIM_ARCHS, MANIFEST archs=, --sm). */
#ifndef SAGESHIM_ARCH_H
#define SAGESHIM_ARCH_H

#include <stddef.h>

/* One architecture: "90", "9.0" (compute capability), "sm_90", "sm_90a",
 * "sm_100f", "compute_90", "compute_90a" -> 90.  The a/f suffixes name the
 * same SM number as the plain form.  Returns 0, or -1 when tok is not one. */
int ss_parse_arch(const char *tok, unsigned *sm);

/* A list separated by commas and/or blanks ("90, 120", "sm_90a,sm_120").
 * An empty element ("90,,120", a leading or trailing comma) is an error;
 * repeats are dropped.  Fills out[0..*count) with at most max entries.
 * Returns 0, or -1 with the reason in why (why may be NULL). */
int ss_parse_arch_list(const char *text, unsigned *out, size_t max, size_t *count, char *why,
                       size_t whylen);

#endif
