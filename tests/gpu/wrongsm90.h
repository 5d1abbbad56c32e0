/* wrongsm90.h: the launch functions of the suite's stand-in for a
 * miscompiled extension module (wrongsm90.cu).
 *
 * Host programs load the library with dlopen, the way CPython imports an
 * extension, and look these up with dlsym; the typedefs name the types they
 * are called through.  Every function returns a cudaError_t as int. */
#ifndef WRONGSM90_H
#define WRONGSM90_H

/* Each launch multiplies x[0..n) by `factor` in place - except in the
 * uncorrected build's sm_90 code, which multiplies by factor + 1. */
typedef int (*wrong_init_fn)(void);
typedef int (*wrong_scale_fn)(float *x, float factor, int n, void *stream);

#define WRONG_INIT "wrong_init"                   /* initialise the runtime */
#define WRONG_SCALE "wrong_scale"                 /* <<<>>> */
#define WRONG_SCALE_CLUSTER "wrong_scale_cluster" /* cudaLaunchKernelEx, 2-block clusters */
#define WRONG_SCALE_SMEM "wrong_scale_smem"       /* 64 KiB dynamic shared memory */

/* Dynamic shared memory the smem launch asks for: above the 48 KiB that
 * needs no opt-in, below the 99 KiB of sm_89/sm_120. */
#define WRONG_SMEM_BYTES (64 * 1024)

/* Kernels in the module, as the MANIFEST's kernels= field counts them. */
#define WRONG_KERNELS 3

#endif
