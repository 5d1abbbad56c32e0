/* check_bundle.c: opening a bundle directory built from the fixtures.
 *
 * Kernel counts come from the fixture sources: kernels.cu declares 11
 * kernels (add_c, mixed, two scale<> instantiations, tma_kernel, palign,
 * huge_param, noparams, unused_param, local_kernel, smem_static);
 * cluster.cu declares 2 (cluster_kernel, ranked_kernel). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "sha256.h"
#include "testutil.h"

struct diags {
    int count;
    char file[16][512];
    char message[16][768];
};

static void collect(void *ctx, const char *file, int line, const char *message)
{
    struct diags *d = ctx;
    if (d->count < 16) {
        snprintf(d->file[d->count], sizeof d->file[0], "%s", file);
        snprintf(d->message[d->count], sizeof d->message[0], "%s", message);
    }
    d->count++;
}

static char dir[256];

/* Copy a fixture into the bundle directory; returns its sha256. */
static void copy_fixture(const char *name, char hex[65])
{
    uint8_t *bytes;
    size_t len;
    struct ss_error err = { 0 };
    char path[512];
    ck_assert_msg(ss_read_file(fixture_path(name), &bytes, &len, &err) == 0, "%s", err.message);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    ss_sha256_hex(bytes, len, hex);
    free(bytes);
}

static void write_text(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_bundle.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A bundle with cluster.fatbin and kernels_size.fatbin; `cluster_kernels`
 * and `cluster_hash` let a test put wrong values in the manifest. */
static void make_bundle(unsigned cluster_kernels, const char *cluster_hash)
{
    char cluster[65], kernels[65], manifest[1024];
    make_dir();
    copy_fixture("cluster.fatbin", cluster);
    copy_fixture("kernels_size.fatbin", kernels);
    snprintf(manifest, sizeof manifest,
             "label test@1\n"
             "fatbin cluster.fatbin module=_qattn_sm90 archs=90,120 kernels=%u sha256=%s\n"
             "fatbin kernels_size.fatbin module=_qattn_sm89 archs=80,89,90,120 kernels=11 sha256=%s\n",
             cluster_kernels, cluster_hash ? cluster_hash : cluster, kernels);
    write_text("MANIFEST", manifest);
}

START_TEST(good_bundle_opens)
{
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    make_bundle(2, NULL);
    ck_assert_msg(ss_bundle_open(dir, &b, collect, &d, &err) == 0, "%s", err.message);
    ck_assert_msg(d.count == 0, "%d: %s", d.count, d.message[0]);
    ck_assert_str_eq(b.dir, dir);
    ck_assert_str_eq(b.manifest.label, "test@1");
    ck_assert_uint_eq(b.nfiles, 2);
    ck_assert_str_eq(b.files[0].item->file, "cluster.fatbin");
    ck_assert_str_eq(b.files[0].item->module, "_qattn_sm90");
    ck_assert_uint_eq(b.files[0].image.ncontainers, 1);
    ck_assert_uint_eq(b.files[0].image.containers[0].nentries, 3);
    ck_assert_str_eq(b.files[1].item->file, "kernels_size.fatbin");
    ck_assert_uint_eq(b.files[1].image.containers[0].nentries, 6);
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

START_TEST(hash_mismatch_refuses_the_file)
{
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    make_bundle(2, "00000000000000000000000000000000000000000000000000000000000000aa");
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), 0);
    ck_assert_int_eq(d.count, 1);
    ck_assert_ptr_nonnull(strstr(d.file[0], "MANIFEST"));
    ck_assert_msg(strncmp(d.message[0], "cluster.fatbin: sha256 mismatch (manifest 000000000000..., file ",
                          64) == 0, "%s", d.message[0]);
    ck_assert_uint_eq(b.nfiles, 1);
    ck_assert_str_eq(b.files[0].item->file, "kernels_size.fatbin");
    ck_assert_uint_eq(b.manifest.nitems, 2);
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

START_TEST(kernel_count_mismatch_reported)
{
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    make_bundle(3, NULL);
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), 0);
    ck_assert_int_eq(d.count, 1);
    ck_assert_str_eq(d.message[0], "cluster.fatbin: manifest says 3 kernels, the file has 2");
    ck_assert_uint_eq(b.nfiles, 2);   /* reported, still usable */
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

START_TEST(missing_file_refused)
{
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    char path[512];
    make_bundle(2, NULL);
    snprintf(path, sizeof path, "%s/cluster.fatbin", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), 0);
    ck_assert_int_eq(d.count, 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "cluster.fatbin: cannot open"));
    ck_assert_uint_eq(b.nfiles, 1);
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

START_TEST(file_that_is_not_a_fatbin_refused)
{
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    char hex[65], manifest[512];
    const char *junk = "not a fatbin at all\n";
    make_dir();
    write_text("junk.fatbin", junk);
    ss_sha256_hex(junk, strlen(junk), hex);
    snprintf(manifest, sizeof manifest,
             "fatbin junk.fatbin module=x archs=90 kernels=1 sha256=%s\n", hex);
    write_text("MANIFEST", manifest);
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), 0);
    ck_assert_int_eq(d.count, 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "junk.fatbin: not a usable fatbin"));
    ck_assert_uint_eq(b.nfiles, 0);
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

START_TEST(missing_arch_reported)
{
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    char hex[65], manifest[512];
    make_dir();
    copy_fixture("cluster.fatbin", hex);
    snprintf(manifest, sizeof manifest,
             "fatbin cluster.fatbin module=x archs=89,90 kernels=2 sha256=%s\n", hex);
    write_text("MANIFEST", manifest);
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), 0);
    ck_assert_int_eq(d.count, 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "sm_89"));
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

START_TEST(missing_manifest_is_unusable)
{
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    make_dir();
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "MANIFEST"));
    ck_assert_ptr_nonnull(strstr(err.message, "cannot open"));
    ck_assert_ptr_null(b.dir);
    ss_bundle_close(&b);   /* harmless after a failure */
    ck_assert_int_eq(ss_bundle_open("", &b, collect, &d, &err), -1);
    remove_dir();
}
END_TEST

START_TEST(bad_manifest_lines_reported_rest_used)
{
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    char hex[65], manifest[512];
    make_dir();
    copy_fixture("cluster.fatbin", hex);
    snprintf(manifest, sizeof manifest,
             "nonsense line\nfatbin cluster.fatbin module=x archs=90,120 kernels=2 sha256=%s\n",
             hex);
    write_text("MANIFEST", manifest);
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), 0);
    ck_assert_int_eq(d.count, 1);
    ck_assert_ptr_nonnull(strstr(d.message[0], "unknown directive"));
    ck_assert_uint_eq(b.nfiles, 1);
    ss_bundle_close(&b);
    remove_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bundle");
    TCase *tc = tcase_create("bundle");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, good_bundle_opens);
    tcase_add_test(tc, hash_mismatch_refuses_the_file);
    tcase_add_test(tc, kernel_count_mismatch_reported);
    tcase_add_test(tc, missing_file_refused);
    tcase_add_test(tc, file_that_is_not_a_fatbin_refused);
    tcase_add_test(tc, missing_arch_reported);
    tcase_add_test(tc, missing_manifest_is_unusable);
    tcase_add_test(tc, bad_manifest_lines_reported_rest_used);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
