/* check_hotfix_manifest.c: MANIFEST `hotfix` lines (lib/plan/manifest.c) and the
 * hotfix config keys (lib/config/config.c): what parses, what is refused with the
 * line named, and that ss_manifest_format writes what parses back. */
#include <string.h>

#include "sageshim.h"
#include "testutil.h"

#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct diags {
    int count;
    int line[8];
    char message[8][256];
};

static void collect(void *ctx, const char *file, int line, const char *message)
{
    struct diags *d = ctx;
    if (d->count < 8) {
        d->line[d->count] = line;
        snprintf(d->message[d->count], sizeof d->message[0], "%s", message);
    }
    d->count++;
}

static int parse(const char *text, struct ss_manifest *m, struct diags *d)
{
    memset(d, 0, sizeof *d);
    return ss_manifest_parse(m, text, strlen(text), "MANIFEST", collect, d);
}

START_TEST(hotfix_line_parses_beside_fatbin_lines)
{
    const char *text =
        "label sageshim-kernels@1\n"
        "fatbin a.fatbin module=_qattn_sm90 archs=90 kernels=3 sha256=" HASH "\n"
        "hotfix sageshim_fused.fatbin modules=*/sageattention/_fused*.so,*/x/_f*.so "
        "archs=80,86,89,90,100,120 kernels=44 sha256=" HASH "\n";
    struct ss_manifest m;
    struct diags d;
    ck_assert_int_eq(parse(text, &m, &d), 0);
    ck_assert_uint_eq(m.nitems, 1);
    ck_assert_uint_eq(m.nhotfixes, 1);
    const struct ss_manifest_item *h = &m.hotfixes[0];
    ck_assert_str_eq(h->file, "sageshim_fused.fatbin");
    ck_assert_ptr_null(h->module);
    ck_assert_uint_eq(h->nglobs, 2);
    ck_assert_str_eq(h->globs[0], "*/sageattention/_fused*.so");
    ck_assert_str_eq(h->globs[1], "*/x/_f*.so");
    ck_assert_uint_eq(h->narchs, 6);
    ck_assert_uint_eq(h->archs[5], 120);
    ck_assert_uint_eq(h->kernels, 44);

    /* Written back, it parses to the same. */
    char *again = ss_manifest_format(&m);
    ck_assert_ptr_nonnull(again);
    ck_assert_ptr_nonnull(strstr(again, "hotfix sageshim_fused.fatbin modules=*/sageattention/"
                                        "_fused*.so,*/x/_f*.so archs=80,86,89,90,100,120 "
                                        "kernels=44 sha256=" HASH "\n"));
    struct ss_manifest m2;
    ck_assert_int_eq(parse(again, &m2, &d), 0);
    ck_assert_uint_eq(m2.nhotfixes, 1);
    ck_assert_uint_eq(m2.nitems, 1);
    ck_assert_str_eq(m2.hotfixes[0].globs[1], "*/x/_f*.so");
    ss_manifest_free(&m2);
    free(again);
    ss_manifest_free(&m);
}
END_TEST

START_TEST(bad_hotfix_lines_are_named_and_skipped)
{
    const char *text =
        "hotfix a.fatbin archs=90 kernels=1 sha256=" HASH "\n"                       /* 1 */
        "hotfix b.fatbin module=_fused archs=90 kernels=1 sha256=" HASH "\n"         /* 2 */
        "hotfix c.fatbin modules=a,,b archs=90 kernels=1 sha256=" HASH "\n"          /* 3 */
        "hotfix ../d.fatbin modules=x archs=90 kernels=1 sha256=" HASH "\n"          /* 4 */
        "hotfix e.fatbin modules=x archs=90 kernels=1 sha256=" HASH "\n"             /* 5 ok */
        "hotfix e.fatbin modules=y archs=90 kernels=1 sha256=" HASH "\n";            /* 6 */
    struct ss_manifest m;
    struct diags d;
    ck_assert_int_eq(parse(text, &m, &d), 5);
    ck_assert_uint_eq(m.nhotfixes, 1);
    ck_assert_str_eq(m.hotfixes[0].file, "e.fatbin");
    ck_assert_int_eq(d.line[0], 1);
    ck_assert_str_eq(d.message[0], "hotfix a.fatbin: missing modules=");
    ck_assert_int_eq(d.line[1], 2);
    ck_assert_str_eq(d.message[1], "hotfix b.fatbin: unknown field 'module'");
    ck_assert_int_eq(d.line[2], 3);
    ck_assert_str_eq(d.message[2], "hotfix c.fatbin: bad modules 'a,,b'");
    ck_assert_int_eq(d.line[3], 4);
    ck_assert_int_eq(d.line[4], 6);
    ck_assert_str_eq(d.message[4], "hotfix e.fatbin: listed twice; this line is ignored");
    ss_manifest_free(&m);
}
END_TEST

START_TEST(hotfix_keys_and_their_defaults)
{
    struct ss_config cfg;
    ss_config_defaults(&cfg);
    ck_assert_int_eq(cfg.hotfix, 1);
    ck_assert_uint_eq(cfg.nhotfix_modules, 1);
    ck_assert_str_eq(cfg.hotfix_modules[0], "*/sageattention/_fused*.so");

    const char *text = "[sageshim]\nhotfix = off\nhotfix_modules = */a/*.so, */b/*.so\n";
    struct diags d = { 0 };
    ck_assert_int_eq(ss_config_parse(&cfg, text, strlen(text), "t.conf", collect, &d), 0);
    ck_assert_int_eq(cfg.hotfix, 0);
    ck_assert_uint_eq(cfg.nhotfix_modules, 2);
    ck_assert_str_eq(cfg.hotfix_modules[1], "*/b/*.so");

    const char *bad = "[sageshim]\nhotfix = maybe\n";
    ck_assert_int_eq(ss_config_parse(&cfg, bad, strlen(bad), "t.conf", collect, &d), 1);
    ck_assert_int_eq(d.line[0], 2);
    ck_assert_int_eq(cfg.hotfix, 0);
    ss_config_free(&cfg);
}
END_TEST

static const char *hotfix_on(const char *name)
{
    return strcmp(name, "SAGESHIM_HOTFIX") == 0 ? "on" : NULL;
}

static const char *hotfix_off(const char *name)
{
    return strcmp(name, "SAGESHIM_HOTFIX") == 0 ? "off" : NULL;
}

START_TEST(sageshim_hotfix_overrides_the_file)
{
    struct ss_config cfg;
    ss_config_defaults(&cfg);
    struct diags d = { 0 };
    ck_assert_int_eq(ss_config_apply_env(&cfg, hotfix_off, collect, &d), 0);
    ck_assert_int_eq(cfg.hotfix, 0);
    ck_assert_int_eq(ss_config_apply_env(&cfg, hotfix_on, collect, &d), 0);
    ck_assert_int_eq(cfg.hotfix, 1);
    ss_config_free(&cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hotfix_manifest");
    TCase *tc = tcase_create("hotfix_manifest");
    tcase_add_test(tc, hotfix_line_parses_beside_fatbin_lines);
    tcase_add_test(tc, bad_hotfix_lines_are_named_and_skipped);
    tcase_add_test(tc, hotfix_keys_and_their_defaults);
    tcase_add_test(tc, sageshim_hotfix_overrides_the_file);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
