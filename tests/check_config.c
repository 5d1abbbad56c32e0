/* check_config.c: sageshim.conf parsing, the environment, the search order
 * and the shipped default file. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "testutil.h"

/* Diagnostics collected by the tests. */
struct diags {
    int count;
    char file[16][256];
    int line[16];
    char message[16][512];
};

static void collect(void *ctx, const char *file, int line, const char *message)
{
    struct diags *d = ctx;
    if (d->count < 16) {
        snprintf(d->file[d->count], sizeof d->file[0], "%s", file);
        d->line[d->count] = line;
        snprintf(d->message[d->count], sizeof d->message[0], "%s", message);
    }
    d->count++;
}

static int parse(struct ss_config *cfg, struct diags *d, const char *text)
{
    memset(d, 0, sizeof *d);
    ss_config_defaults(cfg);
    return ss_config_parse(cfg, text, strlen(text), "test.conf", collect, d);
}

/* A fake environment: NAME=value pairs. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static void assert_same_config(const struct ss_config *a, const struct ss_config *b)
{
    ck_assert_int_eq(a->mode, b->mode);
    ck_assert_int_eq(a->dry_run, b->dry_run);
    ck_assert_uint_eq(a->narchs, b->narchs);
    for (size_t i = 0; i < a->narchs; i++)
        ck_assert_uint_eq(a->archs[i], b->archs[i]);
    ck_assert_uint_eq(a->nmodules, b->nmodules);
    for (size_t i = 0; i < a->nmodules; i++)
        ck_assert_str_eq(a->modules[i], b->modules[i]);
    ck_assert_uint_eq(a->nobserve, b->nobserve);
    for (size_t i = 0; i < a->nobserve; i++)
        ck_assert_str_eq(a->observe[i], b->observe[i]);
    ck_assert_str_eq(a->bundle, b->bundle);
    ck_assert_int_eq(a->repair, b->repair);
    ck_assert_uint_eq(a->nrepair_modules, b->nrepair_modules);
    for (size_t i = 0; i < a->nrepair_modules; i++)
        ck_assert_str_eq(a->repair_modules[i], b->repair_modules[i]);
    ck_assert_str_eq(a->log, b->log);
    ck_assert_int_eq(a->log_level, b->log_level);
}

START_TEST(defaults_are_documented_values)
{
    struct ss_config cfg;
    ss_config_defaults(&cfg);
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ck_assert_int_eq(cfg.dry_run, 0);
    ck_assert_uint_eq(cfg.narchs, 2);
    ck_assert_uint_eq(cfg.archs[0], 90);
    ck_assert_uint_eq(cfg.archs[1], 120);
    ck_assert_uint_eq(cfg.nmodules, 2);
    ck_assert_str_eq(cfg.modules[0], "*/sageattention/_qattn_sm90*.so");
    ck_assert_str_eq(cfg.modules[1], "*/sageattention/_qattn_sm89*.so");
    ck_assert_uint_eq(cfg.nobserve, 1);
    ck_assert_str_eq(cfg.observe[0], "*/sageattention/_fused*.so");
    ck_assert_str_eq(cfg.bundle, "");
    ck_assert_int_eq(cfg.repair, 1);
    ck_assert_uint_eq(cfg.nrepair_modules, 4);
    ck_assert_str_eq(cfg.repair_modules[0], "sageattention._qattn_sm90");
    ck_assert_str_eq(cfg.repair_modules[1], "sageattention._qattn_sm89");
    ck_assert_str_eq(cfg.repair_modules[2], "sageattention._qattn_sm80");
    ck_assert_str_eq(cfg.repair_modules[3], "sageattention._fused");
    ck_assert_str_eq(cfg.log, "stderr");
    ck_assert_int_eq(cfg.log_level, SS_LOG_INFO);
    ck_assert_str_eq(cfg.source, "(defaults)");
    ck_assert_str_eq(ss_mode_name(cfg.mode), "redirect");
    ss_config_free(&cfg);
}
END_TEST

