/* fuzz_loaded.c: the in-memory image path the preload library takes from a
 * driver call (cuModuleLoadData and friends -> ss_image_parse_loaded):
 * arbitrary bytes placed so that they end exactly where the mapping ends
 * (an inaccessible page follows), handed over as a bare pointer and
 * through a __fatBinC_Wrapper_t pointing at them.  Headers that claim more
 * than is mapped must be refused, never read: a read past the end faults
 * on the guard page and the fuzzer reports it. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_targets.h"
#include "reader/image.h"

static void visit(const struct ss_image *image)
{
    char arch[32];
    for (size_t c = 0; c < image->ncontainers; c++)
        for (size_t i = 0; i < image->containers[c].nentries; i++) {
            const struct ss_entry *e = &image->containers[c].entries[i];
            ss_entry_arch_name(e, arch, sizeof arch);
            for (size_t k = 0; e->kernels_read && k < e->nkernels; k++)
                if (!ss_entry_find_kernel(e, e->kernels[k].name))
                    abort();
        }
}

static void parse_at(const void *pointer)
{
    struct ss_image image;
    struct ss_error err;
    size_t measured = ss_image_measure(pointer);
    if (ss_image_parse_loaded(pointer, &image, &err) == 0) {
        /* What parsed was measured: the shim copies and hashes that much. */
        if (measured == 0)
            abort();
        visit(&image);
        ss_image_free(&image);
    }
}

int fuzz_loaded_input(const uint8_t *data, size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (size + page - 1) / page + 1;
    uint8_t *base = mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return 0;
    uint8_t *guard = base + pages * page;
    if (mprotect(guard, page, PROT_NONE) != 0) {
        munmap(base, (pages + 1) * page);
        return 0;
    }
    uint8_t *bytes = guard - size;
    memcpy(bytes, data, size);
    if (size > 0)
        parse_at(bytes);
    /* The wrapper the host code of an extension module registers. */
    struct {
        uint32_t magic, version;
        const void *data, *filename;
    } wrapper = { SS_WRAPPER_MAGIC, 1, size ? (const void *)bytes : (const void *)guard, NULL };
    parse_at(&wrapper);
    munmap(base, (pages + 1) * page);
    return 0;
}
