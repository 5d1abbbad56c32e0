/* kernels.h: ownership of the kernel lists that ss_cubin_read and
 * ss_ptx_read attach to an entry.  Internal to the core library. */
#ifndef SAGESHIM_KERNELS_H
#define SAGESHIM_KERNELS_H

#include "image.h"

/* Free n kernels (names, parameter arrays) and the array itself. */
void ss_kernels_free(struct ss_kernel *kernels, size_t n);

/* Drop an entry's kernel list: kernels freed, kernels_read 0. */
void ss_entry_clear_kernels(struct ss_entry *entry);

#endif