START_TEST(shipped_file_spells_out_the_defaults)
{
    /* Tests run from the repository root. */
    const char *env[] = { "SAGESHIM_CONF=sageshim.conf", NULL };
    struct ss_config loaded, defaults;
    struct diags d = { 0 };
    fake_env = env;
    int problems = ss_config_load(&loaded, NULL, fake_getenv, collect, &d);
    ck_assert_msg(d.count == 0, "%d diagnostics, first: %s:%d: %s", d.count, d.file[0],
                  d.line[0], d.message[0]);
    ck_assert_int_eq(problems, 0);
    ck_assert_str_eq(loaded.source, "sageshim.conf");
    ss_config_defaults(&defaults);
    assert_same_config(&loaded, &defaults);
    ss_config_free(&loaded);
    ss_config_free(&defaults);
}
END_TEST

START_TEST(every_key_is_read)
{
    struct ss_config cfg;
    struct diags d;
    int problems = parse(&cfg, &d,
        "[sageshim]\n"
        "mode = diagnose\n"
        "dry_run = yes\n"
        "archs = 12.0\n"
        "modules = /a/*.so, /b/*.so\n"
        "observe =\n"
        "bundle = /opt/kernels\n"
        "repair = off\n"
        "repair_modules = x.y\n"
        "log = /tmp/sageshim.log\n"
        "log_level = debug\n");
    ck_assert_int_eq(problems, 0);
    ck_assert_int_eq(d.count, 0);
    ck_assert_int_eq(cfg.mode, SS_MODE_DIAGNOSE);
    ck_assert_int_eq(cfg.dry_run, 1);
    ck_assert_uint_eq(cfg.narchs, 1);
    ck_assert_uint_eq(cfg.archs[0], 120);
    ck_assert_uint_eq(cfg.nmodules, 2);
    ck_assert_str_eq(cfg.modules[0], "/a/*.so");
    ck_assert_str_eq(cfg.modules[1], "/b/*.so");
    ck_assert_uint_eq(cfg.nobserve, 0);
    ck_assert_str_eq(cfg.bundle, "/opt/kernels");
    ck_assert_int_eq(cfg.repair, 0);
    ck_assert_uint_eq(cfg.nrepair_modules, 1);
    ck_assert_str_eq(cfg.repair_modules[0], "x.y");
    ck_assert_str_eq(cfg.log, "/tmp/sageshim.log");
    ck_assert_int_eq(cfg.log_level, SS_LOG_DEBUG);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(arch_spellings)
{
    struct ss_config cfg;
    struct diags d;
    ck_assert_int_eq(parse(&cfg, &d, "archs = 9.0, sm_120 90\n"), 0);
    ck_assert_uint_eq(cfg.narchs, 2);   /* 9.0 and 90 are the same */
    ck_assert_uint_eq(cfg.archs[0], 90);
    ck_assert_uint_eq(cfg.archs[1], 120);
    ss_config_free(&cfg);

    ck_assert_int_eq(parse(&cfg, &d, "archs=120,90\n"), 0);
    ck_assert_uint_eq(cfg.archs[0], 120);
    ck_assert_uint_eq(cfg.archs[1], 90);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(bad_arch_keeps_previous_value)
{
    static const char *const bad[] = { "archs = 90, hopper\n", "archs = 9.\n", "archs = sm_9.0\n",
                                       "archs = 9\n", "archs =\n", "archs = 9.0.1\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ss_config cfg;
        struct diags d;
        ck_assert_msg(parse(&cfg, &d, bad[i]) == 1, "%s", bad[i]);
        ck_assert_int_eq(d.line[0], 1);
        ck_assert_ptr_nonnull(strstr(d.message[0], "'archs'"));
        ck_assert_uint_eq(cfg.narchs, 2);
        ck_assert_uint_eq(cfg.archs[0], 90);
        ss_config_free(&cfg);
    }
}
END_TEST

START_TEST(boolean_spellings)
{
    static const char *const yes[] = { "yes", "true", "1", "on", "YES" };
    static const char *const no[] = { "no", "false", "0", "off" };
    for (size_t i = 0; i < 5; i++) {
        char text[64];
        struct ss_config cfg;
        struct diags d;
        snprintf(text, sizeof text, "dry_run = %s\nrepair = %s\n", yes[i], i < 4 ? no[i] : "no");
        ck_assert_int_eq(parse(&cfg, &d, text), 0);
        ck_assert_int_eq(cfg.dry_run, 1);
        ck_assert_int_eq(cfg.repair, 0);
        ss_config_free(&cfg);
    }
}
END_TEST

START_TEST(comments_and_whitespace)
{
    struct ss_config cfg;
    struct diags d;
    int problems = parse(&cfg, &d,
        "# a comment\n"
        "; another\n"
        "   \t\n"
        "  mode   =   off   # trailing comment\r\n"
        "log = /tmp/a#b;c\n"
        "log_level = warn ; why\n");
    ck_assert_int_eq(problems, 0);
    ck_assert_int_eq(cfg.mode, SS_MODE_OFF);
    ck_assert_str_eq(cfg.log, "/tmp/a#b;c");
    ck_assert_int_eq(cfg.log_level, SS_LOG_WARN);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(unknown_key_reported_with_line)
{
    struct ss_config cfg;
    struct diags d;
    int problems = parse(&cfg, &d, "mode = off\n\nfoo = 1\n");
    ck_assert_int_eq(problems, 1);
    ck_assert_int_eq(d.count, 1);
    ck_assert_str_eq(d.file[0], "test.conf");
    ck_assert_int_eq(d.line[0], 3);
    ck_assert_str_eq(d.message[0], "unknown key 'foo'");
    ck_assert_int_eq(cfg.mode, SS_MODE_OFF);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(bad_values_reported_and_ignored)
{
    struct ss_config cfg;
    struct diags d;
    int problems = parse(&cfg, &d,
        "mode = fast\n"
        "dry_run = maybe\n"
        "log_level = loud\n"
        "log =\n");
    ck_assert_int_eq(problems, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(d.line[i], i + 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "'fast'"));
    ck_assert_ptr_nonnull(strstr(d.message[0], "redirect, diagnose or off"));
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ck_assert_int_eq(cfg.dry_run, 0);
    ck_assert_int_eq(cfg.log_level, SS_LOG_INFO);
    ck_assert_str_eq(cfg.log, "stderr");
    ss_config_free(&cfg);
}
END_TEST

START_TEST(malformed_lines)
{
    struct ss_config cfg;
    struct diags d;
    int problems = parse(&cfg, &d, "just words\n= value\n[sageshim\n");
    ck_assert_int_eq(problems, 3);
    ck_assert_ptr_nonnull(strstr(d.message[0], "key = value"));
    ck_assert_int_eq(d.line[1], 2);
    ck_assert_ptr_nonnull(strstr(d.message[1], "missing key"));
    ck_assert_ptr_nonnull(strstr(d.message[2], "malformed section"));
    ss_config_free(&cfg);
}
END_TEST

START_TEST(unknown_section_keys_ignored)
{
    struct ss_config cfg;
    struct diags d;
    int problems = parse(&cfg, &d,
        "[other]\n"
        "mode = off\n"
        "[sageshim]\n"
        "log_level = error\n");
    ck_assert_int_eq(problems, 1);
    ck_assert_int_eq(d.line[0], 1);
    ck_assert_str_eq(d.message[0], "unknown section '[other]'; its keys are ignored");
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ck_assert_int_eq(cfg.log_level, SS_LOG_ERROR);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(duplicate_key_last_wins)
{
    struct ss_config cfg;
    struct diags d;
    int problems = parse(&cfg, &d, "mode = off\nmode = diagnose\n");
    ck_assert_int_eq(problems, 1);
    ck_assert_int_eq(d.line[0], 2);
    ck_assert_str_eq(d.message[0], "duplicate key 'mode' (line 2 wins)");
    ck_assert_int_eq(cfg.mode, SS_MODE_DIAGNOSE);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(too_many_patterns_are_cut_and_reported)
{
    char text[4096] = "modules =";
    for (int i = 0; i < SS_MAX_PATTERNS + 3; i++) {
        char one[32];
        snprintf(one, sizeof one, " /p%d/*.so", i);
        strcat(text, one);
    }
    strcat(text, "\n");
    struct ss_config cfg;
    struct diags d;
    int problems = parse(&cfg, &d, text);
    ck_assert_int_eq(problems, 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "3 patterns beyond the limit"));
    ck_assert_uint_eq(cfg.nmodules, SS_MAX_PATTERNS);
    ck_assert_str_eq(cfg.modules[0], "/p0/*.so");
    ck_assert_str_eq(cfg.modules[SS_MAX_PATTERNS - 1], "/p31/*.so");
    ss_config_free(&cfg);
}
END_TEST

START_TEST(text_without_final_newline_or_nul)
{
    /* The parser must stop at len, not at a NUL. */
    const char text[] = { 'm', 'o', 'd', 'e', '=', 'o', 'f', 'f', 'X' };
    struct ss_config cfg;
    struct diags d = { 0 };
    ss_config_defaults(&cfg);
    ck_assert_int_eq(ss_config_parse(&cfg, text, 8, "t", collect, &d), 0);
    ck_assert_int_eq(cfg.mode, SS_MODE_OFF);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(environment_overrides_file)
{
    const char *env[] = { "SAGESHIM_MODE=diagnose", "SAGESHIM_LOG=/tmp/x.log",
                          "SAGESHIM_LOG_LEVEL=debug", "SAGESHIM_BUNDLE=/b",
                          "SAGESHIM_REPAIR=0", "SAGESHIM_DRY_RUN=true",
                          "SAGESHIM_ARCHS=sm_90", NULL };
    struct ss_config cfg;
    struct diags d;
    parse(&cfg, &d, "mode = off\n");
    fake_env = env;
    ck_assert_int_eq(ss_config_apply_env(&cfg, fake_getenv, collect, &d), 0);
    ck_assert_int_eq(cfg.mode, SS_MODE_DIAGNOSE);
    ck_assert_str_eq(cfg.log, "/tmp/x.log");
    ck_assert_int_eq(cfg.log_level, SS_LOG_DEBUG);
    ck_assert_str_eq(cfg.bundle, "/b");
    ck_assert_int_eq(cfg.repair, 0);
    ck_assert_int_eq(cfg.dry_run, 1);
    ck_assert_uint_eq(cfg.narchs, 1);
    ck_assert_uint_eq(cfg.archs[0], 90);
    ss_config_free(&cfg);
}
END_TEST

START_TEST(bad_environment_value_reported)
{
    const char *env[] = { "SAGESHIM_MODE=sideways", "SAGESHIM_LOG_LEVEL=info", NULL };
    struct ss_config cfg;
    struct diags d;
    parse(&cfg, &d, "");
    fake_env = env;
    ck_assert_int_eq(ss_config_apply_env(&cfg, fake_getenv, collect, &d), 1);
    ck_assert_int_eq(d.count, 1);
    ck_assert_str_eq(d.file[0], "environment");
    ck_assert_int_eq(d.line[0], 0);
    ck_assert_ptr_nonnull(strstr(d.message[0], "SAGESHIM_MODE"));
    ck_assert_ptr_nonnull(strstr(d.message[0], "'sideways'"));
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ss_config_free(&cfg);
}
END_TEST

/* A scratch tree: <tmp>/xdg/sageshim/sageshim.conf, <tmp>/home/.config/...,
 * <tmp>/lib (libdir) and <tmp>/etc/sageshim.conf. */
static char tmp[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void make_tree(void)
{
    char path[512];
    snprintf(tmp, sizeof tmp, "/tmp/check_config.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    const char *dirs[] = { "xdg", "xdg/sageshim", "home", "home/.config",
                           "home/.config/sageshim", "lib", "etc", "adir" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, dirs[i]);
        ck_assert_int_eq(mkdir(path, 0755), 0);
    }
}

static void remove_tree(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(search_order)
{
    char path[512], found[512], xdg[512], home[512], libdir[512], explicit_conf[512];
    make_tree();
    snprintf(xdg, sizeof xdg, "XDG_CONFIG_HOME=%s/xdg", tmp);
    snprintf(home, sizeof home, "HOME=%s/home", tmp);
    snprintf(libdir, sizeof libdir, "%s/lib", tmp);
    snprintf(explicit_conf, sizeof explicit_conf, "SAGESHIM_CONF=%s/explicit.conf", tmp);
    const char *env[] = { explicit_conf, xdg, home, NULL };
    fake_env = env;

    /* Only the file next to the library exists. */
    snprintf(path, sizeof path, "%s/etc/sageshim.conf", tmp);
    write_file(path, "");
    ck_assert_int_eq(ss_config_find(libdir, fake_getenv, found, sizeof found), 1);
    ck_assert_str_eq(found, strcat(strcpy(path, libdir), "/../etc/sageshim.conf"));

    snprintf(path, sizeof path, "%s/home/.config/sageshim/sageshim.conf", tmp);
    write_file(path, "");
    /* XDG_CONFIG_HOME is set, so ~/.config is not looked at. */
    ck_assert_int_eq(ss_config_find(libdir, fake_getenv, found, sizeof found), 1);
    ck_assert_ptr_nonnull(strstr(found, "/etc/sageshim.conf"));

    snprintf(path, sizeof path, "%s/xdg/sageshim/sageshim.conf", tmp);
    write_file(path, "");
    ck_assert_int_eq(ss_config_find(libdir, fake_getenv, found, sizeof found), 1);
    ck_assert_str_eq(found, path);

    snprintf(path, sizeof path, "%s/explicit.conf", tmp);
    write_file(path, "");
    ck_assert_int_eq(ss_config_find(libdir, fake_getenv, found, sizeof found), 1);
    ck_assert_str_eq(found, path);

    /* Without XDG_CONFIG_HOME, ~/.config is used. */
    const char *env2[] = { home, NULL };
    fake_env = env2;
    ck_assert_int_eq(ss_config_find(libdir, fake_getenv, found, sizeof found), 1);
    snprintf(path, sizeof path, "%s/home/.config/sageshim/sageshim.conf", tmp);
    ck_assert_str_eq(found, path);
    remove_tree();
}
END_TEST

START_TEST(load_sets_source_and_applies_environment)
{
    char path[512], conf[600];
    make_tree();
    snprintf(path, sizeof path, "%s/explicit.conf", tmp);
    write_file(path, "mode = diagnose\nlog_level = error\n");
    snprintf(conf, sizeof conf, "SAGESHIM_CONF=%s", path);
    const char *env[] = { conf, "SAGESHIM_LOG_LEVEL=debug", NULL };
    fake_env = env;
    struct ss_config cfg;
    struct diags d = { 0 };
    ck_assert_int_eq(ss_config_load(&cfg, NULL, fake_getenv, collect, &d), 0);
    ck_assert_str_eq(cfg.source, path);
    ck_assert_int_eq(cfg.mode, SS_MODE_DIAGNOSE);
    ck_assert_int_eq(cfg.log_level, SS_LOG_DEBUG);
    ss_config_free(&cfg);
    remove_tree();
}
END_TEST

START_TEST(directory_as_config_reported)
{
    char conf[600];
    make_tree();
    snprintf(conf, sizeof conf, "SAGESHIM_CONF=%s/adir", tmp);
    const char *env[] = { conf, "HOME=/nonexistent", NULL };
    fake_env = env;
    struct ss_config cfg;
    struct diags d = { 0 };
    int problems = ss_config_load(&cfg, NULL, fake_getenv, collect, &d);
    ck_assert_int_ge(problems, 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "not a regular file"));
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ss_config_free(&cfg);
    remove_tree();
}
END_TEST

START_TEST(oversized_file_reported_and_ignored)
{
    char path[512], conf[600];
    make_tree();
    snprintf(path, sizeof path, "%s/big.conf", tmp);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "mode = off\n", 11), 11);
    ck_assert_int_eq(ftruncate(fd, 2 * 1024 * 1024), 0);
    close(fd);
    snprintf(conf, sizeof conf, "SAGESHIM_CONF=%s", path);
    const char *env[] = { conf, NULL };
    fake_env = env;
    struct ss_config cfg;
    struct diags d = { 0 };
    ck_assert_int_eq(ss_config_load(&cfg, NULL, fake_getenv, collect, &d), 1);
    ck_assert_str_eq(d.file[0], path);
    ck_assert_ptr_nonnull(strstr(d.message[0], "larger than"));
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ck_assert_str_eq(cfg.source, "(defaults)");
    ss_config_free(&cfg);
    remove_tree();
}
END_TEST

START_TEST(unreadable_file_reported)
{
    char path[512], conf[600];
    if (geteuid() == 0)
        return;   /* root reads anything */
    make_tree();
    snprintf(path, sizeof path, "%s/secret.conf", tmp);
    write_file(path, "mode = off\n");
    ck_assert_int_eq(chmod(path, 0), 0);
    snprintf(conf, sizeof conf, "SAGESHIM_CONF=%s", path);
    const char *env[] = { conf, NULL };
    fake_env = env;
    struct ss_config cfg;
    struct diags d = { 0 };
    ck_assert_int_eq(ss_config_load(&cfg, NULL, fake_getenv, collect, &d), 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "cannot open"));
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ss_config_free(&cfg);
    remove_tree();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *parsing = tcase_create("parse");
    tcase_add_test(parsing, defaults_are_documented_values);
    tcase_add_test(parsing, shipped_file_spells_out_the_defaults);
    tcase_add_test(parsing, every_key_is_read);
    tcase_add_test(parsing, arch_spellings);
    tcase_add_test(parsing, bad_arch_keeps_previous_value);
    tcase_add_test(parsing, boolean_spellings);
    tcase_add_test(parsing, comments_and_whitespace);
    tcase_add_test(parsing, unknown_key_reported_with_line);
    tcase_add_test(parsing, bad_values_reported_and_ignored);
    tcase_add_test(parsing, malformed_lines);
    tcase_add_test(parsing, unknown_section_keys_ignored);
    tcase_add_test(parsing, duplicate_key_last_wins);
    tcase_add_test(parsing, too_many_patterns_are_cut_and_reported);
    tcase_add_test(parsing, text_without_final_newline_or_nul);
    suite_add_tcase(s, parsing);

    TCase *environment = tcase_create("environment");
    tcase_add_test(environment, environment_overrides_file);
    tcase_add_test(environment, bad_environment_value_reported);
    suite_add_tcase(s, environment);

    TCase *files = tcase_create("files");
    tcase_add_test(files, search_order);
    tcase_add_test(files, load_sets_source_and_applies_environment);
    tcase_add_test(files, directory_as_config_reported);
    tcase_add_test(files, oversized_file_reported_and_ignored);
    tcase_add_test(files, unreadable_file_reported);
    suite_add_tcase(s, files);
    return run_suite(s);
}
