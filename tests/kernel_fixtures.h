/* kernel_fixtures.h: load a bare cubin or PTX fixture into an ss_entry
 * with the readers of lib/reader/cubin.c and lib/reader/ptx.c only (no container code),
 * for check_cubin, check_ptx and check_abi. */
#ifndef SAGESHIM_KERNEL_FIXTURES_H
#define SAGESHIM_KERNEL_FIXTURES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/image.h"
#include "reader/kernels.h"
#include "testutil.h"

/* The whole fixture file, NUL-terminated; fails the test if unreadable. */
static inline uint8_t *read_fixture(const char *name, size_t *len)
{
    const char *path = fixture_path(name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (run make fixtures)", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    ck_assert_int_ge(size, 0);
    rewind(f);
    uint8_t *bytes = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_uint_eq(fread(bytes, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    bytes[size] = 0;
    *len = (size_t)size;
    return bytes;
}

/* Read a cubin fixture into a zeroed entry; the file bytes are released. */
static inline void load_cubin(const char *name, struct ss_entry *entry)
{
    size_t len;
    uint8_t *bytes = read_fixture(name, &len);
    struct ss_error err = { 0 };
    memset(entry, 0, sizeof *entry);
    int rc = ss_cubin_read(bytes, len, entry, &err);
    free(bytes);
    ck_assert_msg(rc == 0, "%s: %s", name, err.message);
}

static inline void load_ptx(const char *name, struct ss_entry *entry)
{
    size_t len;
    uint8_t *bytes = read_fixture(name, &len);
    struct ss_error err = { 0 };
    memset(entry, 0, sizeof *entry);
    int rc = ss_ptx_read((const char *)bytes, len, entry, &err);
    free(bytes);
    ck_assert_msg(rc == 0, "%s: %s", name, err.message);
}

static inline const struct ss_kernel *kernel_named(const struct ss_entry *e, const char *name)
{
    for (size_t i = 0; i < e->nkernels; i++)
        if (strcmp(e->kernels[i].name, name) == 0)
            return &e->kernels[i];
    ck_abort_msg("kernel %s not found", name);
    return NULL;
}

/* Assert a kernel's parameters as {offset, size} pairs. */
static inline void assert_params(const struct ss_kernel *k, unsigned n,
                                 const unsigned expect[][2])
{
    ck_assert_msg(k->nparams == n, "%s: %u params, expected %u", k->name, k->nparams, n);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(k->params[i].ordinal, i);
        ck_assert_msg(k->params[i].offset == expect[i][0] && k->params[i].size == expect[i][1],
                      "%s param %u: %u/%u, expected %u/%u", k->name, i, k->params[i].offset,
                      k->params[i].size, expect[i][0], expect[i][1]);
    }
}

#endif
