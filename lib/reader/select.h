/* select.h: which entry of a container the driver runs on a device.
 *
 * The rule (fatbin-format §5.3): SASS of the same major and a minor not above
 * the device's, `a` only on the exact arch, `f` only inside its family; the
 * best is exact-arch `a`, then exact arch, then the highest lower minor.  With
 * no SASS: PTX with arch <= device, highest wins, `a` preferred at equal arch. */
#ifndef SAGESHIM_SELECT_H
#define SAGESHIM_SELECT_H

#include "image.h"

/* Index of the entry a device of compute capability major.minor would load,
 * or -1 when the container has none (the launch would fail).  force_ptx
 * mirrors CUDA_FORCE_PTX_JIT=1 (SASS skipped). */
int ss_select_entry(const struct ss_container *c, int major, int minor, int force_ptx);

/* 1 when entry e can run on major.minor at all (as SASS or by JIT). */
int ss_entry_runs_on(const struct ss_entry *e, int major, int minor);

#endif
