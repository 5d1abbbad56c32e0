/* image_fixtures.h: read a fixture file and parse it with ss_image_parse,
 * failing the test with the reader's message when either step fails. */
#ifndef SAGESHIM_IMAGE_FIXTURES_H
#define SAGESHIM_IMAGE_FIXTURES_H

#include <stdint.h>
#include <stdlib.h>

#include "reader/image.h"
#include "testutil.h"

struct loaded {
    uint8_t *bytes;
    size_t len;
    struct ss_image image;
};

static inline void load_path(const char *path, struct loaded *l)
{
    struct ss_error err = {0};
    ck_assert_msg(ss_read_file(path, &l->bytes, &l->len, &err) == 0, "%s: %s", path,
                  err.message);
    char msg[300];
    int rc = ss_image_parse(l->bytes, l->len, &l->image, &err);
    ss_error_format(&err, msg, sizeof msg);
    ck_assert_msg(rc == 0, "%s: %s", path, msg);
}

/* A fixture built by tests/fixtures/module.mk, by file name. */
static inline void load(const char *name, struct loaded *l)
{
    load_path(fixture_path(name), l);
}

static inline void unload(struct loaded *l)
{
    ss_image_free(&l->image);
    free(l->bytes);
}

#endif
