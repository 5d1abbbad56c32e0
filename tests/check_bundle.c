/* check_bundle.c: opening a bundle directory built from the fixtures.
 *
 * Kernel counts come from the fixture sources: kernels.cu declares 11
 * kernels (add_c, mixed, two scale<> instantiations, tma_kernel, palign,
 * huge_param, noparams, unused_param, local_kernel, smem_static);
 * cluster.cu declares 2 (cluster_kernel, ranked_kernel). */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plan/bundle.h"
#include "base/sha256.h"
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

/* ---- a file system under the test's control --------------------------------
 * The library reads every bundle file with open, fstat and read (lib/base/file.c).
 * This program links the core library statically and defines read and fstat
 * itself, so the library's calls come here first; while `fs.file` is unset
 * they go straight on to the C library's.  For the one file under test:
 *   - fs.rewrite_during_read: the first read returns only half the file;
 *     before the second, the rest of the file is overwritten with other
 *     bytes, and after it the file is put back as it was - the buffer ends
 *     up mixed while the file on disk is intact again;
 *   - fs.coarse: fstat reports the times of a file system with 1-second
 *     timestamps on which every write lands within the same second. */
static struct {
    dev_t dev;
    ino_t ino;
    int file;                 /* 1: dev and ino name the file under test */
    int rewrite_during_read;
    int coarse;
    int reads;                /* read calls on the file under test */
    char path[512];
} fs;

