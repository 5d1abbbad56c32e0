/* check_malformed.c: damaged inputs never crash the container readers.
 * Each damaged copy must either fail with an error that names a byte offset
 * or parse, with what could not be read kept in notes.  Copies are
 * allocated at their exact size so sanitizers see any overread.
 *
 * Inputs: kernels_none.fatbin (raw entries), kernels_size.fatbin (all
 * zstd), kernels_compressall_speed.fatbin (all LZ4) and libext.so (two
 * containers in .nv_fatbin).  Field offsets: fatbin-format.md §2.1-2.2. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "reader/image.h"
#include "testutil.h"

/* Container header fields. */
#define C_MAGIC 0x0
#define C_HEADER_SIZE 0x6
#define C_FAT_SIZE 0x8
/* Entry header fields. */
#define E_HEADER_SIZE 0x04
#define E_PAYLOAD_SIZE 0x08
#define E_COMPRESSED_SIZE 0x10
#define E_UNCOMPRESSED_SIZE 0x38

struct sample {
    uint8_t *bytes;
    size_t len;
    struct ss_image image;   /* of the undamaged file */
};

static void load(const char *name, struct sample *s)
{
    struct ss_error err = {0};
    ck_assert_msg(ss_read_file(fixture_path(name), &s->bytes, &s->len, &err) == 0,
                  "%s: %s", name, err.message);
    ck_assert_msg(ss_image_parse(s->bytes, s->len, &s->image, &err) == 0, "%s: %s", name,
                  err.message);
}

static void unload(struct sample *s)
{
    ss_image_free(&s->image);
    free(s->bytes);
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Parse bytes[0..len) from an exact-size copy.  Returns parse's result;
 * a failure must carry an offset inside (or just past) the input. */
static int parse_copy(const uint8_t *bytes, size_t len, struct ss_image *image,
                      struct ss_error *err, const char *what)
{
    uint8_t *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, bytes, len);
    memset(err, 0, sizeof *err);
    int rc = ss_image_parse(copy, len, image, err);
    if (rc < 0) {
        char msg[300];
        ss_error_format(err, msg, sizeof msg);
        ck_assert_msg(err->has_offset, "%s: error without offset: %s", what, msg);
        ck_assert_msg(strstr(msg, "offset") != NULL, "%s: %s", what, msg);
        ck_assert_msg(err->offset <= len, "%s: offset 0x%zx past the input (%zu bytes)", what,
                      err->offset, len);
        ck_assert_uint_eq(image->ncontainers, 0);
    } else {
        ck_assert_msg(image->ncontainers > 0, "%s: parsed to nothing", what);
        ss_image_free(image);
    }
    free(copy);
    return rc;
}

/* The bytes of a damaged copy, parsed: returns 0 or -1 as parse_copy. */
static int parse_graceful(const uint8_t *bytes, size_t len, const char *what)
{
    struct ss_image image;
    struct ss_error err;
    return parse_copy(bytes, len, &image, &err, what);
}

/* Parse a damaged copy and expect failure with `needle` in the message. */
static void expect_failure(const uint8_t *bytes, size_t len, const char *needle, const char *what)
{
    struct ss_image image;
    struct ss_error err;
    ck_assert_msg(parse_copy(bytes, len, &image, &err, what) == -1, "%s: parsed", what);
    ck_assert_msg(strstr(err.message, needle), "%s: '%s' lacks '%s'", what, err.message, needle);
}

/* Parse a damaged copy and expect success with a note about an entry. */
static void expect_note(const uint8_t *bytes, size_t len, const char *what)
{
    struct ss_image image;
    struct ss_error err = {0};
    ck_assert_msg(ss_image_parse(bytes, len, &image, &err) == 0, "%s: %s", what, err.message);
    ck_assert_msg(image.nnotes >= 1, "%s: no note", what);
    ck_assert_msg(strstr(image.notes[0], "offset"), "%s: note without offset: %s", what,
                  image.notes[0]);
    ss_image_free(&image);
}

/* Every header boundary of the parsed sample, as file offsets. */
static size_t boundaries(const struct sample *s, size_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->image.ncontainers; i++) {
        const struct ss_container *c = &s->image.containers[i];
        if (n + 2 <= max) {
            out[n++] = c->offset;
            out[n++] = c->offset + 16;
        }
        for (size_t j = 0; j < c->nentries && n + 3 <= max; j++) {
            const struct ss_entry *e = &c->entries[j];
            out[n++] = c->offset + e->offset;
            out[n++] = c->offset + e->offset + e->header_size;
            out[n++] = c->offset + e->offset + e->size;
        }
    }
    return n;
}

