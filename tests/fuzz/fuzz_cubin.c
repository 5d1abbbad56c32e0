/* fuzz_cubin.c: the cubin reader (ELF header, .nv.info.<kernel> attributes,
 * .nv.shared.<kernel> sizes) on arbitrary bytes, as for a bare cubin. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_targets.h"
#include "reader/image.h"
#include "reader/kernels.h"

int fuzz_cubin_input(const uint8_t *data, size_t size)
{
    struct ss_entry entry;
    struct ss_error err;
    memset(&entry, 0, sizeof entry);
    if (ss_cubin_read(data, size, &entry, &err) == 0) {
        for (size_t k = 0; k < entry.nkernels; k++) {
            const struct ss_kernel *kernel = &entry.kernels[k];
            if (!kernel->name || !ss_entry_find_kernel(&entry, kernel->name))
                abort();
            if (kernel->nparams > 0 && !kernel->params)
                abort();
        }
    }
    ss_entry_clear_kernels(&entry);
    return 0;
}