static int real_fstat(int fd, struct stat *st)
{
    static int (*next)(int, struct stat *);
    if (!next)
        next = (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");
    return next(fd, st);
}

static ssize_t real_read(int fd, void *buf, size_t n)
{
    static ssize_t (*next)(int, void *, size_t);
    if (!next)
        next = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    return next(fd, buf, n);
}

static int is_file_under_test(int fd)
{
    struct stat st;
    return fs.file && real_fstat(fd, &st) == 0 && st.st_dev == fs.dev && st.st_ino == fs.ino;
}

int fstat(int fd, struct stat *st)
{
    int rc = real_fstat(fd, st);
    if (rc == 0 && fs.file && fs.coarse && st->st_dev == fs.dev && st->st_ino == fs.ino) {
        st->st_mtim = (struct timespec){ 1700000000, 0 };
        st->st_ctim = st->st_mtim;
    }
    return rc;
}

/* Overwrite [at, at+len) of the file under test with `fill`, or with the
 * bytes of `from` when it is not NULL. */
static void overwrite(size_t at, size_t len, int fill, const uint8_t *from)
{
    int fd = open(fs.path, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    uint8_t *bytes = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(bytes);
    if (from)
        memcpy(bytes, from, len);
    else
        memset(bytes, fill, len);
    ck_assert_int_eq(pwrite(fd, bytes, len, (off_t)at), (ssize_t)len);
    free(bytes);
    ck_assert_int_eq(close(fd), 0);
}

static struct {
    uint8_t *bytes;
    size_t len;
} original;

ssize_t read(int fd, void *buf, size_t n)
{
    if (!fs.rewrite_during_read || !is_file_under_test(fd))
        return real_read(fd, buf, n);
    fs.reads++;
    if (fs.reads == 1)
        return real_read(fd, buf, n < original.len / 2 ? n : original.len / 2);
    size_t half = original.len / 2;
    if (fs.reads == 2)
        overwrite(half, original.len - half, 0x5a, NULL);
    ssize_t got = real_read(fd, buf, n);
    if (fs.reads == 2)
        overwrite(half, original.len - half, 0, original.bytes + half);
    return got;
}

/* Make dir/name the file under test; keep its bytes in `original`. */
static void watch_file(const char *name)
{
    struct stat st;
    snprintf(fs.path, sizeof fs.path, "%s/%s", dir, name);
    ck_assert_int_eq(stat(fs.path, &st), 0);
    fs.dev = st.st_dev;
    fs.ino = st.st_ino;
    fs.file = 1;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(fs.path, &original.bytes, &original.len, &err), 0);
}

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

/* ---- the bytes used are the bytes hashed (issue 20) ---------------------- */

/* Files opened; the messages in d. */
static size_t open_files(struct diags *d)
{
    struct ss_bundle b;
    struct ss_error err = { 0 };
    memset(d, 0, sizeof *d);
    ck_assert_msg(ss_bundle_open(dir, &b, collect, d, &err) == 0, "%s", err.message);
    size_t n = b.nfiles;
    ss_bundle_close(&b);
    return n;
}

/* sageshim once remembered hashes in $XDG_CACHE_HOME/sageshim, keyed by a
 * file's device, inode, size and times (removed, issue 20).  The tests below
 * point XDG_CACHE_HOME at a fresh directory so that they would have gone
 * through that cache, and check that nothing is written there. */
static void fresh_cache_home(char *cache, size_t len)
{
    snprintf(cache, len, "%s/cache", dir);
    setenv("XDG_CACHE_HOME", cache, 1);
}

START_TEST(file_rewritten_while_it_is_read_is_refused)
{
    struct diags d;
    char cache[512];
    make_bundle(2, NULL);
    fresh_cache_home(cache, sizeof cache);
    ck_assert_uint_eq(open_files(&d), 2);
    /* The status before the read is unchanged; the bytes read are half the
     * original and half 0x5a; the file is whole again afterwards. */
    watch_file("cluster.fatbin");
    fs.rewrite_during_read = 1;
    ck_assert_uint_eq(open_files(&d), 1);
    ck_assert_int_ge(fs.reads, 2);
    ck_assert_int_eq(d.count, 1);
    ck_assert_msg(strstr(d.message[0], "cluster.fatbin: sha256 mismatch"), "%s", d.message[0]);
    /* Nothing read the file a second time to hash it: it is intact now. */
    fs.rewrite_during_read = 0;
    ck_assert_uint_eq(open_files(&d), 2);
    ck_assert_int_ne(access(cache, F_OK), 0);
    free(original.bytes);
    remove_dir();
}
END_TEST

START_TEST(in_place_rewrite_with_coarse_timestamps_is_refused)
{
    struct diags d;
    char cache[512];
    make_bundle(2, NULL);
    fresh_cache_home(cache, sizeof cache);
    watch_file("cluster.fatbin");
    fs.coarse = 1;
    ck_assert_uint_eq(open_files(&d), 2);
    /* Same size, same device and inode, and - on a file system with
     * 1-second timestamps, within the same second - the same times. */
    overwrite(original.len / 2, 64, 0x5a, NULL);
    ck_assert_uint_eq(open_files(&d), 1);
    ck_assert_int_eq(d.count, 1);
    ck_assert_msg(strstr(d.message[0], "cluster.fatbin: sha256 mismatch"), "%s", d.message[0]);
    ck_assert_int_ne(access(cache, F_OK), 0);
    free(original.bytes);
    remove_dir();
}
END_TEST

/* A damaged MANIFEST of 1 MiB: ~70,000 bad lines, 8 of them reported and
 * one line for the rest; the good line after them is still used. */
START_TEST(manifest_problems_are_capped)
{
    char hex[65];
    make_dir();
    copy_fixture("cluster.fatbin", hex);
    size_t cap = 1024 * 1024, used = 0;
    char *text = malloc(cap + 1);
    ck_assert_ptr_nonnull(text);
    int bad = 0;
    while (used + 200 < cap) {
        used += (size_t)snprintf(text + used, cap - used, "garbage %06d\n", bad);
        bad++;
    }
    snprintf(text + used, cap - used,
             "fatbin cluster.fatbin module=x archs=90,120 kernels=2 sha256=%s\n", hex);
    write_text("MANIFEST", text);
    free(text);
    struct ss_bundle b;
    struct diags d = { 0 };
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), 0);
    ck_assert_uint_eq(b.nfiles, 1);
    ck_assert_int_eq(d.count, 9);
    ck_assert_ptr_nonnull(strstr(d.message[0], "unknown directive"));
    char more[64];
    snprintf(more, sizeof more, "%d more problems not shown", bad - 8);
    ck_assert_str_eq(d.message[8], more);
    ck_assert_ptr_nonnull(strstr(d.file[8], "MANIFEST"));
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
    tcase_add_test(tc, file_rewritten_while_it_is_read_is_refused);
    tcase_add_test(tc, in_place_rewrite_with_coarse_timestamps_is_refused);
    tcase_add_test(tc, manifest_problems_are_capped);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
