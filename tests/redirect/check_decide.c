/* check_decide: the load decision (shim/decide.c and friends) without the
 * interposition half, through decide_probe (a file-based load).
 *
 * Fixtures (tests/redirect/module.mk, under $BUILD/tests/redirect/probe):
 *   site/sageattention/_qattn_sm90.fatbin  kernels.cu for sm_80,89,90,90a,120
 *   site/other/_qattn_sm90.fatbin          the same file, not watched
 *   good/     MANIFEST + kernels_fixed.fatbin (kernels.cu with -lineinfo,
 *             sm_90a + sm_120: same ABI, other bytes)
 *   abi/      MANIFEST + kernels_bad.fatbin (kernels.cu built with -DABI_ADD_LONG:
 *             add_c's `int n` became `long n`)
 *   badhash/  kernels_fixed.fatbin with a MANIFEST hash that does not match */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sageshim.h"
#include "testutil.h"

#define OUT_MAX 65536

static char probe_dir[4096];

static const char *build_dir(void)
{
    const char *b = getenv("BUILD");
    return b ? b : "build";
}

static const char *probe_file(const char *rel)
{
    static char path[4][4096];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/tests/redirect/probe/%s", build_dir(), rel);
    return p;
}

static void slurp(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Run decide_probe on `image` with the config text and devices given;
 * fills out (stdout) and log (stderr).  Returns the exit status. */
static int run_probe(const char *conf, const char *devices, const char *image, char *out,
                     char *log)
{
    char conf_path[] = "/tmp/check_decide_conf_XXXXXX";
    char out_path[] = "/tmp/check_decide_out_XXXXXX";
    char log_path[] = "/tmp/check_decide_log_XXXXXX";
    int cfd = mkstemp(conf_path), ofd = mkstemp(out_path), lfd = mkstemp(log_path);
    ck_assert(cfd >= 0 && ofd >= 0 && lfd >= 0);
    ck_assert(write(cfd, conf, strlen(conf)) == (ssize_t)strlen(conf));
    close(cfd);

    char probe[4200];
    snprintf(probe, sizeof probe, "%s/tests/redirect/decide_probe", build_dir());
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        dup2(ofd, 1);
        dup2(lfd, 2);
        unsetenv("SAGESHIM_MODE");
        unsetenv("SAGESHIM_BUNDLE");
        unsetenv("SAGESHIM_LOG");
        unsetenv("SAGESHIM_LOG_LEVEL");
        unsetenv("SAGESHIM_DRY_RUN");
        setenv("SAGESHIM_CONF", conf_path, 1);
        setenv("PROBE_DEVICES", devices, 1);
        execl(probe, probe, image, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(ofd);
    close(lfd);
    slurp(out_path, out, OUT_MAX);
    slurp(log_path, log, OUT_MAX);
    unlink(conf_path);
    unlink(out_path);
    unlink(log_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Config text watching the probe's site directory, with `extra` lines. */
static const char *conf_with(const char *bundle, const char *extra)
{
    static char text[8192];
    snprintf(text, sizeof text,
             "[sageshim]\nmodules = */probe/site/sageattention/_qattn_sm90*\n"
             "archs = sm_90, sm_120\nbundle = %s\nrepair = off\n%s",
             probe_file(bundle), extra);
    return text;
}

/* sha256 of the ELF entry for `sm` (variant as given) in a fixture file. */
static void entry_sha(const char *file, unsigned sm, enum ss_variant variant, char hex[65])
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    struct ss_container c;
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(ss_read_file(file, &bytes, &len, &err), 0);
    ck_assert_int_eq(ss_container_parse(bytes, len, &c, &err), 0);
    strcpy(hex, "missing");
    for (size_t i = 0; i < c.nentries; i++)
        if (c.entries[i].kind == SS_KIND_ELF && c.entries[i].sm == sm &&
            c.entries[i].variant == variant)
            ss_sha256_hex(c.entries[i].bytes, c.entries[i].size, hex);
    ss_container_free(&c);
    free(bytes);
    ck_assert_str_ne(hex, "missing");
}

static char *out_buf, *log_buf;

static void setup(void)
{
    out_buf = malloc(OUT_MAX);
    log_buf = malloc(OUT_MAX);
    snprintf(probe_dir, sizeof probe_dir, "%s", probe_file(""));
}

static void teardown(void)
{
    free(out_buf);
    free(log_buf);
}

static const char *watched_image(void)
{
    return probe_file("site/sageattention/_qattn_sm90.fatbin");
}

START_TEST(redirects_on_a_9_0_device)
{
    char want[65], line[128];
    entry_sha(probe_file("good/kernels_fixed.fatbin"), 90, SS_VARIANT_A, want);
    ck_assert_int_eq(run_probe(conf_with("good", ""), "9.0", watched_image(), out_buf, log_buf), 0);
    ck_assert_msg(strstr(out_buf, "use=merged"), "%s", out_buf);
    snprintf(line, sizeof line, "cc=90 sha=%s", want);
    ck_assert_msg(strstr(out_buf, line), "%s", out_buf);
    ck_assert_msg(strstr(log_buf, "redirect _qattn_sm90.fatbin (cuModuleLoad): sm_90 -> bundle "
                                  "test@probe kernels_fixed.fatbin sm_90a, 11 kernels ABI ok"),
                  "%s", log_buf);
}
END_TEST

START_TEST(keeps_the_original_without_a_target_device)
{
    ck_assert_int_eq(run_probe(conf_with("good", ""), "8.9", watched_image(), out_buf, log_buf), 0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(strstr(log_buf, "keep original _qattn_sm90.fatbin (cuModuleLoad): no device of "
                                  "archs 9.0,12.0 (devices: 8.9)"),
                  "%s", log_buf);
}
END_TEST

START_TEST(mixed_devices_keep_the_8_9_entry)
{
    char orig89[65], fixed90[65], line[128];
    entry_sha(watched_image(), 89, SS_VARIANT_PLAIN, orig89);
    entry_sha(probe_file("good/kernels_fixed.fatbin"), 90, SS_VARIANT_A, fixed90);
    ck_assert_int_eq(run_probe(conf_with("good", ""), "8.9,9.0", watched_image(), out_buf, log_buf),
                     0);
    ck_assert_msg(strstr(out_buf, "use=merged"), "%s", out_buf);
    snprintf(line, sizeof line, "cc=89 sha=%s", orig89);
    ck_assert_msg(strstr(out_buf, line), "%s", out_buf);
    snprintf(line, sizeof line, "cc=90 sha=%s", fixed90);
    ck_assert_msg(strstr(out_buf, line), "%s", out_buf);
    ck_assert_msg(strstr(log_buf, "other entries kept"), "%s", log_buf);
}
END_TEST

START_TEST(refuses_an_abi_incompatible_bundle)
{
    ck_assert_int_eq(run_probe(conf_with("abi", ""), "9.0", watched_image(), out_buf, log_buf), 0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(strstr(log_buf, "keep original _qattn_sm90.fatbin (cuModuleLoad): ABI mismatch "
                                  "in add_c: "),
                  "%s", log_buf);
    ck_assert_msg(strstr(log_buf, "4 != 8"), "%s", log_buf);
}
END_TEST

START_TEST(refuses_a_file_whose_hash_does_not_match)
{
    ck_assert_int_eq(run_probe(conf_with("badhash", ""), "9.0", watched_image(), out_buf, log_buf),
                     0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(strstr(log_buf, "keep original _qattn_sm90.fatbin (cuModuleLoad): no usable "
                                  "fatbin in the bundle"),
                  "%s", log_buf);
}
END_TEST

START_TEST(a_missing_bundle_keeps_the_original)
{
    /* No bundle installed is not an error: said at debug level only. */
    ck_assert_int_eq(run_probe(conf_with("nowhere", ""), "9.0", watched_image(), out_buf, log_buf),
                     0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(!strstr(log_buf, "keep original") && !strstr(log_buf, "no bundle"), "%s",
                  log_buf);
    ck_assert_int_eq(run_probe(conf_with("nowhere", "log_level = debug\n"), "9.0",
                               watched_image(), out_buf, log_buf),
                     0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(strstr(log_buf, "keep original _qattn_sm90.fatbin (cuModuleLoad): no bundle at "),
                  "%s", log_buf);
}
END_TEST

START_TEST(dry_run_loads_the_original)
{
    ck_assert_int_eq(run_probe(conf_with("good", "dry_run = yes\n"), "9.0", watched_image(),
                               out_buf, log_buf),
                     0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(strstr(log_buf, "would redirect _qattn_sm90.fatbin (cuModuleLoad): sm_90 -> "),
                  "%s", log_buf);
}
END_TEST

START_TEST(mode_off_decides_nothing)
{
    /* Silent at the default level, one line at debug. */
    ck_assert_int_eq(run_probe(conf_with("good", "mode = off\n"), "9.0", watched_image(), out_buf,
                               log_buf),
                     0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(!strstr(log_buf, "sageshim["), "%s", log_buf);
    ck_assert_int_eq(run_probe(conf_with("good", "mode = off\nlog_level = debug\n"), "9.0",
                               watched_image(), out_buf, log_buf),
                     0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(strstr(log_buf, "mode off: passing everything through"), "%s", log_buf);
    ck_assert_msg(!strstr(log_buf, "redirect _qattn") && !strstr(log_buf, "keep original"), "%s",
                  log_buf);
}
END_TEST

START_TEST(unwatched_modules_are_not_parsed)
{
    ck_assert_int_eq(run_probe(conf_with("good", ""), "9.0",
                               probe_file("site/other/_qattn_sm90.fatbin"), out_buf, log_buf),
                     0);
    ck_assert_msg(strstr(out_buf, "use=original"), "%s", out_buf);
    ck_assert_msg(!strstr(log_buf, "redirect _qattn") && !strstr(log_buf, "keep original"), "%s",
                  log_buf);
}
END_TEST

/* A message longer than a log line, every other byte ESC: cut to one line
 * of at most 2,048 bytes, the ESC bytes written as \x1b (under ASan a line
 * written past its buffer stops the probe). */
START_TEST(a_long_message_is_cut_and_escaped_within_one_line)
{
    ck_assert_int_eq(run_probe("[sageshim]\n", "9.0", "--log-long", out_buf, log_buf), 0);
    char *newline = strchr(log_buf, '\n');
    ck_assert_ptr_nonnull(newline);
    ck_assert_str_eq(newline + 1, "");
    ck_assert_int_le(newline + 1 - log_buf, 2048);
    ck_assert_int_gt(newline + 1 - log_buf, 2000);
    ck_assert(strncmp(log_buf, "sageshim[", 9) == 0);
    ck_assert_ptr_nonnull(strstr(log_buf, "k\\x1bk"));
    ck_assert_ptr_null(strchr(log_buf, '\x1b'));
}
END_TEST

START_TEST(start_up_line_names_mode_config_and_bundle)
{
    ck_assert_int_eq(run_probe(conf_with("good", ""), "9.0", watched_image(), out_buf, log_buf), 0);
    ck_assert_msg(strstr(log_buf, "]: mode=redirect config=/tmp/check_decide_conf_"), "%s",
                  log_buf);
    ck_assert_msg(strstr(log_buf, " bundle=") && strstr(log_buf, "/probe/good\n"), "%s", log_buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("decide");
    TCase *tc = tcase_create("decide");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, redirects_on_a_9_0_device);
    tcase_add_test(tc, keeps_the_original_without_a_target_device);
    tcase_add_test(tc, mixed_devices_keep_the_8_9_entry);
    tcase_add_test(tc, refuses_an_abi_incompatible_bundle);
    tcase_add_test(tc, refuses_a_file_whose_hash_does_not_match);
    tcase_add_test(tc, a_missing_bundle_keeps_the_original);
    tcase_add_test(tc, dry_run_loads_the_original);
    tcase_add_test(tc, mode_off_decides_nothing);
    tcase_add_test(tc, unwatched_modules_are_not_parsed);
    tcase_add_test(tc, start_up_line_names_mode_config_and_bundle);
    tcase_add_test(tc, a_long_message_is_cut_and_escaped_within_one_line);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
