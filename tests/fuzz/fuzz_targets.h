/* fuzz_targets.h: the entry function of every fuzz target.
 *
 * Each tests/fuzz/fuzz_<target>.c defines fuzz_<target>_input().  The
 * libFuzzer binaries take it as LLVMFuzzerTestOneInput (module.mk aliases
 * the symbol at link time), and check_fuzz_regressions links all of them
 * with gcc to replay tests/fuzz/regressions/<target>/.  A target returns 0;
 * when a property it checks does not hold it calls abort(), which both
 * libFuzzer and Check report as a failure. */
#ifndef SAGESHIM_FUZZ_TARGETS_H
#define SAGESHIM_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

int fuzz_image_input(const uint8_t *data, size_t size);
int fuzz_cubin_input(const uint8_t *data, size_t size);
int fuzz_ptx_input(const uint8_t *data, size_t size);
int fuzz_config_input(const uint8_t *data, size_t size);
int fuzz_manifest_input(const uint8_t *data, size_t size);
int fuzz_merge_input(const uint8_t *data, size_t size);
int fuzz_loaded_input(const uint8_t *data, size_t size);

#endif
