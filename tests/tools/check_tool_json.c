/* check_tool_json.c: the JSON writer behind `--json`: escaping and commas. */
#include "testutil.h"

#include <string.h>

#include "json.h"

/* What json_write_escaped writes for s. */
static char *escaped(const char *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    json_write_escaped(f, s);
    fclose(f);
    return text;
}

static void assert_escapes(const char *input, const char *expected)
{
    char *got = escaped(input);
    ck_assert_str_eq(got, expected);
    free(got);
}

START_TEST(plain_text_is_quoted)
{
    assert_escapes("_Z5mixedcsd3BigPi", "\"_Z5mixedcsd3BigPi\"");
    assert_escapes("", "\"\"");
}
END_TEST

START_TEST(quotes_and_backslashes_are_escaped)
{
    assert_escapes("a\"b\\c", "\"a\\\"b\\\\c\"");
}
END_TEST

START_TEST(control_characters_are_escaped)
{
    assert_escapes("l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\"");
    assert_escapes("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
}
END_TEST

START_TEST(valid_utf8_passes_through)
{
    assert_escapes("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}
END_TEST

START_TEST(invalid_utf8_bytes_become_code_points)
{
    /* A lone continuation byte, a truncated sequence, an overlong '/'. */
    assert_escapes("\x80", "\"\\u0080\"");
    assert_escapes("a\xe2\x82", "\"a\\u00e2\\u0082\"");
    assert_escapes("\xc0\xaf", "\"\\u00c0\\u00af\"");
    /* An encoded UTF-16 surrogate (U+D800) is not valid UTF-8 either. */
    assert_escapes("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");
}
END_TEST

START_TEST(nesting_places_commas)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct json_writer w;
    json_init(&w, f);
    json_begin_object(&w);
    json_key(&w, "a");
    json_begin_array(&w);
    json_uint(&w, 1);
    json_uint(&w, 18446744073709551615ull);
    json_end_array(&w);
    json_key(&w, "b");
    json_begin_object(&w);
    json_end_object(&w);
    json_key(&w, "c");
    json_null(&w);
    json_key(&w, "d");
    json_bool(&w, 0);
    json_end_object(&w);
    json_finish(&w);
    fclose(f);
    /* Compare without the layout whitespace. */
    char compact[256];
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < sizeof compact; p++)
        if (*p != ' ' && *p != '\n')
            compact[n++] = *p;
    compact[n] = '\0';
    ck_assert_str_eq(compact, "{\"a\":[1,18446744073709551615],\"b\":{},\"c\":null,\"d\":false}");
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_json");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, plain_text_is_quoted);
    tcase_add_test(tc, quotes_and_backslashes_are_escaped);
    tcase_add_test(tc, control_characters_are_escaped);
    tcase_add_test(tc, valid_utf8_passes_through);
    tcase_add_test(tc, invalid_utf8_bytes_become_code_points);
    tcase_add_test(tc, nesting_places_commas);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
