/* check_merge.c: ss_merge on the fixtures.
 *
 * What the fixtures hold (tests/fixtures/module.mk): kernels_*.fatbin are
 * built with sm_80, sm_89, sm_90, sm_90a, sm_120 SASS and compute_120 PTX
 * (six entries); cluster.fatbin with sm_90a, sm_120 SASS and compute_90a PTX
 * (three entries). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader/image.h"
#include "reader/merge.h"
#include "testutil.h"

struct fixture {
    uint8_t *bytes;
    size_t len;
    struct ss_container c;
};

static void load(struct fixture *f, const char *name)
{
    struct ss_error err = { 0 };
    ck_assert_msg(ss_read_file(fixture_path(name), &f->bytes, &f->len, &err) == 0,
                  "%s: %s", name, err.message);
    ck_assert_msg(ss_container_parse(f->bytes, f->len, &f->c, &err) == 0, "%s: %s", name,
                  err.message);
}

static void unload(struct fixture *f)
{
    ss_container_free(&f->c);
    free(f->bytes);
}

static size_t count_sm(const struct ss_container *c, unsigned sm)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nentries; i++)
        n += c->entries[i].sm == sm;
    return n;
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The merged container's entries, in order, must be exactly: the original's
 * entries not in targets, then the replacement's entries in targets - each
 * byte for byte. */
