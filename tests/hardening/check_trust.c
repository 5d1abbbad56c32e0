/* check_trust: secure execution in the core library (trust.h) - which
 * files a setuid/setgid program may read, and config/bundle loading that
 * ignores the environment and refuses files others could have planted.
 *
 * Ownership cases chown files to uid 65534 (nobody), so they need root;
 * they are skipped (with a line on stderr) otherwise. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sageshim.h"
#include "testutil.h"
#include "base/trust.h"

#define NOBODY 65534

static char dir[] = "/tmp/ss_trust_XXXXXX";

static void make_dir(void)
{
    strcpy(dir, "/tmp/ss_trust_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write dir/name with `text` and `mode`; returns the path (static). */
static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

static int running_as_root(void)
{
    if (geteuid() == 0)
        return 1;
    fprintf(stderr, "check_trust: not root, ownership case skipped\n");
    return 0;
}

/* ---- ss_file_trusted ---- */

START_TEST(private_file_of_the_user_is_trusted)
{
    make_dir();
    char why[200] = "";
    const char *path = write_file("a", "x", 0644);
    ck_assert_int_eq(ss_file_trusted(path, getuid(), why, sizeof why), 1);
    path = write_file("b", "x", 0600);
    ck_assert_int_eq(ss_file_trusted(path, getuid(), why, sizeof why), 1);
    remove_dir();
}
END_TEST

START_TEST(group_or_world_writable_file_is_not)
{
    make_dir();
    char why[200] = "";
    const char *path = write_file("g", "x", 0664);
    ck_assert_int_eq(ss_file_trusted(path, getuid(), why, sizeof why), 0);
    ck_assert_msg(strstr(why, "writable by its group") && strstr(why, "664"), "%s", why);
    path = write_file("o", "x", 0646);
    ck_assert_int_eq(ss_file_trusted(path, getuid(), why, sizeof why), 0);
    ck_assert_msg(strstr(why, "writable by others") && strstr(why, "646"), "%s", why);
    remove_dir();
}
END_TEST

START_TEST(file_of_another_user_is_not)
{
    if (!running_as_root())
        return;
    make_dir();
    char why[200] = "";
    const char *path = write_file("n", "x", 0644);
    ck_assert_int_eq(chown(path, NOBODY, NOBODY), 0);
    /* Root's own program: a file of nobody's is someone else's. */
    ck_assert_int_eq(ss_file_trusted(path, 0, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "owned by uid 65534"), "%s", why);
    /* Started by nobody: their own file is theirs to use. */
    ck_assert_int_eq(ss_file_trusted(path, NOBODY, why, sizeof why), 1);
    /* Root's files are trusted whoever started the program. */
    path = write_file("r", "x", 0644);
    ck_assert_int_eq(ss_file_trusted(path, NOBODY, why, sizeof why), 1);
    remove_dir();
}
END_TEST

START_TEST(missing_file_is_not)
{
    char why[200] = "";
    ck_assert_int_eq(ss_file_trusted("/nonexistent/sageshim.conf", 0, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "cannot stat"), "%s", why);
}
END_TEST

/* ---- config loading ---- */

struct problems {
    int count;
    char text[4096];
};

static void collect(void *ctx, const char *file, int line, const char *message)
{
    struct problems *p = ctx;
    size_t used = strlen(p->text);
    snprintf(p->text + used, sizeof p->text - used, "%s:%d: %s\n", file ? file : "?", line,
             message);
    p->count++;
}

static const char *conf_path;
static const char *fake_env(const char *name)
{
    if (strcmp(name, "SAGESHIM_CONF") == 0)
        return conf_path;
    if (strcmp(name, "SAGESHIM_MODE") == 0)
        return "off";
    if (strcmp(name, "SAGESHIM_LOG") == 0)
        return "/tmp/planted.log";
    return NULL;
}

