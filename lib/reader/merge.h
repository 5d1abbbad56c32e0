/* merge.h: build the fatbin container the shim hands to the driver instead
 * of the original: every original entry for other architectures byte for
 * byte, and the replacement's entries for the target architectures. */
#ifndef SAGESHIM_MERGE_H
#define SAGESHIM_MERGE_H

#include "image.h"

/* Targets are SM numbers (90, 120).  Original entries (ELF and PTX) whose
 * `sm` is a target are dropped; replacement entries whose `sm` is a target
 * are appended (their stored bytes, compression kept).  Fails (-1, err) when
 * the replacement has no entry for some target.  *out is malloc'ed, 8-byte
 * aligned, a complete container (16-byte header + entries). */
int ss_merge(const struct ss_container *orig, const struct ss_container *repl,
             const unsigned *target_sms, size_t ntargets,
             uint8_t **out, size_t *out_len, struct ss_error *err);

#endif
