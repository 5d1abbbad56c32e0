/* check_sha256.c: SHA-256 against the FIPS 180-4 example vectors and
 * padding boundaries (expected digests from the published examples and
 * from Python's hashlib), for every implementation this CPU has: each test
 * runs once per implementation (a loop test, _i below), forced with
 * ss_sha256_use, and says on stdout which one ran or why it was skipped.
 * The accelerated ones are also compared with the portable one on random
 * lengths, split updates and unaligned input, and the CPU detection with
 * /proc/cpuinfo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "testutil.h"

static const struct {
    enum ss_sha256_impl impl;
    const char *name;
} impls[] = {
    { SS_SHA256_PORTABLE, "portable" },
    { SS_SHA256_X86_SHANI, "x86-64 SHA-NI" },
    { SS_SHA256_ARMV8, "ARMv8 SHA2" },
};
#define NIMPLS ((int)(sizeof impls / sizeof impls[0]))

/* Use implementation i for this test; 0 when the CPU lacks it. */
static int use_impl(int i, const char *test)
{
    if (ss_sha256_use(impls[i].impl) != 0) {
        printf("sha256 %s [%s]: not on this CPU, skipped\n", test, impls[i].name);
        return 0;
    }
    ck_assert_str_eq(ss_sha256_impl_name(), impls[i].name);
    printf("sha256 %s [%s]: ran\n", test, impls[i].name);
    return 1;
}

static void hex_of(const char *text, size_t len, char hex[65])
{
    ss_sha256_hex(text, len, hex);
}

