/* check_sha256.c: SHA-256 against the FIPS 180-4 example vectors and
 * padding boundaries (expected digests from the published examples and
 * from Python's hashlib). */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "testutil.h"

static void hex_of(const char *text, size_t len, char hex[65])
{
    ss_sha256_hex(text, len, hex);
}

START_TEST(empty_message)
{
    char hex[65];
    hex_of("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(abc)
{
    char hex[65];
    hex_of("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(two_block_message)
{
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char hex[65];
    hex_of(msg, strlen(msg), hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(one_million_a_in_pieces)
{
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

int main(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, empty_message);
    tcase_add_test(tc, abc);
    tcase_add_test(tc, two_block_message);
    tcase_add_test(tc, one_million_a_in_pieces);
    tcase_add_test(tc, padding_boundaries);
    tcase_add_test(tc, split_updates_match_one_call);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