static const char *const samples[] = {
    "kernels_none.fatbin", "kernels_size.fatbin", "kernels_compressall_speed.fatbin", "libext.so",
};
#define NUM_SAMPLES (sizeof samples / sizeof samples[0])

START_TEST(cut_at_every_header_boundary)
{
    struct sample s;
    load(samples[_i], &s);
    size_t cuts[256];
    size_t n = boundaries(&s, cuts, 256);
    ck_assert_uint_gt(n, 8);
    char what[128];
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < 3; d++) {
            size_t at = cuts[i] + d - 1;   /* just before, at, just after */
            if (at >= s.len)
                continue;
            snprintf(what, sizeof what, "%s cut at 0x%zx", samples[_i], at);
            parse_graceful(s.bytes, at, what);
        }
    unload(&s);
}
END_TEST

START_TEST(cut_anywhere_in_the_first_256_bytes)
{
    struct sample s;
    load(samples[_i], &s);
    char what[128];
    for (size_t at = 0; at < 256; at++) {
        snprintf(what, sizeof what, "%s cut at 0x%zx", samples[_i], at);
        /* So little of a container or an ELF can only fail. */
        ck_assert_int_eq(parse_graceful(s.bytes, at, what), -1);
    }
    unload(&s);
}
END_TEST

/* A copy of the whole sample to damage in place. */
static uint8_t *dup_bytes(const struct sample *s)
{
    uint8_t *copy = malloc(s->len);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, s->bytes, s->len);
    return copy;
}

START_TEST(container_header_damage_fails_with_its_offset)
{
    struct sample s;
    load(samples[_i], &s);
    const struct ss_container *c = &s.image.containers[0];
    uint8_t *copy = dup_bytes(&s);
    uint8_t *h = copy + c->offset;
    char what[128];
    snprintf(what, sizeof what, "%s: bad magic", samples[_i]);
    put32(h + C_MAGIC, 0xBA55ED51u);
    struct ss_image image;
    struct ss_error err;
    if (c->origin == SS_FROM_CONTAINER) {
        /* Without its magic a bare container is no known format. */
        expect_failure(copy, s.len, "unrecognized", what);
    } else {
        /* The section starts with something else: one container short. */
        ck_assert_int_eq(parse_copy(copy, s.len, &image, &err, what), -1);
        ck_assert_uint_eq(err.offset, c->offset);
    }
    memcpy(copy, s.bytes, s.len);
    put64(h + C_FAT_SIZE, UINT64_MAX);
    snprintf(what, sizeof what, "%s: fat_size huge", samples[_i]);
    expect_failure(copy, s.len, "fat_size", what);
    memcpy(copy, s.bytes, s.len);
    put64(h + C_FAT_SIZE, s.len);
    snprintf(what, sizeof what, "%s: fat_size = file size", samples[_i]);
    expect_failure(copy, s.len, "fat_size", what);
    memcpy(copy, s.bytes, s.len);
    put16(h + C_HEADER_SIZE, 0);
    snprintf(what, sizeof what, "%s: header_size 0", samples[_i]);
    expect_failure(copy, s.len, "header_size", what);
    free(copy);
    unload(&s);
}
END_TEST

/* Damage one field of every entry in turn: the image fails and names the
 * field's offset. */
static void damage_each_entry(const char *name, const struct sample *s, size_t field,
                              uint64_t (*value)(const struct ss_entry *), int width,
                              const char *needle)
{
    uint8_t *copy = dup_bytes(s);
    char what[160];
    for (size_t i = 0; i < s->image.ncontainers; i++) {
        const struct ss_container *c = &s->image.containers[i];
        for (size_t j = 0; j < c->nentries; j++) {
            const struct ss_entry *e = &c->entries[j];
            size_t at = c->offset + e->offset + field;
            memcpy(copy, s->bytes, s->len);
            if (width == 4)
                put32(copy + at, (uint32_t)value(e));
            else
                put64(copy + at, value(e));
            snprintf(what, sizeof what, "%s entry at 0x%zx: %s", name, at - field, needle);
            struct ss_image image;
            struct ss_error err;
            int rc = parse_copy(copy, s->len, &image, &err, what);
            if (i == 0) {
                ck_assert_msg(rc == -1, "%s: parsed", what);
                ck_assert_msg(strstr(err.message, needle), "%s: %s", what, err.message);
                ck_assert_uint_eq(err.offset, at);
            }
            /* A later container's damage may leave earlier ones usable. */
        }
    }
    free(copy);
}

