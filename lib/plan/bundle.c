/* bundle.c: opening the corrected-fatbin bundle.  Every file is read
 * whole, hashed, and parsed before anything may use it; a file that fails
 * any of these is left out (and reported), never half used.
 *
 * The hash is always computed, in every process, over the very buffer that
 * is then parsed and handed to the driver (merged entries point into it,
 * the hotfix library is loaded from it): no metadata says "unchanged" -
 * a file written through a shared mapping, damaged below the file system,
 * or rewritten while it was read keeps its size and times, not its bytes.
 * Hashing costs milliseconds for real bundles (sha256.h). */
#include "bundle.h"
#include "base/file.h"
#include "base/sha256.h"
#include "base/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MANIFEST_BYTES (1024 * 1024)
#define MAX_FATBIN_BYTES ((size_t)512 * 1024 * 1024)
/* Distinct kernel names counted per file; more is reported as a mismatch. */
#define MAX_COUNTED_KERNELS 65536
/* Problems passed on per bundle opened, then one "N more" line: a damaged
 * MANIFEST of 1 MiB has ~95,000 bad lines, and every process that opens it
 * would write them all (the config's problems stop at 8 the same way). */
#define SHOWN_PROBLEMS 8

struct capped_diag {
    ss_diag_fn diag;
    void *ctx;
    int shown, dropped;
};

static void capped(void *ctx, const char *file, int line, const char *message)
{
    struct capped_diag *c = ctx;
    if (c->shown >= SHOWN_PROBLEMS) {
        c->dropped++;
        return;
    }
    c->shown++;
    if (c->diag)
        c->diag(c->ctx, file, line, message);
}

/* Read a regular file of at most `max` bytes (file.h: never blocks, trust
 * checked on the descriptor before reading).  Returns 0, or -1 with the
 * reason in why. */
