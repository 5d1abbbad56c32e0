/* fuzz_ptx.c: the PTX .entry scanner on arbitrary text (not NUL-terminated:
 * the scanner must stay inside the length it is given). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_targets.h"
#include "reader/image.h"
#include "reader/kernels.h"

int fuzz_ptx_input(const uint8_t *data, size_t size)
{
    struct ss_entry entry;
    struct ss_error err;
    memset(&entry, 0, sizeof entry);
    if (ss_ptx_read((const char *)data, size, &entry, &err) == 0) {
        for (size_t k = 0; k < entry.nkernels; k++) {
            const struct ss_kernel *kernel = &entry.kernels[k];
            if (!kernel->name || !ss_entry_find_kernel(&entry, kernel->name))
                abort();
            /* PTX parameters are laid out by the scanner in ordinal order. */
            for (unsigned p = 1; p < kernel->nparams; p++)
                if (kernel->params[p].offset < kernel->params[p - 1].offset)
                    abort();
        }
    }
    ss_entry_clear_kernels(&entry);
    return 0;
}
