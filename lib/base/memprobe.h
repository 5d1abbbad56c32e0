/* memprobe.h: how much of a pointer the process may read.
 *
 * An image handed to cuModuleLoadData and friends is a bare pointer: its
 * length comes from its own headers, which may lie.  Before the reader
 * touches the bytes those headers claim, it asks the kernel whether they
 * are mapped and readable; a read of an unmapped page then fails in a
 * system call instead of faulting in the program. */
#ifndef SAGESHIM_MEMPROBE_H
#define SAGESHIM_MEMPROBE_H

#include <stddef.h>

/* Bytes from p, at most `want`, that can be read: every page overlapping
 * p[0..want) up to the first unreadable one (want when all are).  0 when
 * p itself cannot be read. */
size_t ss_readable_extent(const void *p, size_t want);

#endif
