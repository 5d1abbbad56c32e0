/* module_image.c: a stand-in for a CUDA extension module.  It carries one
 * fatbin (FIXTURE_FATBIN, a path string given with -D) the way nvcc-built
 * objects do - in a .nv_fatbin section, reached through a host wrapper - so
 * dladdr() on the wrapper names this .so, and exports both pointers for the
 * test clients:
 *
 *   sageshim_fixture_wrapper    -> the __fatBinC_Wrapper_t (what the runtime
 *                                  hands to cuLibraryLoadData)
 *   sageshim_fixture_container  -> the fatbin container itself */
#include <stdint.h>

#ifndef FIXTURE_FATBIN
#error "build with -DFIXTURE_FATBIN='\"path/to.fatbin\"'"
#endif

__asm__(".pushsection .nv_fatbin, \"a\"\n"
        ".balign 16\n"
        "fixture_container_bytes:\n"
        ".incbin \"" FIXTURE_FATBIN "\"\n"
        ".popsection\n");

extern const uint8_t fixture_container_bytes[];

struct fatbin_wrapper {
    uint32_t magic;
    uint32_t version;
    const void *data;
    void *filename_or_fatbins;
};

static const struct fatbin_wrapper fixture_wrapper = {
    0x466243B1u, 1, fixture_container_bytes, 0,
};

__attribute__((visibility("default"))) const void *sageshim_fixture_wrapper = &fixture_wrapper;
__attribute__((visibility("default"))) const void *sageshim_fixture_container =
    fixture_container_bytes;
