/* check_options.c: the option table (lib/config/options.c) against everything that
 * repeats it - the shipped sageshim.conf, sageshim.conf(5), the secure-mode
 * list - plus "did you mean", doctor's value checks and the one arch-list
 * grammar (lib/config/arch.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/arch.h"
#include "config/config.h"
#include "config/options.h"
#include "base/trust.h"
#include "testutil.h"

struct diags {
    int count;
    char message[16][512];
};

static void collect(void *ctx, const char *file, int line, const char *message)
{
    (void)file;
    (void)line;
    struct diags *d = ctx;
    if (d->count < 16)
        snprintf(d->message[d->count], sizeof d->message[0], "%s", message);
    d->count++;
}

static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (tests run from the repository root)", path);
    char *text = calloc(1, 1 << 18);
    ck_assert_ptr_nonnull(text);
    size_t n = fread(text, 1, (1 << 18) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* The shipped file names every key once, in the table's order, with the
 * table's default spelled exactly, and its header names every variable. */
START_TEST(shipped_conf_matches_the_table)
{
    char *text = read_text("sageshim.conf");
    size_t row = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *s = trim(line);
        if (!*s || *s == '#' || *s == '[')
            continue;
        char *eq = strchr(s, '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        ck_assert_msg(row < ss_noptions, "sageshim.conf has more keys than the table");
        ck_assert_str_eq(trim(s), ss_options[row].key);
        ck_assert_str_eq(trim(eq + 1), ss_options[row].default_value);
        row++;
    }
    ck_assert_uint_eq(row, ss_noptions);
    free(text);

    text = read_text("sageshim.conf");
    for (size_t i = 0; i < ss_noptions; i++)
        if (ss_options[i].env)
            ck_assert_msg(strstr(text, ss_options[i].env), "sageshim.conf does not name %s",
                          ss_options[i].env);
    free(text);
}
END_TEST

/* sageshim.conf(5): a `.BR key " = " default` entry per row under KEYS, in
 * order; every variable named under ENVIRONMENT. */
START_TEST(man_page_matches_the_table)
{
    char *text = read_text("man/sageshim.conf.5");
    char *keys = strstr(text, "\n.SH KEYS");
    char *envs = strstr(text, "\n.SH ENVIRONMENT");
    ck_assert_ptr_nonnull(keys);
    ck_assert_ptr_nonnull(envs);
    *envs = '\0';
    size_t row = 0;
    for (char *p = strstr(keys, "\n.TP\n.BR "); p; p = strstr(p + 1, "\n.TP\n.BR ")) {
        char *entry = p + strlen("\n.TP\n.BR ");
        char *end = strchr(entry, '\n');
        ck_assert_ptr_nonnull(end);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(end - entry), entry);
        ck_assert_msg(row < ss_noptions, "man page has more keys than the table: %s", line);
        char expect[512];
        snprintf(expect, sizeof expect, "%s \" = \" %s", ss_options[row].key,
                 ss_options[row].default_value);
        /* Defaults with blanks or empty are quoted. */
        char quoted[512];
        snprintf(quoted, sizeof quoted, "%s \" = \" \"%s\"", ss_options[row].key,
                 ss_options[row].default_value);
        ck_assert_msg(strcmp(line, expect) == 0 || strcmp(line, quoted) == 0,
                      "man page entry '%s' should be '%s'", line, quoted);
        row++;
    }
    ck_assert_uint_eq(row, ss_noptions);
    char *env_section = envs + 1;
    for (size_t i = 0; i < ss_noptions; i++) {
        if (!ss_options[i].env)
            continue;
        char want[128];
        snprintf(want, sizeof want, ".BR %s", ss_options[i].env);
        ck_assert_msg(strstr(env_section, want), "man page ENVIRONMENT lacks %s",
                      ss_options[i].env);
    }
    free(text);
}
END_TEST