static int read_bounded(const char *path, size_t max, const struct ss_trust *trust,
                        uint8_t **bytes, size_t *len, struct stat *st, char *why, size_t whylen)
{
    struct ss_file_rules rules = { .max = max, .trust = trust };
    return ss_file_read(path, &rules, bytes, len, st, why, whylen);
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s", dir, name);
    return path;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct kernel names over every entry of every container, or -1 when
 * there are too many to count (or no memory to count them). */
static long count_distinct_kernels(const struct ss_image *image)
{
    size_t total = 0;
    for (size_t c = 0; c < image->ncontainers; c++)
        for (size_t e = 0; e < image->containers[c].nentries; e++) {
            const struct ss_entry *entry = &image->containers[c].entries[e];
            if (entry->kernels_read)
                total += entry->nkernels;
        }
    if (total > MAX_COUNTED_KERNELS)
        return -1;
    const char **names = malloc((total ? total : 1) * sizeof *names);
    if (!names)
        return -1;
    size_t n = 0;
    for (size_t c = 0; c < image->ncontainers; c++)
        for (size_t e = 0; e < image->containers[c].nentries; e++) {
            const struct ss_entry *entry = &image->containers[c].entries[e];
            if (!entry->kernels_read)
                continue;
            for (size_t k = 0; k < entry->nkernels; k++)
                if (entry->kernels[k].name)
                    names[n++] = entry->kernels[k].name;
        }
    qsort(names, n, sizeof *names, compare_names);
    long distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            distinct++;
    free(names);
    return distinct;
}

/* Architectures the manifest promises but the file lacks. */
static void check_archs(const struct ss_manifest_item *item, const struct ss_image *image,
                        const char *manifest_path, ss_diag_fn diag, void *ctx)
{
    for (size_t a = 0; a < item->narchs; a++) {
        int found = 0;
        for (size_t c = 0; c < image->ncontainers && !found; c++)
            for (size_t e = 0; e < image->containers[c].nentries && !found; e++)
                found = image->containers[c].entries[e].sm == item->archs[a];
        if (!found)
            ss_diag(diag, ctx, manifest_path, 0, "%s: manifest lists sm_%u but the file has no entry for it",
                   item->file, item->archs[a]);
    }
}

/* Read, hash and parse one listed file into f.  Returns 0 when usable. */
static int open_file(const char *dir, struct ss_manifest_item *item, struct ss_bundle_file *f,
                     const struct ss_trust *trust, const char *manifest_path, ss_diag_fn diag,
                     void *ctx)
{
    char why[256];
    char *path = join_path(dir, item->file);
    if (!path) {
        ss_diag(diag, ctx, manifest_path, 0, "%s: out of memory", item->file);
        return -1;
    }
    memset(f, 0, sizeof *f);
    f->item = item;
    int r = read_bounded(path, MAX_FATBIN_BYTES, trust, &f->bytes, &f->len, NULL, why, sizeof why);
    free(path);
    if (r < 0) {
        ss_diag(diag, ctx, manifest_path, 0, "%s: %s; file refused", item->file, why);
        return -1;
    }

    /* f->bytes is private memory from here on: what is hashed is what is
     * parsed and used, whatever happens to the file meanwhile. */
    char hex[65];
    ss_sha256_hex(f->bytes, f->len, hex);
    if (strcmp(hex, item->sha256) != 0) {
        ss_diag(diag, ctx, manifest_path, 0, "%s: sha256 mismatch (manifest %.12s..., file %.12s...); file refused",
               item->file, item->sha256, hex);
        free(f->bytes);
        f->bytes = NULL;
        return -1;
    }

    struct ss_error err = { 0 };
    if (ss_image_parse(f->bytes, f->len, &f->image, &err) < 0) {
        char message[300];
        ss_error_format(&err, message, sizeof message);
        ss_diag(diag, ctx, manifest_path, 0, "%s: not a usable fatbin (%s); file refused",
               item->file, message);
        free(f->bytes);
        f->bytes = NULL;
        return -1;
    }

    check_archs(item, &f->image, manifest_path, diag, ctx);
    long kernels = count_distinct_kernels(&f->image);
    if (kernels != (long)item->kernels)
        ss_diag(diag, ctx, manifest_path, 0, "%s: manifest says %u kernels, the file has %ld",
               item->file, item->kernels, kernels);
    return 0;
}

int ss_bundle_open(const char *dir, struct ss_bundle *b, ss_diag_fn diag, void *ctx,
                   struct ss_error *err)
{
    return ss_bundle_open_trusted(dir, b, NULL, diag, ctx, err);
}

/* Secure mode: a directory others may write to lets them swap files in. */
static int directory_trusted(const char *dir, uid_t uid, char *why, size_t len)
{
    struct stat st;
    /* A missing directory is reported by the MANIFEST read that follows. */
    if (stat(dir, &st) != 0)
        return 1;
    if (st.st_mode & S_ISVTX)
        st.st_mode &= ~(mode_t)(S_IWGRP | S_IWOTH);
    return ss_stat_trusted(&st, uid, why, len);
}

static int open_capped(const char *dir, struct ss_bundle *b, const struct ss_trust *trust,
                       ss_diag_fn diag, void *ctx, struct ss_error *err)
{
    memset(b, 0, sizeof *b);
    if (!dir || !*dir)
        return ss_fail_nooffset(err, "no bundle directory given");
    char why_dir[160];
    if (trust && trust->secure && !directory_trusted(dir, trust->uid, why_dir, sizeof why_dir))
        return ss_fail_nooffset(err, "%s: refused in a setuid/setgid program: %s", dir, why_dir);
    b->dir = strdup(dir);
    char *manifest_path = join_path(dir, "MANIFEST");
    if (!b->dir || !manifest_path) {
        free(manifest_path);
        ss_bundle_close(b);
        return ss_fail_nooffset(err, "out of memory");
    }

    uint8_t *text;
    size_t len;
    char why[256];
    if (read_bounded(manifest_path, MAX_MANIFEST_BYTES, trust, &text, &len, NULL, why,
                     sizeof why) < 0) {
        ss_fail_nooffset(err, "%s: %s", manifest_path, why);
        free(manifest_path);
        ss_bundle_close(b);
        return -1;
    }
    ss_manifest_parse(&b->manifest, (const char *)text, len, manifest_path, diag, ctx);
    free(text);

    if (b->manifest.nitems > 0) {
        b->files = calloc(b->manifest.nitems, sizeof *b->files);
        if (!b->files) {
            free(manifest_path);
            ss_bundle_close(b);
            return ss_fail_nooffset(err, "out of memory");
        }
    }
    for (size_t i = 0; i < b->manifest.nitems; i++)
        if (open_file(dir, &b->manifest.items[i], &b->files[b->nfiles], trust, manifest_path,
                      diag, ctx) == 0)
            b->nfiles++;
    /* Hotfix files: the same reading, hashing and parsing. */
    if (b->manifest.nhotfixes > 0) {
        b->hotfixes = calloc(b->manifest.nhotfixes, sizeof *b->hotfixes);
        if (!b->hotfixes) {
            free(manifest_path);
            ss_bundle_close(b);
            return ss_fail_nooffset(err, "out of memory");
        }
    }
    for (size_t i = 0; i < b->manifest.nhotfixes; i++)
        if (open_file(dir, &b->manifest.hotfixes[i], &b->hotfixes[b->nhotfixes], trust,
                      manifest_path, diag, ctx) == 0)
            b->nhotfixes++;
    free(manifest_path);
    return 0;
}

int ss_bundle_open_trusted(const char *dir, struct ss_bundle *b, const struct ss_trust *trust,
                           ss_diag_fn diag, void *ctx, struct ss_error *err)
{
    /* Every problem goes through `capped`: SHOWN_PROBLEMS of them reach
     * diag, then one line counts the rest. */
    struct capped_diag c = { diag, ctx, 0, 0 };
    int rc = open_capped(dir, b, trust, capped, &c, err);
    if (c.dropped && diag) {
        char manifest_path[4200];
        snprintf(manifest_path, sizeof manifest_path, "%s/MANIFEST", dir);
        ss_diag(diag, ctx, manifest_path, 0, "%d more problems not shown", c.dropped);
    }
    return rc;
}

void ss_bundle_close(struct ss_bundle *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nfiles; i++) {
        ss_image_free(&b->files[i].image);
        free(b->files[i].bytes);
    }
    free(b->files);
    for (size_t i = 0; i < b->nhotfixes; i++) {
        ss_image_free(&b->hotfixes[i].image);
        free(b->hotfixes[i].bytes);
    }
    free(b->hotfixes);
    ss_manifest_free(&b->manifest);
    free(b->dir);
    memset(b, 0, sizeof *b);
}