static void assert_merged(const struct fixture *orig, const struct fixture *repl,
                          const unsigned *targets, size_t ntargets,
                          const uint8_t *out, size_t out_len)
{
    struct ss_container m;
    struct ss_error err = { 0 };

    ck_assert_uint_eq(out_len % 8, 0);
    ck_assert_uint_eq((uintptr_t)out % 8, 0);
    ck_assert_uint_eq(out[0] | out[1] << 8 | out[2] << 16 | (uint32_t)out[3] << 24,
                      SS_CONTAINER_MAGIC);
    ck_assert_uint_eq(out[4] | out[5] << 8, 1);
    ck_assert_uint_eq(out[6] | out[7] << 8, 16);
    ck_assert_uint_eq(load64(out + 8), out_len - 16);
    ck_assert_msg(ss_container_parse(out, out_len, &m, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(m.size, out_len);

    size_t k = 0;
    for (size_t i = 0; i < orig->c.nentries; i++) {
        const struct ss_entry *e = &orig->c.entries[i];
        int target = 0;
        for (size_t t = 0; t < ntargets; t++)
            target |= e->sm == targets[t];
        if (target)
            continue;
        ck_assert_uint_lt(k, m.nentries);
        ck_assert_uint_eq(m.entries[k].size, e->size);
        ck_assert_mem_eq(m.entries[k].bytes, e->bytes, e->size);
        k++;
    }
    for (size_t i = 0; i < repl->c.nentries; i++) {
        const struct ss_entry *e = &repl->c.entries[i];
        int target = 0;
        for (size_t t = 0; t < ntargets; t++)
            target |= e->sm == targets[t];
        if (!target)
            continue;
        ck_assert_uint_lt(k, m.nentries);
        ck_assert_uint_eq(m.entries[k].size, e->size);
        ck_assert_mem_eq(m.entries[k].bytes, e->bytes, e->size);
        k++;
    }
    ck_assert_uint_eq(k, m.nentries);
    ss_container_free(&m);
}

START_TEST(fixtures_hold_what_the_build_declares)
{
    struct fixture orig, repl;
    load(&orig, "kernels_none.fatbin");
    load(&repl, "cluster.fatbin");
    ck_assert_uint_eq(orig.c.nentries, 6);
    ck_assert_uint_eq(count_sm(&orig.c, 90), 2);   /* sm_90 and sm_90a */
    ck_assert_uint_eq(count_sm(&orig.c, 120), 2);  /* sm_120 and compute_120 */
    ck_assert_uint_eq(repl.c.nentries, 3);
    ck_assert_uint_eq(count_sm(&repl.c, 90), 2);   /* sm_90a and compute_90a */
    unload(&orig);
    unload(&repl);
}
END_TEST

START_TEST(target_90_from_cluster)
{
    struct fixture orig, repl;
    load(&orig, "kernels_none.fatbin");
    load(&repl, "cluster.fatbin");
    const unsigned targets[] = { 90 };
    uint8_t *out;
    size_t out_len;
    struct ss_error err = { 0 };
    ck_assert_msg(ss_merge(&orig.c, &repl.c, targets, 1, &out, &out_len, &err) == 0, "%s",
                  err.message);
    assert_merged(&orig, &repl, targets, 1, out, out_len);

    /* Four original entries (80, 89, 120, compute_120) + two sm 90 ones. */
    struct ss_container m;
    ck_assert_int_eq(ss_container_parse(out, out_len, &m, &err), 0);
    ck_assert_uint_eq(m.nentries, 6);
    ck_assert_uint_eq(m.entries[0].sm, 80);
    ck_assert_uint_eq(m.entries[1].sm, 89);
    ck_assert_uint_eq(count_sm(&m, 90), 2);
    ck_assert_uint_eq(count_sm(&m, 120), 2);
    for (size_t i = 0; i < m.nentries; i++)
        if (m.entries[i].sm == 90)
            ck_assert_int_eq(m.entries[i].variant, SS_VARIANT_A);
    ss_container_free(&m);
    free(out);
    unload(&orig);
    unload(&repl);
}
END_TEST

START_TEST(target_90_from_compressed_replacement)
{
    struct fixture orig, repl;
    load(&orig, "kernels_none.fatbin");
    load(&repl, "kernels_size.fatbin");
    const unsigned targets[] = { 90 };
    uint8_t *out;
    size_t out_len;
    struct ss_error err = { 0 };
    ck_assert_msg(ss_merge(&orig.c, &repl.c, targets, 1, &out, &out_len, &err) == 0, "%s",
                  err.message);
    assert_merged(&orig, &repl, targets, 1, out, out_len);

    /* The zstd entries stay compressed and still decode. */
    struct ss_container m;
    ck_assert_int_eq(ss_container_parse(out, out_len, &m, &err), 0);
    size_t seen = 0;
    for (size_t i = 0; i < m.nentries; i++) {
        if (m.entries[i].sm != 90)
            continue;
        seen++;
        ck_assert_int_eq(m.entries[i].compression, SS_COMPRESS_ZSTD);
        ck_assert_ptr_nonnull(m.entries[i].data);
    }
    ck_assert_uint_eq(seen, 2);
    ss_container_free(&m);
    free(out);
    unload(&orig);
    unload(&repl);
}
END_TEST

START_TEST(targets_90_and_120)
{
    struct fixture orig, repl;
    load(&orig, "kernels_none.fatbin");
    load(&repl, "cluster.fatbin");
    const unsigned targets[] = { 90, 120 };
    uint8_t *out;
    size_t out_len;
    struct ss_error err = { 0 };
    ck_assert_msg(ss_merge(&orig.c, &repl.c, targets, 2, &out, &out_len, &err) == 0, "%s",
                  err.message);
    assert_merged(&orig, &repl, targets, 2, out, out_len);
    struct ss_container m;
    ck_assert_int_eq(ss_container_parse(out, out_len, &m, &err), 0);
    /* sm_80, sm_89 kept; all three cluster entries appended. */
    ck_assert_uint_eq(m.nentries, 5);
    ck_assert_uint_eq(count_sm(&m, 120), 1);
    ss_container_free(&m);
    free(out);
    unload(&orig);
    unload(&repl);
}
END_TEST

START_TEST(target_missing_from_replacement_fails)
{
    struct fixture orig, repl;
    load(&orig, "kernels_none.fatbin");
    load(&repl, "cluster.fatbin");
    const unsigned targets[] = { 90, 89 };
    uint8_t *out = (uint8_t *)1;
    size_t out_len = 1;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_merge(&orig.c, &repl.c, targets, 2, &out, &out_len, &err), -1);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(out_len, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "no entry for sm_89"));
    ck_assert_ptr_nonnull(strstr(err.message, "sm_90, sm_120"));

    /* A target the original lacks too is still asked for. */
    const unsigned absent[] = { 75 };
    ck_assert_int_eq(ss_merge(&orig.c, &repl.c, absent, 1, &out, &out_len, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "sm_75"));
    unload(&orig);
    unload(&repl);
}
END_TEST

START_TEST(bad_arguments_fail)
{
    struct fixture orig;
    load(&orig, "kernels_none.fatbin");
    const unsigned targets[] = { 90 };
    uint8_t *out;
    size_t out_len;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_merge(&orig.c, &orig.c, targets, 0, &out, &out_len, &err), -1);
    ck_assert_int_eq(ss_merge(&orig.c, NULL, targets, 1, &out, &out_len, &err), -1);
    ck_assert_int_eq(ss_merge(&orig.c, &orig.c, targets, 1, NULL, &out_len, &err), -1);
    unload(&orig);
}
END_TEST

/* A hand-made container: one 64-byte entry header for `sm` with a payload of
 * `payload` bytes (zeros). */