/* The README's configuration table and variable list name every option. */
START_TEST(readme_names_every_option)
{
    char *text = read_text("README.md");
    for (size_t i = 0; i < ss_noptions; i++) {
        char row[128];
        snprintf(row, sizeof row, "\n| `%s` | ", ss_options[i].key);
        ck_assert_msg(strstr(text, row), "README's table lacks %s", ss_options[i].key);
        if (ss_options[i].env) {
            snprintf(row, sizeof row, "`%s`", ss_options[i].env);
            ck_assert_msg(strstr(text, row), "README lacks %s", ss_options[i].env);
        }
    }
    free(text);
}
END_TEST

START_TEST(every_option_has_a_doc_and_parses_its_default)
{
    for (size_t i = 0; i < ss_noptions; i++) {
        const struct ss_option *o = &ss_options[i];
        ck_assert_ptr_eq(ss_option_find(o->key), o);
        ck_assert_msg(o->doc && strlen(o->doc) > 10, "%s: no doc", o->key);
        struct ss_config cfg;
        ss_config_defaults(&cfg);
        char why[256] = "", shown[512];
        ck_assert_int_eq(ss_option_set(&cfg, o, o->default_value, why, sizeof why), 0);
        ss_option_format(&cfg, o, shown, sizeof shown);
        ck_assert_str_eq(shown, o->default_value);
        ss_config_free(&cfg);
    }
    ck_assert_ptr_null(ss_option_find("nonsense"));
}
END_TEST

START_TEST(hotfix_keys_and_their_defaults)
{
    struct ss_config cfg;
    ss_config_defaults(&cfg);
    ck_assert_int_eq(cfg.hotfix, 1);
    ck_assert_uint_eq(cfg.nhotfix_modules, 1);
    ck_assert_str_eq(cfg.hotfix_modules[0], "*/sageattention/_fused*.so");
    struct diags d = { 0 };
    ck_assert_int_eq(ss_config_parse(&cfg, "hotfix = off\nhotfix_modules = /a/*.so /b/*.so\n",
                                     strlen("hotfix = off\nhotfix_modules = /a/*.so /b/*.so\n"),
                                     "t.conf", collect, &d), 0);
    ck_assert_int_eq(cfg.hotfix, 0);
    ck_assert_uint_eq(cfg.nhotfix_modules, 2);
    const char *env[] = { "SAGESHIM_HOTFIX=on", NULL };
    fake_env = env;
    ck_assert_int_eq(ss_config_apply_env(&cfg, fake_getenv, collect, &d), 0);
    ck_assert_int_eq(cfg.hotfix, 1);
    ss_config_free(&cfg);
}
END_TEST

static void parse_one(const char *text, struct diags *d, struct ss_config *cfg)
{
    memset(d, 0, sizeof *d);
    ss_config_defaults(cfg);
    ss_config_parse(cfg, text, strlen(text), "t.conf", collect, d);
}

START_TEST(unknown_key_gets_the_nearest)
{
    static const struct { const char *typo, *near; } cases[] = {
        { "mdoe", "mode" }, { "log-level", "log_level" }, { "hotfix_module", "hotfix_modules" },
        { "Bundle", "bundle" }, { "repair_module", "repair_modules" }, { "archs_", "archs" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_str_eq(ss_option_nearest(cases[i].typo), cases[i].near);
        struct ss_config cfg;
        struct diags d;
        char text[128], want[128];
        snprintf(text, sizeof text, "%s = x\n", cases[i].typo);
        parse_one(text, &d, &cfg);
        snprintf(want, sizeof want, "did you mean '%s'?", cases[i].near);
        ck_assert_int_eq(d.count, 1);
        ck_assert_msg(strstr(d.message[0], want), "'%s' for %s", d.message[0], cases[i].typo);
        ss_config_free(&cfg);
    }
    ck_assert_ptr_null(ss_option_nearest("colour"));
    ck_assert_ptr_null(ss_option_nearest("xyz"));
}
END_TEST

START_TEST(bad_value_names_the_value_used)
{
    struct ss_config cfg;
    struct diags d;
    parse_one("mode = diagnostic\n", &d, &cfg);
    ck_assert_int_eq(d.count, 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "bad value 'diagnostic' for 'mode'"));
    ck_assert_ptr_nonnull(strstr(d.message[0], "using 'redirect'"));
    ss_config_free(&cfg);

    parse_one("mode = off\nmode = diagnostic\n", &d, &cfg);
    ck_assert_ptr_nonnull(strstr(d.message[0], "using 'off'"));
    ck_assert_int_eq(cfg.mode, SS_MODE_OFF);
    ss_config_free(&cfg);

    const char *env[] = { "SAGESHIM_LOG_LEVEL=loud", NULL };
    fake_env = env;
    memset(&d, 0, sizeof d);
    ss_config_defaults(&cfg);
    ck_assert_int_eq(ss_config_apply_env(&cfg, fake_getenv, collect, &d), 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "SAGESHIM_LOG_LEVEL"));
    ck_assert_ptr_nonnull(strstr(d.message[0], "using 'info'"));
    ss_config_free(&cfg);
}
END_TEST