static uint64_t huge_size(const struct ss_entry *e) { return UINT64_MAX; }
static uint64_t zero(const struct ss_entry *e) { return 0; }
static uint64_t below_minimum(const struct ss_entry *e) { return 63; }
static uint64_t past_payload(const struct ss_entry *e) { return e->payload_size + 1; }

START_TEST(entry_header_damage_fails_with_its_offset)
{
    struct sample s;
    load(samples[_i], &s);
    damage_each_entry(samples[_i], &s, E_PAYLOAD_SIZE, huge_size, 8, "payload_size");
    damage_each_entry(samples[_i], &s, E_HEADER_SIZE, zero, 4, "header_size");
    damage_each_entry(samples[_i], &s, E_HEADER_SIZE, below_minimum, 4, "header_size");
    damage_each_entry(samples[_i], &s, E_HEADER_SIZE, huge_size, 4, "header_size");
    damage_each_entry(samples[_i], &s, E_COMPRESSED_SIZE, past_payload, 4, "compressed_size");
    unload(&s);
}
END_TEST

/* A wrong uncompressed_size spoils one entry, not the image. */
START_TEST(wrong_uncompressed_size_becomes_a_note)
{
    struct sample s;
    load(samples[_i], &s);
    uint8_t *copy = dup_bytes(&s);
    static const int64_t deltas[] = {-1, 1, -4096, 1 << 20};
    size_t tried = 0;
    char what[128];
    for (size_t i = 0; i < s.image.ncontainers; i++) {
        const struct ss_container *c = &s.image.containers[i];
        for (size_t j = 0; j < c->nentries; j++) {
            const struct ss_entry *e = &c->entries[j];
            if (e->compression == SS_COMPRESS_NONE)
                continue;
            size_t at = c->offset + e->offset + E_UNCOMPRESSED_SIZE;
            for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++) {
                memcpy(copy, s.bytes, s.len);
                put64(copy + at, e->uncompressed_size + (uint64_t)deltas[d]);
                snprintf(what, sizeof what, "%s: entry 0x%zx size %+lld", samples[_i],
                         at - E_UNCOMPRESSED_SIZE, (long long)deltas[d]);
                expect_note(copy, s.len, what);
                tried++;
            }
            memcpy(copy, s.bytes, s.len);
            put64(copy + at, (uint64_t)SS_MAX_PAYLOAD + 1);
            expect_note(copy, s.len, "uncompressed_size over the limit");
            memcpy(copy, s.bytes, s.len);
            put64(copy + at, 0);
            expect_note(copy, s.len, "uncompressed_size 0");
        }
    }
    ck_assert_uint_gt(tried, 0);
    free(copy);
    unload(&s);
}
END_TEST

/* xorshift64: a fixed sequence, so failures can be replayed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

START_TEST(flipped_bytes_in_payloads_never_crash)
{
    struct sample s;
    load(samples[_i], &s);
    uint8_t *copy = dup_bytes(&s);
    uint64_t state = 0x5eed5a9e5eed5a9eull;
    char what[128];
    for (size_t i = 0; i < s.image.ncontainers; i++) {
        const struct ss_container *c = &s.image.containers[i];
        for (size_t j = 0; j < c->nentries; j++) {
            const struct ss_entry *e = &c->entries[j];
            size_t start = c->offset + e->offset + e->header_size;
            size_t span = e->compression == SS_COMPRESS_NONE ? (size_t)e->payload_size
                                                             : e->compressed_size;
            for (int trial = 0; trial < 40; trial++) {
                memcpy(copy, s.bytes, s.len);
                int flips = 1 + (int)(next_random(&state) % 4);
                for (int f = 0; f < flips; f++)
                    copy[start + next_random(&state) % span] ^= (uint8_t)(1 + next_random(&state) % 255);
                snprintf(what, sizeof what, "%s: entry 0x%zx trial %d", samples[_i],
                         c->offset + e->offset, trial);
                /* Payload damage stays inside its entry. */
                ck_assert_int_eq(parse_graceful(copy, s.len, what), 0);
            }
        }
    }
    free(copy);
    unload(&s);
}
END_TEST