START_TEST(empty_message)
{
    if (!use_impl(_i, "empty_message"))
        return;
    char hex[65];
    hex_of("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(abc)
{
    if (!use_impl(_i, "abc"))
        return;
    char hex[65];
    hex_of("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(two_block_message)
{
    if (!use_impl(_i, "two_block_message"))
        return;
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char hex[65];
    hex_of(msg, strlen(msg), hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(one_million_a_in_pieces)
{
    if (!use_impl(_i, "one_million_a_in_pieces"))
        return;
    /* Fed in uneven pieces so the block buffering is exercised. */
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    struct ss_sha256 s;
    ss_sha256_init(&s);
    size_t left = 1000000;
    while (left > 0) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        ss_sha256_update(&s, chunk, n);
        left -= n;
    }
    uint8_t digest[32];
    ss_sha256_final(&s, digest);
    static const uint8_t expected[32] = {
        0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
        0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0,
    };
    ck_assert_mem_eq(digest, expected, 32);
}
END_TEST

/* Lengths around the 55/56-byte point where the length field no longer fits
 * in the last block. */
START_TEST(padding_boundaries)
{
    if (!use_impl(_i, "padding_boundaries"))
        return;
    static const struct { size_t len; const char *hex; } cases[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
        { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
    };
    char buf[128];
    memset(buf, 'a', sizeof buf);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[65];
        hex_of(buf, cases[i].len, hex);
        ck_assert_msg(strcmp(hex, cases[i].hex) == 0, "length %zu: %s", cases[i].len, hex);
    }
}
END_TEST

START_TEST(split_updates_match_one_call)
{
    if (!use_impl(_i, "split_updates_match_one_call"))
        return;
    uint8_t data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof data; len += 7) {
        char whole[65];
        ss_sha256_hex(data, len, whole);
        for (size_t cut = 0; cut <= len; cut += 13) {
            struct ss_sha256 s;
            uint8_t digest[32];
            char hex[65];
            ss_sha256_init(&s);
            ss_sha256_update(&s, data, cut);
            ss_sha256_update(&s, data + cut, len - cut);
            ss_sha256_final(&s, digest);
            for (int k = 0; k < 32; k++)
                snprintf(hex + 2 * k, 3, "%02x", digest[k]);
            ck_assert_msg(strcmp(hex, whole) == 0, "len %zu cut %zu", len, cut);
        }
    }
}
END_TEST

/* FIPS 180-2 appendix C.3 / the NIST examples: the 896-bit message. */
START_TEST(four_block_message)
{
    if (!use_impl(_i, "four_block_message"))
        return;
    const char *msg = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    char hex[65];
    ck_assert_uint_eq(strlen(msg), 112);
    hex_of(msg, strlen(msg), hex);
    ck_assert_str_eq(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t next_random(void)
{
    /* xorshift64*: the same sequence on every run and machine. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1du) >> 32);
}

static void digest_in_pieces(const uint8_t *data, size_t len, int pieces, uint8_t digest[32])
{
    struct ss_sha256 s;
    ss_sha256_init(&s);
    size_t at = 0;
    for (int p = 0; p < pieces - 1 && at < len; p++) {
        size_t n = next_random() % (len - at + 1);
        ss_sha256_update(&s, data + at, n);
        at += n;
    }
    ss_sha256_update(&s, data + at, len - at);
    ss_sha256_final(&s, digest);
}

/* Random lengths 0..10000 at random (unaligned) offsets, each hashed in
 * one call by the portable code and in 1..8 random pieces by this one. */
START_TEST(random_lengths_match_the_portable_code)
{
    if (!use_impl(_i, "random_lengths_match_the_portable_code"))
        return;
    enum { MAX = 10000, RUNS = 1500 };
    uint8_t *data = malloc(MAX + 64);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < MAX + 64; i++)
        data[i] = (uint8_t)next_random();
    for (int run = 0; run < RUNS; run++) {
        /* Every length up to 200 (the block and padding edges), then random. */
        size_t len = run <= 200 ? (size_t)run : next_random() % (MAX + 1);
        size_t offset = next_random() % 64;
        uint8_t expected[32], got[32];
        ck_assert_int_eq(ss_sha256_use(SS_SHA256_PORTABLE), 0);
        digest_in_pieces(data + offset, len, 1, expected);
        ck_assert_int_eq(ss_sha256_use(impls[_i].impl), 0);
        digest_in_pieces(data + offset, len, 1 + (int)(next_random() % 8), got);
        ck_assert_msg(memcmp(expected, got, 32) == 0, "%s: length %zu at offset %zu differs",
                      impls[_i].name, len, offset);
    }
    free(data);
}
END_TEST

/* The run-time choice: the best this CPU has, and what the kernel says it
 * has (a broken detection would silently test the portable code only). */
START_TEST(detection_agrees_with_the_kernel)
{
    ck_assert_int_eq(ss_sha256_use(SS_SHA256_BEST), 0);
    printf("sha256: this CPU uses %s\n", ss_sha256_impl_name());
    if (ss_sha256_available(SS_SHA256_X86_SHANI))
        ck_assert_str_eq(ss_sha256_impl_name(), "x86-64 SHA-NI");
    else if (ss_sha256_available(SS_SHA256_ARMV8))
        ck_assert_str_eq(ss_sha256_impl_name(), "ARMv8 SHA2");
    else
        ck_assert_str_eq(ss_sha256_impl_name(), "portable");
    /* valgrind shows the program a CPU without SHA (it cannot run those
     * instructions): the portable code is then right. */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        printf("sha256: under valgrind, /proc/cpuinfo not compared\n");
        return;
    }
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[8192];
    int seen = 0;
    while (fgets(line, sizeof line, f) && !seen) {
        /* qemu-user shows the host's file: only a line of our own
         * architecture says anything. */
#if defined(__x86_64__)
        if (strncmp(line, "flags", 5) == 0) {
            seen = 1;
            int has = strstr(line, " sha_ni") && strstr(line, " sse4_1") && strstr(line, " ssse3");
            ck_assert_int_eq(ss_sha256_available(SS_SHA256_X86_SHANI), has);
        }
#elif defined(__aarch64__)
        if (strncmp(line, "Features", 8) == 0) {
            seen = 1;
            int has = strstr(line, " sha2") != NULL;
            ck_assert_int_eq(ss_sha256_available(SS_SHA256_ARMV8), has);
        }
#endif
    }
    fclose(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("vectors");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, empty_message, 0, NIMPLS);
    tcase_add_loop_test(tc, abc, 0, NIMPLS);
    tcase_add_loop_test(tc, two_block_message, 0, NIMPLS);
    tcase_add_loop_test(tc, four_block_message, 0, NIMPLS);
    tcase_add_loop_test(tc, one_million_a_in_pieces, 0, NIMPLS);
    tcase_add_loop_test(tc, padding_boundaries, 0, NIMPLS);
    tcase_add_loop_test(tc, split_updates_match_one_call, 0, NIMPLS);
    tcase_add_loop_test(tc, random_lengths_match_the_portable_code, 0, NIMPLS);
    tcase_add_test(tc, detection_agrees_with_the_kernel);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