/* The secure-mode line lists every option's variable that is set, from the
 * table: a new option's variable is covered without another list. */
START_TEST(secure_mode_ignores_every_table_variable)
{
    const char *env[] = { "SAGESHIM_HOTFIX=off", "SAGESHIM_MODE=off", "SAGESHIM_CONF=/x",
                          "HOME=/nonexistent", NULL };
    fake_env = env;
    struct ss_trust trust = { .secure = 1, .uid = getuid() };
    struct ss_config cfg;
    struct diags d = { 0 };
    ss_config_load_trusted(&cfg, NULL, fake_getenv, &trust, collect, &d);
    ck_assert_int_ge(d.count, 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "SAGESHIM_CONF"));
    ck_assert_ptr_nonnull(strstr(d.message[0], "SAGESHIM_MODE"));
    ck_assert_ptr_nonnull(strstr(d.message[0], "SAGESHIM_HOTFIX"));
    ck_assert_int_eq(cfg.hotfix, 1);
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(search_order_puts_etc_before_the_installed_default)
{
    const char *env[] = { "SAGESHIM_CONF=/c/x.conf", "XDG_CONFIG_HOME=/xdg", NULL };
    fake_env = env;
    char path[256];
    ck_assert_int_eq(ss_config_candidate(0, "/opt/s/lib", fake_getenv, path, sizeof path), 1);
    ck_assert_str_eq(path, "/c/x.conf");
    ck_assert_int_eq(ss_config_candidate(1, "/opt/s/lib", fake_getenv, path, sizeof path), 1);
    ck_assert_str_eq(path, "/xdg/sageshim/sageshim.conf");
    ck_assert_int_eq(ss_config_candidate(2, "/opt/s/lib", fake_getenv, path, sizeof path), 1);
    ck_assert_str_eq(path, "/etc/sageshim.conf");
    ck_assert_int_eq(ss_config_candidate(3, "/opt/s/lib", fake_getenv, path, sizeof path), 1);
    ck_assert_str_eq(path, "/opt/s/lib/../etc/sageshim.conf");
    ck_assert_int_eq(ss_config_candidate(4, "/opt/s/lib", fake_getenv, path, sizeof path), -1);
}
END_TEST