START_TEST(damage_in_the_second_container_keeps_the_first)
{
    struct sample s;
    load("libext.so", &s);
    ck_assert_uint_eq(s.image.ncontainers, 2);
    uint8_t *copy = dup_bytes(&s);
    put32(copy + s.image.containers[1].offset + C_MAGIC, 0);
    struct ss_image image;
    struct ss_error err = {0};
    ck_assert(ss_image_parse(copy, s.len, &image, &err) == 0);
    ck_assert_uint_eq(image.ncontainers, 1);
    ck_assert_uint_ge(image.nnotes, 1);
    ck_assert_ptr_nonnull(strstr(image.notes[0], "offset"));
    ss_image_free(&image);
    free(copy);
    unload(&s);
}
END_TEST

/* The section header of `name` in a 64-bit ELF, or NULL. */
static uint8_t *section_header(uint8_t *elf, const char *name)
{
    Elf64_Ehdr eh;
    memcpy(&eh, elf, sizeof eh);
    Elf64_Shdr strtab;
    memcpy(&strtab, elf + eh.e_shoff + (size_t)eh.e_shstrndx * eh.e_shentsize, sizeof strtab);
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        uint8_t *p = elf + eh.e_shoff + (size_t)i * eh.e_shentsize;
        Elf64_Shdr sh;
        memcpy(&sh, p, sizeof sh);
        if (strcmp((const char *)elf + strtab.sh_offset + sh.sh_name, name) == 0)
            return p;
    }
    return NULL;
}

START_TEST(bad_fatbin_section_headers)
{
    struct sample s;
    load("libext.so", &s);
    uint8_t *copy = dup_bytes(&s);
    size_t size_at = offsetof(Elf64_Shdr, sh_size), offset_at = offsetof(Elf64_Shdr, sh_offset);
    uint8_t *sh = section_header(copy, ".nv_fatbin");
    ck_assert_ptr_nonnull(sh);
    put64(sh + size_at, 0);
    expect_failure(copy, s.len, "empty", "zero-length .nv_fatbin");
    memcpy(copy, s.bytes, s.len);
    put64(sh + offset_at, s.len - 8);
    expect_failure(copy, s.len, "past the end", ".nv_fatbin past the end");
    memcpy(copy, s.bytes, s.len);
    put64(sh + size_at, UINT64_MAX);
    expect_failure(copy, s.len, "past the end", ".nv_fatbin size huge");
    free(copy);
    unload(&s);
}
END_TEST

START_TEST(garbage_and_empty_inputs)
{
    static const uint8_t zeros[64];
    static const uint8_t elf_start[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
    static const uint8_t magic_only[] = {0x50, 0xed, 0x55, 0xba};
    expect_failure(zeros, sizeof zeros, "unrecognized", "zeros");
    expect_failure(zeros, 0, "empty", "empty input");
    parse_graceful(elf_start, sizeof elf_start, "ELF ident only");
    expect_failure(magic_only, sizeof magic_only, "truncated", "container magic only");
}
END_TEST

static Suite *malformed_suite(void)
{
    Suite *s = suite_create("malformed");
    TCase *tc = tcase_create("malformed");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, cut_at_every_header_boundary, 0, NUM_SAMPLES);
    tcase_add_loop_test(tc, cut_anywhere_in_the_first_256_bytes, 0, NUM_SAMPLES);
    tcase_add_loop_test(tc, container_header_damage_fails_with_its_offset, 0, NUM_SAMPLES);
    tcase_add_loop_test(tc, entry_header_damage_fails_with_its_offset, 0, NUM_SAMPLES);
    tcase_add_loop_test(tc, wrong_uncompressed_size_becomes_a_note, 1, NUM_SAMPLES);
    tcase_add_loop_test(tc, flipped_bytes_in_payloads_never_crash, 0, NUM_SAMPLES);
    tcase_add_test(tc, damage_in_the_second_container_keeps_the_first);
    tcase_add_test(tc, bad_fatbin_section_headers);
    tcase_add_test(tc, garbage_and_empty_inputs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(malformed_suite());
}
