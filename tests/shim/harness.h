/* harness.h: run a test client under the preload library and the fake
 * driver, and read what happened.
 *
 * What is built for it (tests/shim/module.mk, all under $BUILD, which
 * run-checks.sh exports; default "build"):
 *   libsageshim.so                      the preload library under test
 *   tests/shim/fake/libcuda.so.1        the fake driver (tests/shim/fakecuda.c:
 *                                       the format of its log lines is there)
 *   tests/shim/client_runtime           driver via cuGetProcAddress (like cudart)
 *   tests/shim/client_linked            driver via -lcuda
 *   tests/shim/client_dlsym             driver via dlsym(libcuda, "cuX")
 *   tests/shim/probe_dlsym              dlsym answers that must not change
 *   tests/shim/watched_orig.fatbin      tests/shim/watched.cu for sm_80, sm_89,
 *   tests/shim/watched_fixed.fatbin     sm_90a, sm_120 + compute_120 PTX
 *                                       (fixed: -DCORRECTED, same kernels)
 *   HARNESS_WATCHED_MODULE              a .so carrying watched_orig.fatbin whose
 *                                       path matches the default module glob
 *   HARNESS_UNWATCHED_MODULE            the same image in a .so nobody watches
 * Kernels in both images: HARNESS_KERNEL_SCALE, HARNESS_KERNEL_SHIFT.
 *
 * Client command line (client_common.h):
 *   client_X [--api library|module|moduleex|fatbinary|file|modfile]
 *            [--image wrapper|container] [--launch plain|ex] [--threads N]
 *            MODULE KERNEL...
 * prints "ok" and exits 0, or prints "FAIL <call> = <CUresult>" and exits 1.
 *
 * Example:
 *   struct harness_opts opts = {.preload = 1, .config = "[shim]\nmode = diagnose\n"};
 *   const char *args[] = {harness_path(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE, NULL};
 *   struct harness_result r;
 *   harness_run(harness_path("tests/shim/client_runtime"), args, &opts, &r);
 *   ck_assert_int_eq(r.status, 0);
 *   ck_assert_int_eq(harness_count_prefix(r.fake_log, "load api=cuLibraryLoadData"), 1);
 *   harness_free(&r);
 *
 * A test program using it: compile tests/shim/harness.c with it, link -ldl;
 * running it needs the products above (they are in CHECK_DEPS). */
#ifndef SAGESHIM_HARNESS_H
#define SAGESHIM_HARNESS_H

#include <stddef.h>

#include "sageshim.h"

#define HARNESS_WATCHED_MODULE \
    "tests/shim/site/sageattention/_qattn_sm90.cpython-311-x86_64-linux-gnu.so"
#define HARNESS_UNWATCHED_MODULE "tests/shim/site/other/unwatched.so"
#define HARNESS_KERNEL_SCALE "shim_scale"               /* extern "C" */
#define HARNESS_KERNEL_SHIFT "_Z10shim_shiftILi4EEvPii"  /* shim_shift<4> */

struct harness_opts {
    /* 1: LD_PRELOAD=$BUILD/libsageshim.so, or $SS_LIBRARY when set (with
     * the sanitizer runtime in front when this test itself runs under
     * ASan); 0: no preload. */
    int preload;
    /* With preload: this library instead of $BUILD/libsageshim.so (e.g. a
     * copy in an installed-like tree whose ../share holds a bundle). */
    const char *library;
    /* Text of the sageshim.conf to use, written to a temporary file named by
     * SAGESHIM_CONF.  NULL: an empty file (the built-in defaults). */
    const char *config;
    /* Extra "NAME=value" strings, NULL-terminated (may be NULL), applied
     * last: SAGESHIM_MODE=off, FAKECUDA_DEVICES=12.0, ... */
    const char *const *env;
    /* Seconds before the client is killed (status then 128 + SIGKILL);
     * 0: 60. */
    int timeout_s;
};

/* What one run left behind.  All strings are NUL-terminated, never NULL. */
struct harness_result {
    int status;        /* exit status; 128 + signal when killed; -1: not run */
    char *out;         /* stdout */
    char *err;         /* stderr */
    char *fake_log;    /* $FAKECUDA_LOG: the fake driver's lines */
    char *shim_log;    /* $SAGESHIM_LOG: the preload library's log file */
    char dir[256];     /* the run's temporary directory (removed by harness_free);
                          tests may create files there, e.g. a bundle */
};

/* Run `program` with args[] (NULL-terminated, without argv[0]) in a clean
 * environment: the caller's, minus LD_PRELOAD and every SAGESHIM_* and
 * FAKECUDA_* variable, plus
 *   LD_LIBRARY_PATH=$BUILD/tests/shim/fake   (so libcuda.so.1 is the fake)
 *   FAKECUDA_LOG, SAGESHIM_LOG, SAGESHIM_CONF  (files in r->dir)
 *   opts->env.
 * Returns 0 when the program ran (whatever its status), -1 otherwise; r is
 * filled either way and must be released with harness_free. */
int harness_run(const char *program, const char *const *args,
                const struct harness_opts *opts, struct harness_result *r);

/* Like harness_run, but the temporary directory is made first so the test
 * can put files there (config text may name them through `%DIR%`, which is
 * replaced by the directory's path). */
int harness_prepare(struct harness_result *r);
int harness_run_in(const char *program, const char *const *args,
                   const struct harness_opts *opts, struct harness_result *r);

void harness_free(struct harness_result *r);

/* Number of lines of `text` containing `substring` (note "load api="
 * also matches "unload api=" lines: use harness_count_prefix for those). */
int harness_count(const char *text, const char *substring);

/* Number of lines of `text` starting with `prefix`. */
int harness_count_prefix(const char *text, const char *prefix);

/* The n-th (0-based) line of `text` containing `substring`, copied into buf
 * without its newline; NULL when there is none.  A substring starting with
 * "\n" matches at the start of a line (the first line included). */
const char *harness_line(const char *text, const char *substring, int n, char *buf,
                         size_t len);

/* The value of " key=value" in a log line (up to the next space), copied into
 * buf; NULL when absent.  harness_field(line, "sha256", ...) does not match
 * "entry_sha256". */
const char *harness_field(const char *line, const char *key, char *buf, size_t len);

/* sha256 (hex) of the file $BUILD/relative; fails the running Check test
 * when it cannot be read. */
void harness_file_sha(const char *relative, char hex[65]);

/* sha256 (hex) of the ELF entry for sm_<sm> (with `variant`) of the fatbin
 * file $BUILD/relative; fails the running Check test when there is none. */
void harness_entry_sha(const char *relative, unsigned sm, enum ss_variant variant,
                       char hex[65]);

/* $BUILD/relative, in one of 16 rotating static buffers (so a few can be
 * used in one expression; not thread-safe). */
const char *harness_path(const char *relative);

#endif