START_TEST(checks_beyond_parsing)
{
    struct ss_config cfg;
    struct diags d;
    parse_one("", &d, &cfg);
    ck_assert_int_eq(ss_config_check(&cfg, collect, &d), 0);
    ss_config_free(&cfg);

    parse_one("modules =\n"
              "repair_modules = sageattention._qattn_sm90 sage-attention/x 9lives\n"
              "observe = _fused.so\n"
              "bundle = kernels\n"
              "log = /nonexistent-dir-for-sageshim/s.log\n", &d, &cfg);
    ck_assert_int_eq(d.count, 0);
    ck_assert_int_eq(ss_config_check(&cfg, collect, &d), 6);
    ck_assert_ptr_nonnull(strstr(d.message[0], "modules is empty"));
    ck_assert_ptr_nonnull(strstr(d.message[1], "'_fused.so' can never match"));
    ck_assert_ptr_nonnull(strstr(d.message[2], "relative path"));
    ck_assert_ptr_nonnull(strstr(d.message[3], "'sage-attention/x' is not a Python module"));
    ck_assert_ptr_nonnull(strstr(d.message[4], "'9lives' is not a Python module"));
    ck_assert_ptr_nonnull(strstr(d.message[5], "/nonexistent-dir-for-sageshim does not exist"));
    ss_config_free(&cfg);

    parse_one("log = s.log\n", &d, &cfg);
    ck_assert_int_eq(ss_config_check(&cfg, collect, &d), 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "log = s.log is a relative path"));
    ss_config_free(&cfg);
}
END_TEST

START_TEST(arch_names)
{
    static const struct { const char *text; unsigned sm; } good[] = {
        { "90", 90 }, { "9.0", 90 }, { "sm_90", 90 }, { "sm_90a", 90 }, { "compute_90", 90 },
        { "compute_90a", 90 }, { "SM_120", 120 }, { "12.0", 120 }, { "sm_100f", 100 },
        { "8.6", 86 }, { "120", 120 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        unsigned sm = 0;
        ck_assert_msg(ss_parse_arch(good[i].text, &sm) == 0, "%s refused", good[i].text);
        ck_assert_uint_eq(sm, good[i].sm);
    }
    static const char *const bad[] = { "", "9", "hopper", "9.", "sm_9.0", "9.0.1", "90b",
                                       "compute_", "sm_90aa", "1000", "-90", "9.10" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned sm;
        ck_assert_msg(ss_parse_arch(bad[i], &sm) != 0, "'%s' accepted", bad[i]);
    }
}
END_TEST

START_TEST(arch_lists)
{
    unsigned a[4];
    size_t n;
    char why[128];
    ck_assert_int_eq(ss_parse_arch_list("sm_90a, 12.0 compute_90,86", a, 4, &n, why, sizeof why), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(a[0], 90);
    ck_assert_uint_eq(a[1], 120);
    ck_assert_uint_eq(a[2], 86);
    static const char *const bad[] = { "", " ", "90,,120", ",90", "90,", "90, , 120", "90 hopper" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(ss_parse_arch_list(bad[i], a, 4, &n, why, sizeof why) != 0, "'%s' accepted",
                      bad[i]);
    ck_assert_int_eq(ss_parse_arch_list("80,86,89,90,100", a, 4, &n, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "more than 4"));
    ck_assert_int_eq(ss_parse_arch_list("90 hopper", a, 4, &n, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "'hopper'"));

    /* The same grammar in the config file. */
    struct ss_config cfg;
    struct diags d;
    parse_one("archs = sm_90a compute_120\n", &d, &cfg);
    ck_assert_int_eq(d.count, 0);
    ck_assert_uint_eq(cfg.narchs, 2);
    ck_assert_uint_eq(cfg.archs[1], 120);
    ss_config_free(&cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options");
    TCase *table = tcase_create("table");
    tcase_add_test(table, shipped_conf_matches_the_table);
    tcase_add_test(table, man_page_matches_the_table);
    tcase_add_test(table, readme_names_every_option);
    tcase_add_test(table, every_option_has_a_doc_and_parses_its_default);
    tcase_add_test(table, hotfix_keys_and_their_defaults);
    tcase_add_test(table, unknown_key_gets_the_nearest);
    tcase_add_test(table, bad_value_names_the_value_used);
    tcase_add_test(table, secure_mode_ignores_every_table_variable);
    tcase_add_test(table, search_order_puts_etc_before_the_installed_default);
    tcase_add_test(table, checks_beyond_parsing);
    suite_add_tcase(s, table);
    TCase *arch = tcase_create("arch");
    tcase_add_test(arch, arch_names);
    tcase_add_test(arch, arch_lists);
    suite_add_tcase(s, arch);
    return run_suite(s);
}
