/* kernels.c: release kernel lists read from cubins and PTX. */
#include "kernels.h"

#include <stdlib.h>

void ss_kernels_free(struct ss_kernel *kernels, size_t n)
{
    if (!kernels)
        return;
    for (size_t i = 0; i < n; i++) {
        free(kernels[i].name);
        free(kernels[i].params);
    }
    free(kernels);
}

void ss_entry_clear_kernels(struct ss_entry *entry)
{
    ss_kernels_free(entry->kernels, entry->nkernels);
    entry->kernels = NULL;
    entry->nkernels = 0;
    entry->kernels_read = 0;
}
