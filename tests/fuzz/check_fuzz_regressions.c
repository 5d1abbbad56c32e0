/* check_fuzz_regressions: every input saved under
 * tests/fuzz/regressions/<target>/ (crashes the fuzzers once found, and a
 * few hand-made edge cases) fed to that target's entry function, so what
 * was fixed stays fixed.  A target aborts when a property fails; Check runs
 * each test in a child process and reports the signal. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_targets.h"
#include "reader/image.h"
#include "testutil.h"

struct target {
    const char *name;
    int (*input)(const uint8_t *data, size_t size);
};

static const struct target targets[] = {
    { "image", fuzz_image_input },
    { "cubin", fuzz_cubin_input },
    { "ptx", fuzz_ptx_input },
    { "config", fuzz_config_input },
    { "manifest", fuzz_manifest_input },
    { "merge", fuzz_merge_input },
    { "loaded", fuzz_loaded_input },
};

/* Feed every regular file of dir to input; returns how many were fed. */
static int replay_dir(const char *dir, int (*input)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    int fed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        uint8_t *bytes;
        size_t len;
        struct ss_error err;
        ck_assert_msg(ss_read_file(path, &bytes, &len, &err) == 0, "cannot read %s: %s",
                      path, err.message);
        /* An exact-size copy, so ASan sees reads one past the end. */
        uint8_t *exact = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(exact);
        memcpy(exact, bytes, len);
        free(bytes);
        ck_assert_msg(input(exact, len) == 0, "%s", path);
        free(exact);
        fed++;
    }
    closedir(d);
    return fed;
}

START_TEST(test_regressions_replay)
{
    const struct target *t = &targets[_i];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", FUZZ_REGRESSIONS_DIR, t->name);
    int fed = replay_dir(dir, t->input);
    ck_assert_msg(fed > 0, "no regression inputs in %s", dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuzz_regressions");
    TCase *tc = tcase_create("replay");
    /* Sanitizer builds replay large inputs slowly. */
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_regressions_replay, 0,
                        (int)(sizeof targets / sizeof targets[0]));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