START_TEST(insecure_load_reads_the_environment)
{
    make_dir();
    conf_path = write_file("env.conf", "[sageshim]\nmode = diagnose\n", 0666);
    struct ss_config cfg;
    struct problems p = { 0 };
    struct ss_trust trust = { .secure = 0, .uid = getuid() };
    ss_config_load_trusted(&cfg, NULL, fake_env, &trust, collect, &p);
    ck_assert_int_eq(cfg.mode, SS_MODE_OFF);
    ck_assert_str_eq(cfg.log, "/tmp/planted.log");
    ck_assert_str_eq(cfg.source, conf_path);
    ck_assert_msg(p.count == 0, "%s", p.text);
    ss_config_free(&cfg);
    remove_dir();
}
END_TEST

START_TEST(secure_load_ignores_the_environment_and_says_so)
{
    make_dir();
    conf_path = write_file("env.conf", "[sageshim]\nmode = diagnose\n", 0644);
    struct ss_config cfg;
    struct problems p = { 0 };
    struct ss_trust trust = { .secure = 1, .uid = getuid() };
    ss_config_load_trusted(&cfg, NULL, fake_env, &trust, collect, &p);
    /* Neither the variables nor the file SAGESHIM_CONF names. */
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);
    ck_assert_str_ne(cfg.log ? cfg.log : "stderr", "/tmp/planted.log");
    ck_assert_ptr_eq(strstr(cfg.source ? cfg.source : "", "env.conf"), NULL);
    ck_assert_msg(p.count == 1, "%s", p.text);
    ck_assert_msg(strstr(p.text, "secure execution") &&
                      strstr(p.text, "SAGESHIM_CONF, SAGESHIM_MODE, SAGESHIM_LOG ignored"),
                  "%s", p.text);
    ss_config_free(&cfg);
    remove_dir();
}
END_TEST

/* Secure mode finds <libdir>/../etc/sageshim.conf; write it with `mode`. */
static void load_from_libdir(mode_t mode, struct ss_config *cfg, struct problems *p)
{
    char path[PATH_MAX], libdir[PATH_MAX];
    snprintf(path, sizeof path, "%s/etc", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(libdir, sizeof libdir, "%s/lib", dir);
    ck_assert_int_eq(mkdir(libdir, 0755), 0);
    write_file("etc/sageshim.conf", "[sageshim]\nmode = diagnose\n", mode);
    struct ss_trust trust = { .secure = 1, .uid = getuid() };
    ss_config_load_trusted(cfg, libdir, NULL, &trust, collect, p);
}

START_TEST(secure_load_reads_a_private_file)
{
    make_dir();
    struct ss_config cfg;
    struct problems p = { 0 };
    load_from_libdir(0644, &cfg, &p);
    ck_assert_int_eq(cfg.mode, SS_MODE_DIAGNOSE);
    ck_assert_msg(p.count == 0, "%s", p.text);
    ss_config_free(&cfg);
    remove_dir();
}
END_TEST

START_TEST(secure_load_refuses_a_writable_file_naming_it)
{
    make_dir();
    struct ss_config cfg;
    struct problems p = { 0 };
    load_from_libdir(0666, &cfg, &p);
    ck_assert_int_eq(cfg.mode, SS_MODE_REDIRECT);   /* the defaults */
    ck_assert_msg(p.count == 1, "%s", p.text);
    ck_assert_msg(strstr(p.text, "etc/sageshim.conf:0: refused in a setuid/setgid program: "
                                 "writable by others (mode 666); using defaults"),
                  "%s", p.text);
    ss_config_free(&cfg);
    remove_dir();
}
END_TEST

/* ---- bundles ---- */

/* A bundle of one fixture fatbin, its MANIFEST with the right hash. */
static void make_bundle(mode_t file_mode)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(fixture_path("kernels_none.fatbin"), &bytes, &len, &err), 0);
    char path[PATH_MAX], hex[65], manifest[512];
    snprintf(path, sizeof path, "%s/k.fatbin", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    ck_assert_int_eq(chmod(path, file_mode), 0);
    ss_sha256_hex(bytes, len, hex);
    free(bytes);
    snprintf(manifest, sizeof manifest,
             "label t\nfatbin k.fatbin module=m archs=90 kernels=11 sha256=%s\n", hex);
    write_file("MANIFEST", manifest, 0644);
    ck_assert_int_eq(chmod(dir, 0755), 0);
}

