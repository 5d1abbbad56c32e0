/* bundle.h: the corrected-fatbin bundle - a directory with a MANIFEST and
 * .fatbin files.
 *
 * MANIFEST format (text, '#' comments):
 *   label sageattention@68de379
 *   fatbin <file> module=<name> archs=<sm,sm,...> kernels=<n> sha256=<hex>
 *   hotfix <file> modules=<glob>[,<glob>...] archs=<sm,...> kernels=<n> sha256=<hex>
 * One line per file; every file's hash is checked when opened.  A `fatbin`
 * file's entries replace whole entries of the module it names; a `hotfix`
 * file's kernels replace same-named kernels of modules whose path matches
 * one of its globs (plan.h). */
#ifndef SAGESHIM_BUNDLE_H
#define SAGESHIM_BUNDLE_H

#include <stddef.h>

#include "base/error.h"
#include "reader/image.h"

#define SS_MANIFEST_MAX_GLOBS 8

struct ss_manifest_item {
    char *file;             /* relative to the bundle directory */
    char *module;           /* fatbin lines: e.g. "_qattn_sm90"; hotfix lines: NULL */
    char *globs[SS_MANIFEST_MAX_GLOBS]; /* hotfix lines: modules=, on the module's path */
    size_t nglobs;
    unsigned archs[8];
    size_t narchs;
    unsigned kernels;
    char sha256[65];
};

struct ss_manifest {
    char *label;
    size_t nitems;
    struct ss_manifest_item *items;     /* fatbin lines */
    size_t nhotfixes;
    struct ss_manifest_item *hotfixes;  /* hotfix lines */
};

/* Parse MANIFEST text; bad lines reported through diag (file, line) and
 * skipped.  Returns the number of problems. */
int ss_manifest_parse(struct ss_manifest *m, const char *text, size_t len,
                      const char *filename, ss_diag_fn diag, void *ctx);
void ss_manifest_free(struct ss_manifest *m);
/* Write MANIFEST text for m into a malloc'ed string. */
char *ss_manifest_format(const struct ss_manifest *m);

struct ss_bundle_file {
    struct ss_manifest_item *item;
    uint8_t *bytes;          /* file contents, owned */
    size_t len;
    struct ss_image image;   /* containers parsed from bytes */
};

struct ss_bundle {
    char *dir;
    struct ss_manifest manifest;
    size_t nfiles;
    struct ss_bundle_file *files;  /* fatbin lines: only files that exist, hash and parse */
    size_t nhotfixes;
    struct ss_bundle_file *hotfixes; /* hotfix lines: the same checks */
};

/* Open a bundle directory: read MANIFEST, read and hash each file (a file
 * whose hash does not match is refused and reported), parse containers.
 * Each file is read once into bytes, and bytes is what was hashed.  At most
 * 8 problems reach diag, then one "N more problems not shown".  Returns 0
 * when the manifest was read (possibly with refused files), -1 when the
 * bundle is unusable. */
int ss_bundle_open(const char *dir, struct ss_bundle *b, ss_diag_fn diag, void *ctx,
                   struct ss_error *err);
/* The same, for a setuid/setgid program when trust->secure (trust.h): the
 * directory, MANIFEST and each file must be owned by root or trust->uid and
 * not writable by group or others (the directory may be if it is sticky);
 * an untrusted MANIFEST or directory makes the bundle unusable, an
 * untrusted file is refused and reported.  trust NULL: ss_bundle_open. */
struct ss_trust;
int ss_bundle_open_trusted(const char *dir, struct ss_bundle *b, const struct ss_trust *trust,
                           ss_diag_fn diag, void *ctx, struct ss_error *err);
void ss_bundle_close(struct ss_bundle *b);

#endif