static size_t make_container(uint8_t *buf, unsigned sm, unsigned payload)
{
    size_t size = 16 + 64 + payload;
    memset(buf, 0, size);
    const uint8_t header[16] = { 0x50, 0xed, 0x55, 0xba, 1, 0, 16, 0 };
    memcpy(buf, header, 16);
    uint64_t fat = 64 + payload;
    for (int i = 0; i < 8; i++)
        buf[8 + i] = (uint8_t)(fat >> (8 * i));
    uint8_t *e = buf + 16;
    e[0] = 2;          /* ELF */
    e[4] = 64;         /* header_size */
    e[8] = (uint8_t)payload;
    e[0x1c] = (uint8_t)sm;
    e[0x28] = 0x11;
    return size;
}

START_TEST(unaligned_entry_refused)
{
    uint8_t orig_bytes[256], repl_bytes[256];
    size_t orig_len = make_container(orig_bytes, 80, 8);
    size_t repl_len = make_container(repl_bytes, 90, 4);
    struct ss_container orig, repl;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_container_parse(orig_bytes, orig_len, &orig, &err), 0);
    ck_assert_int_eq(ss_container_parse(repl_bytes, repl_len, &repl, &err), 0);
    ck_assert_uint_eq(repl.nentries, 1);
    const unsigned targets[] = { 90 };
    uint8_t *out;
    size_t out_len;
    ck_assert_int_eq(ss_merge(&orig, &repl, targets, 1, &out, &out_len, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "not a multiple of 8"));
    ss_container_free(&orig);
    ss_container_free(&repl);
}
END_TEST

START_TEST(entry_outside_container_refused)
{
    struct fixture orig, repl;
    load(&orig, "kernels_none.fatbin");
    load(&repl, "cluster.fatbin");
    const unsigned targets[] = { 90 };
    uint8_t *out;
    size_t out_len;
    struct ss_error err = { 0 };
    /* A container struct that lies about its size. */
    size_t real = repl.c.size;
    repl.c.size = 100;
    ck_assert_int_eq(ss_merge(&orig.c, &repl.c, targets, 1, &out, &out_len, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "outside its container"));
    repl.c.size = real;
    unload(&orig);
    unload(&repl);
}
END_TEST

/* Mutated inputs: whatever ss_container_parse accepts, ss_merge must copy
 * without reading outside the buffer (run under ASan to mean anything). */
START_TEST(mutated_inputs_stay_in_bounds)
{
    struct fixture orig, repl;
    load(&orig, "kernels_none.fatbin");
    load(&repl, "cluster.fatbin");
    const unsigned target_sets[][2] = { { 90, 120 }, { 80, 0 }, { 120, 0 } };
    const size_t target_counts[] = { 2, 1, 1 };
    unsigned seed = 12345;
    size_t merged = 0;

    for (int round = 0; round < 300; round++) {
        /* Mutate a copy, cut to a random length, in a buffer of exactly that
         * length so ASan sees any overrun. */
        size_t len = repl.len;
        seed = seed * 1103515245u + 12345u;
        if (round % 3 == 0)
            len = (seed >> 8) % repl.len;
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, repl.bytes, len);
        for (int flips = 0; flips < 4 && len > 0; flips++) {
            seed = seed * 1103515245u + 12345u;
            /* Bias towards headers, where sizes live. */
            size_t at = (seed >> 4) % (round % 2 ? len : (len < 128 ? len : 128));
            seed = seed * 1103515245u + 12345u;
            copy[at] = (uint8_t)(seed >> 16);
        }
        struct ss_container c;
        struct ss_error err = { 0 };
        if (ss_container_parse(copy, len, &c, &err) == 0) {
            for (size_t t = 0; t < 3; t++) {
                uint8_t *out = NULL;
                size_t out_len = 0;
                if (ss_merge(&orig.c, &c, target_sets[t], target_counts[t], &out, &out_len,
                             &err) == 0) {
                    struct ss_container m;
                    ck_assert_msg(ss_container_parse(out, out_len, &m, &err) == 0, "%s",
                                  err.message);
                    ss_container_free(&m);
                    merged++;
                }
                free(out);
                out = NULL;
                /* The mutated one as the original, too. */
                if (ss_merge(&c, &repl.c, target_sets[t], target_counts[t], &out, &out_len,
                             &err) == 0)
                    merged++;
                free(out);
            }
            ss_container_free(&c);
        }
        free(copy);
    }
    ck_assert_uint_gt(merged, 0);
    unload(&orig);
    unload(&repl);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("merge");
    TCase *tc = tcase_create("merge");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fixtures_hold_what_the_build_declares);
    tcase_add_test(tc, target_90_from_cluster);
    tcase_add_test(tc, target_90_from_compressed_replacement);
    tcase_add_test(tc, targets_90_and_120);
    tcase_add_test(tc, target_missing_from_replacement_fails);
    tcase_add_test(tc, bad_arguments_fail);
    tcase_add_test(tc, unaligned_entry_refused);
    tcase_add_test(tc, entry_outside_container_refused);
    tcase_add_test(tc, mutated_inputs_stay_in_bounds);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