START_TEST(secure_bundle_of_private_files_opens)
{
    make_dir();
    make_bundle(0644);
    struct ss_bundle b;
    struct problems p = { 0 };
    struct ss_error err = { 0 };
    struct ss_trust trust = { .secure = 1, .uid = getuid() };
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, &trust, collect, &p, &err), 0);
    ck_assert_uint_eq(b.nfiles, 1);
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

START_TEST(secure_bundle_refuses_a_writable_fatbin)
{
    make_dir();
    make_bundle(0666);
    struct ss_bundle b;
    struct problems p = { 0 };
    struct ss_error err = { 0 };
    struct ss_trust trust = { .secure = 1, .uid = getuid() };
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, &trust, collect, &p, &err), 0);
    ck_assert_uint_eq(b.nfiles, 0);
    ck_assert_msg(strstr(p.text, "k.fatbin: refused in a setuid/setgid program: writable by "
                                 "others (mode 666); file refused"),
                  "%s", p.text);
    ss_bundle_close(&b);
    /* The same bundle is fine for an ordinary program. */
    trust.secure = 0;
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, &trust, collect, &p, &err), 0);
    ck_assert_uint_eq(b.nfiles, 1);
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

START_TEST(secure_bundle_refuses_a_writable_directory_or_manifest)
{
    make_dir();
    make_bundle(0644);
    struct ss_bundle b;
    struct ss_error err = { 0 };
    struct ss_trust trust = { .secure = 1, .uid = getuid() };
    ck_assert_int_eq(chmod(dir, 0777), 0);
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, &trust, NULL, NULL, &err), -1);
    ck_assert_msg(strstr(err.message, "refused in a setuid/setgid program: writable by others"),
                  "%s", err.message);
    /* Sticky, like /tmp: others cannot replace files they do not own. */
    ck_assert_int_eq(chmod(dir, 01777), 0);
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, &trust, NULL, NULL, &err), 0);
    ss_bundle_close(&b);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    char manifest[PATH_MAX];
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", dir);
    ck_assert_int_eq(chmod(manifest, 0620), 0);
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, &trust, NULL, NULL, &err), -1);
    ck_assert_msg(strstr(err.message, "MANIFEST: refused in a setuid/setgid program: writable "
                                      "by its group"),
                  "%s", err.message);
    remove_dir();
}
END_TEST

START_TEST(secure_bundle_refuses_a_fatbin_of_another_user)
{
    if (!running_as_root())
        return;
    make_dir();
    make_bundle(0644);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/k.fatbin", dir);
    ck_assert_int_eq(chown(path, NOBODY, NOBODY), 0);
    struct ss_bundle b;
    struct problems p = { 0 };
    struct ss_error err = { 0 };
    struct ss_trust trust = { .secure = 1, .uid = 0 };
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, &trust, collect, &p, &err), 0);
    ck_assert_uint_eq(b.nfiles, 0);
    ck_assert_msg(strstr(p.text, "k.fatbin: refused in a setuid/setgid program: owned by uid "
                                 "65534"),
                  "%s", p.text);
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trust");
    TCase *files = tcase_create("files");
    tcase_add_test(files, private_file_of_the_user_is_trusted);
    tcase_add_test(files, group_or_world_writable_file_is_not);
    tcase_add_test(files, file_of_another_user_is_not);
    tcase_add_test(files, missing_file_is_not);
    suite_add_tcase(s, files);

    TCase *config = tcase_create("config");
    tcase_add_test(config, insecure_load_reads_the_environment);
    tcase_add_test(config, secure_load_ignores_the_environment_and_says_so);
    tcase_add_test(config, secure_load_reads_a_private_file);
    tcase_add_test(config, secure_load_refuses_a_writable_file_naming_it);
    suite_add_tcase(s, config);

    TCase *bundle = tcase_create("bundle");
    tcase_add_test(bundle, secure_bundle_of_private_files_opens);
    tcase_add_test(bundle, secure_bundle_refuses_a_writable_fatbin);
    tcase_add_test(bundle, secure_bundle_refuses_a_writable_directory_or_manifest);
    tcase_add_test(bundle, secure_bundle_refuses_a_fatbin_of_another_user);
    suite_add_tcase(s, bundle);
    return run_suite(s);
}
