/* check_promises: never hang, never kill, never write into the host's
 * files - one test per case of issue 15 that broke the promise, each of
 * which failed before its fix.  A test that could hang runs under alarm()
 * or the harness's timeout, never longer than 10 s.
 *
 *   case 1   a FIFO in the bundle; the file reader on a FIFO
 *   case 2   SAGESHIM_LOG naming a FIFO with no reader
 *   case 3   the config file swapped for a FIFO between lookup and open
 *   case 4   stderr a pipe with no reader (SIGPIPE)
 *   case 5   the log's descriptor closed and reused by the program
 *   case 6   fork while another thread is in dlsym (the repair's lock)
 *   case 7   a small image claiming gigabytes of decompressed payloads
 *   case 10  control characters in what the log prints
 *   case 11  in-memory images whose headers claim unmapped bytes
 *   also     secure mode refuses a symlinked bundle file before reading it
 *   issue 20 a bundle file changed through a shared mapping (no time moves)
 *            is refused by every later open: no hash is remembered
 * (Cases 8 and 9 are command-line cases: tests/tools/check_tool_hostile.c.) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <linux/filter.h>
#include <linux/seccomp.h>
#endif

#include "bombs.h"
#include "harness.h"
#include "reader/image_internal.h"
#include "base/memprobe.h"
#include "sageshim.h"
#include "testutil.h"

#define WATCHED_BASE "_qattn_sm90.cpython-311-x86_64-linux-gnu.so"
#define PYINIT_MODULE "tests/hardening/pyinit/sageattention/" WATCHED_BASE
/* Longest any test here may block before SIGALRM ends it (and fails it). */
#define HANG_LIMIT_S 8

struct diags {
    char text[8192];
};

static void collect(void *ctx, const char *file, int line, const char *message)
{
    struct diags *d = ctx;
    size_t used = strlen(d->text);
    snprintf(d->text + used, sizeof d->text - used, "%s:%d: %s\n", file ? file : "?", line,
             message);
}

static void temp_dir(char *dir, size_t len)
{
    snprintf(dir, len, "%s/sageshim-promises-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static const char *bundle_config(const char *bundle_abs)
{
    static char text[PATH_MAX + 64];
    snprintf(text, sizeof text, "[sageshim]\nbundle = %s\n", bundle_abs);
    return text;
}

/* Run client_runtime on the watched module, limited to 10 s. */
static void run_watched(const char *config, const char *const *env, struct harness_result *r,
                        int prepared)
{
    const char *args[] = { harness_path(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE, NULL };
    struct harness_opts opts = { .preload = 1, .config = config, .env = env, .timeout_s = 10 };
    const char *client = harness_path("tests/shim/client_runtime");
    if (prepared)
        ck_assert_int_eq(harness_run_in(client, args, &opts, r), 0);
    else
        ck_assert_int_eq(harness_run(client, args, &opts, r), 0);
}

/* ---- case 1: FIFOs where files are read ---- */

START_TEST(file_reader_refuses_a_fifo_without_blocking)
{
    char dir[PATH_MAX], fifo[PATH_MAX + 16];
    temp_dir(dir, sizeof dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    alarm(HANG_LIMIT_S);
    uint8_t *bytes;
    size_t len;
    char why[256];
    struct ss_file_rules rules = { .max = 4096 };
    ck_assert_int_eq(ss_file_read(fifo, &rules, &bytes, &len, NULL, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "not a regular file (a FIFO)"), "%s", why);
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(fifo, &bytes, &len, &err), -1);
    ck_assert_msg(strstr(err.message, "FIFO"), "%s", err.message);
    alarm(0);
    unlink(fifo);
    rmdir(dir);
}
END_TEST

START_TEST(bundle_file_that_is_a_fifo_is_refused_without_blocking)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/fixed.fatbin", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    write_text(path, "fatbin fixed.fatbin module=_qattn_sm90 archs=90 kernels=2 sha256="
                     "0000000000000000000000000000000000000000000000000000000000000000\n");
    alarm(HANG_LIMIT_S);
    struct ss_bundle b;
    struct ss_error err = { 0 };
    struct diags d = { "" };
    ck_assert_int_eq(ss_bundle_open(dir, &b, collect, &d, &err), 0);
    alarm(0);
    ck_assert_int_eq(b.nfiles, 0);
    ck_assert_msg(strstr(d.text, "fixed.fatbin: not a regular file (a FIFO); file refused"), "%s",
                  d.text);
    ss_bundle_close(&b);
    unlink(path);
    snprintf(path, sizeof path, "%s/fixed.fatbin", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* The program goes on with its original code; the log names the FIFO. */
START_TEST(fifo_in_the_bundle_does_not_hang_the_program)
{
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/bundle", r.dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/bundle/watched_fixed.fatbin", r.dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    snprintf(path, sizeof path, "%s/bundle/MANIFEST", r.dir);
    write_text(path, "fatbin watched_fixed.fatbin module=_qattn_sm90 archs=90,120 kernels=2 "
                     "sha256=0000000000000000000000000000000000000000000000000000000000000000\n");
    snprintf(path, sizeof path, "%s/bundle", r.dir);
    run_watched(bundle_config(path), NULL, &r, 1);
    ck_assert_msg(r.status == 0, "status %d (137: hung and killed)\nlog: %s", r.status, r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "watched_fixed.fatbin: not a regular file (a FIFO)") == 1,
                  "%s", r.shim_log);
    ck_assert_msg(harness_count(r.shim_log, "keep original " WATCHED_BASE) == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* ---- case 2: the log path is a FIFO nobody reads ---- */

START_TEST(log_that_is_a_fifo_does_not_hang_the_program)
{
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char fifo[PATH_MAX], setting[PATH_MAX + 32];
    snprintf(fifo, sizeof fifo, "%s/log.fifo", r.dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    snprintf(setting, sizeof setting, "SAGESHIM_LOG=%s", fifo);
    const char *env[] = { setting, NULL };
    run_watched("", env, &r, 1);
    ck_assert_msg(r.status == 0, "status %d (137: hung and killed)\nerr: %s", r.status, r.err);
    ck_assert_msg(harness_count(r.err, "log.fifo: ") == 1 && harness_count(r.err, "; logging to stderr") == 1,
                  "%s", r.err);
    /* Later lines go to stderr (the start-up line: "no bundle" is debug only). */
    ck_assert_msg(harness_count(r.err, "]: mode=redirect") == 1, "%s", r.err);
    harness_free(&r);
}
END_TEST

/* SAGESHIM_LOG=/dev/null is how a user asks for no log (bench.sh does, in
 * diagnose mode): the null device is taken as the log, so nothing reaches
 * stderr.  Any other device is still refused. */
START_TEST(log_that_is_the_null_device_is_used)
{
    struct harness_result r;
    const char *env[] = { "SAGESHIM_LOG=/dev/null", "SAGESHIM_MODE=diagnose", NULL };
    run_watched("", env, &r, 0);
    ck_assert_msg(r.status == 0, "status %d\nerr: %s", r.status, r.err);
    ck_assert_msg(r.err[0] == '\0', "stderr: %s", r.err);
    harness_free(&r);

    const char *zero[] = { "SAGESHIM_LOG=/dev/zero", "SAGESHIM_MODE=diagnose", NULL };
    run_watched("", zero, &r, 0);
    ck_assert_msg(r.status == 0, "status %d\nerr: %s", r.status, r.err);
    ck_assert_msg(harness_count(r.err, "cannot open log /dev/zero: not a regular file") == 1, "%s",
                  r.err);
    ck_assert_msg(harness_count(r.err, "]: launch dev=0 " HARNESS_KERNEL_SCALE " ") == 1, "%s", r.err);
    harness_free(&r);
}
END_TEST

/* ---- case 3: the config swapped for a FIFO while it is being found ---- */

/* The config path and a FIFO beside it trade places as fast as the
 * kernel allows (one atomic renameat2 each time), so a lookup that checks
 * the type by path and then opens finds a FIFO at the open almost at once. */
struct swapper {
    char path[PATH_MAX + 32], fifo[PATH_MAX + 32];
    atomic_int stop;
};

static void *keep_swapping(void *arg)
{
    struct swapper *s = arg;
    while (!atomic_load(&s->stop))
        renameat2(AT_FDCWD, s->fifo, AT_FDCWD, s->path, RENAME_EXCHANGE);
    return NULL;
}

static struct swapper *current_swapper;

static const char *swapped_getenv(const char *name)
{
    return strcmp(name, "SAGESHIM_CONF") == 0 ? current_swapper->path : NULL;
}

START_TEST(config_swapped_for_a_fifo_never_blocks)
{
    char dir[PATH_MAX];
    temp_dir(dir, sizeof dir);
    static struct swapper s;
    memset(&s, 0, sizeof s);
    snprintf(s.path, sizeof s.path, "%s/sageshim.conf", dir);
    snprintf(s.fifo, sizeof s.fifo, "%s/other", dir);
    write_text(s.path, "[sageshim]\nmode = diagnose\n");
    ck_assert_int_eq(mkfifo(s.fifo, 0600), 0);
    current_swapper = &s;
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, keep_swapping, &s), 0);
    /* Before the fix one of the first few hundred loads blocked for good. */
    alarm(HANG_LIMIT_S);
    int read_ok = 0, refused = 0;
    time_t end = time(NULL) + 3;
    for (int i = 0; i < 20000 && time(NULL) < end; i++) {
        struct ss_config cfg;
        struct diags d = { "" };
        ss_config_load(&cfg, NULL, swapped_getenv, collect, &d);
        if (cfg.mode == SS_MODE_DIAGNOSE)
            read_ok++;
        if (strstr(d.text, "not a regular file"))
            refused++;
        ss_config_free(&cfg);
    }
    alarm(0);
    atomic_store(&s.stop, 1);
    pthread_join(thread, NULL);
    /* Both outcomes happened: the loads really raced the swaps. */
    ck_assert_int_gt(read_ok, 0);
    ck_assert_int_gt(refused, 0);
    unlink(s.path);
    unlink(s.fifo);
    rmdir(dir);
}
END_TEST

/* ---- case 4: stderr is a pipe with no reader ---- */

START_TEST(dead_stderr_pipe_does_not_kill_the_program)
{
    struct harness_result r;
    /* The client execs itself as a program that only exits; at debug level
     * every process writes its start-up line at once (issue 14), so the
     * second one writes to the dead pipe before main(). */
    const char *client = harness_path("tests/hardening/client_dead_stderr");
    const char *args[] = { client, "--exit0", NULL };
    const char *env[] = { "SAGESHIM_LOG=stderr", "SAGESHIM_MODE=redirect",
                          "SAGESHIM_LOG_LEVEL=debug", NULL };
    struct harness_opts opts = { .preload = 1, .config = "", .env = env, .timeout_s = 10 };
    ck_assert_int_eq(harness_run(client, args, &opts, &r), 0);
    /* 141 = 128 + SIGPIPE: killed by the start-up line. */
    ck_assert_msg(r.status == 0, "status %d", r.status);
    harness_free(&r);
}
END_TEST

/* ---- case 5: the log's descriptor number reused by the program ---- */

START_TEST(reused_log_descriptor_is_not_written)
{
    struct harness_result r;
    ck_assert_int_eq(harness_prepare(&r), 0);
    char data[PATH_MAX], abs[PATH_MAX];
    snprintf(data, sizeof data, "%s/data.txt", r.dir);
    ck_assert_ptr_nonnull(realpath(harness_path("tests/hardening/bundle"), abs));
    const char *args[] = { data, harness_path(HARNESS_WATCHED_MODULE), HARNESS_KERNEL_SCALE, NULL };
    struct harness_opts opts = { .preload = 1, .config = bundle_config(abs), .timeout_s = 10 };
    ck_assert_int_eq(harness_run_in(harness_path("tests/hardening/client_fd_reuse"), args, &opts, &r), 0);
    ck_assert_msg(r.status == 0, "status %d\nout: %s\nlog: %s", r.status, r.out, r.shim_log);
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(data, &bytes, &len, &err), 0);
    ck_assert_msg(len == 13 && memcmp(bytes, "first\nsecond\n", 13) == 0,
                  "the program's file holds:\n%.*s", (int)len, (const char *)bytes);
    free(bytes);
    /* The log file was opened again by its path: the lines are there. */
    ck_assert_msg(harness_count(r.shim_log, "redirect " WATCHED_BASE) == 1, "%s", r.shim_log);
    harness_free(&r);
}
END_TEST

/* ---- case 6: fork while another thread holds the repair's lock ---- */

START_TEST(fork_during_dlsym_does_not_deadlock_the_child)
{
    struct harness_result r;
    const char *args[] = { harness_path(PYINIT_MODULE), NULL };
    struct harness_opts opts = { .preload = 1, .config = "", .timeout_s = 10 };
    ck_assert_int_eq(harness_run(harness_path("tests/hardening/client_fork_dlsym"), args, &opts, &r), 0);
    ck_assert_msg(r.status == 0 && strcmp(r.out, "ok\n") == 0, "status %d\nout: %s", r.status, r.out);
    harness_free(&r);
}
END_TEST

/* ---- case 7: decompression budget ---- */

START_TEST(decompression_stops_at_the_image_budget)
{
    size_t len = 0;
    uint8_t *bomb = bomb_container(8, &len);
    ck_assert_ptr_nonnull(bomb);
    ck_assert_int_lt(len, 80 * 1024);          /* 8 x 256 MiB claimed in < 80 KiB */
    struct ss_image img;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_image_parse(bomb, len, &img, &err), 0);
    ck_assert_int_eq(img.ncontainers, 1);
    uint64_t decompressed = 0;
    size_t left = 0;
    for (size_t e = 0; e < img.containers[0].nentries; e++) {
        const struct ss_entry *entry = &img.containers[0].entries[e];
        if (entry->data && entry->data_owned)
            decompressed += entry->data_len;
        else if (strstr(entry->note, "decompression budget"))
            left++;
    }
    ck_assert_uint_le(decompressed, SS_MAX_IMAGE_DECOMPRESSED);
    ck_assert_uint_eq(left, 8 - SS_MAX_IMAGE_DECOMPRESSED / (256u << 20));
    int noted = 0;
    for (size_t i = 0; i < img.nnotes; i++)
        noted += strstr(img.notes[i], "image's decompression budget of 512 MiB") != NULL;
    ck_assert_int_eq(noted, (int)left);
    ss_image_free(&img);
    free(bomb);
}
END_TEST

START_TEST(decompression_stops_at_the_command_budget)
{
    /* What the tools set in main, smaller: the second entry passes it. */
    ss_decompress_set_command_budget(300u << 20);
    size_t len = 0;
    uint8_t *bomb = bomb_container(2, &len);
    ck_assert_ptr_nonnull(bomb);
    struct ss_image img;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_image_parse(bomb, len, &img, &err), 0);
    ck_assert_ptr_nonnull(img.containers[0].entries[0].data);
    ck_assert_ptr_null(img.containers[0].entries[1].data);
    ck_assert_msg(strstr(img.containers[0].entries[1].note,
                         "the command's decompression budget of 300 MiB (256 MiB used)"),
                  "%s", img.containers[0].entries[1].note);
    ss_image_free(&img);
    free(bomb);
}
END_TEST

/* ---- case 10: control characters in the log ---- */

START_TEST(escape_sequences_in_a_log_path_are_shown_escaped)
{
    struct harness_result r;
    const char *env[] = { "SAGESHIM_LOG=/nonexistent/\033[2J\033]0;pwned\007/x.log", NULL };
    run_watched("", env, &r, 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strchr(r.err, '\033') == NULL && strchr(r.err, '\007') == NULL, "%s", r.err);
    ck_assert_msg(harness_count(r.err, "cannot open log /nonexistent/\\x1b[2J\\x1b]0;pwned\\x07/x.log") == 1,
                  "%s", r.err);
    harness_free(&r);
}
END_TEST

START_TEST(printable_escapes_controls_and_invalid_utf8_only)
{
    char out[256];
    const char in[] = "a\033[31mb\tc\nd\x7f" "e\xc2\x9b" "f\xff" "g\xc3\xa9h\\";
    size_t n = ss_printable(out, sizeof out, in, sizeof in - 1);
    ck_assert_str_eq(out, "a\\x1b[31mb\\x09c\\x0ad\\x7fe\\xc2\\x9bf\\xffg\xc3\xa9h\\");
    ck_assert_uint_eq(n, strlen(out));
    /* Cut to fit, never in the middle of an escape; always terminated. */
    n = ss_printable(out, 6, "ab\033cd", 5);
    ck_assert_str_eq(out, "ab");
    ck_assert_uint_eq(n, 2);
    /* Plain text is copied a run at a time: cut the same way. */
    n = ss_printable(out, 4, "abcdef", 6);
    ck_assert_str_eq(out, "abc");
    ck_assert_uint_eq(n, 3);
    n = ss_printable(out, 7, "abcdef", 6);
    ck_assert_str_eq(out, "abcdef");
    ck_assert_uint_eq(n, 6);
    n = ss_printable(out, sizeof out, "ab\x7f" "cd\x1f" "e", 7);
    ck_assert_str_eq(out, "ab\\x7fcd\\x1fe");
    ss_printable_keep(out, sizeof out, "x\ny\tz\033", 6, "\n\t");
    ck_assert_str_eq(out, "x\ny\tz\\x1b");
}
END_TEST

/* ---- case 11: in-memory images whose sizes run past their mapping ---- */

/* Two pages: the first readable, the second not.  `at_end` bytes are
 * copied to the end of the first page; returns where they start. */
static uint8_t *before_a_hole(const void *bytes, size_t at_end, uint8_t **base)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    ck_assert_int_eq(mprotect(p + page, page, PROT_NONE), 0);
    memcpy(p + page - at_end, bytes, at_end);
    *base = p;
    return p + page - at_end;
}

static void release_hole(uint8_t *base)
{
    munmap(base, 2 * (size_t)sysconf(_SC_PAGESIZE));
}

START_TEST(readable_extent_stops_at_the_hole)
{
    uint8_t *base;
    uint8_t *p = before_a_hole("abcdefgh", 8, &base);
    ck_assert_uint_eq(ss_readable_extent(p, 8), 8);
    ck_assert_uint_eq(ss_readable_extent(p, 4096), 8);
    ck_assert_uint_eq(ss_readable_extent(p + 8, 1), 0);
    ck_assert_uint_eq(ss_readable_extent(NULL, 16), 0);
    release_hole(base);
}
END_TEST

#if defined(__x86_64__)
/* Where seccomp forbids process_vm_readv (some container runtimes), the
 * probe falls back to writing each page's first byte into a pipe.  The
 * filter is installed in this test's own process (Check forks one per
 * test); x86-64 only, where the system call numbers below are the host's
 * (under qemu-user they would not be). */
START_TEST(readable_extent_without_process_vm_readv)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = { sizeof filter / sizeof *filter, filter };
    ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    ck_assert_int_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program), 0);
    char byte;
    struct iovec local = { &byte, 1 }, remote = { &byte, 1 };
    ck_assert_int_eq(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), -1);
    ck_assert_int_eq(errno, EPERM);
    uint8_t *base;
    uint8_t *p = before_a_hole("abcdefgh", 8, &base);
    ck_assert_uint_eq(ss_readable_extent(p, 8), 8);
    ck_assert_uint_eq(ss_readable_extent(p, 4096), 8);
    ck_assert_uint_eq(ss_readable_extent(p + 8, 1), 0);
    release_hole(base);
}
END_TEST
#endif

START_TEST(container_claiming_unmapped_bytes_is_refused)
{
    /* A container header whose fat_size runs 64 MiB into the hole, followed
     * by zero bytes the old reader took for padding. */
    uint8_t image[256] = { 0 };
    bomb_put32(image, SS_CONTAINER_MAGIC);
    bomb_put16(image + 4, 1);
    bomb_put16(image + 6, 16);
    bomb_put64(image + 8, 64u << 20);
    uint8_t *base;
    uint8_t *p = before_a_hole(image, sizeof image, &base);
    struct ss_image img;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_image_parse_loaded(p, &img, &err), -1);
    ck_assert_msg(strstr(err.message, "claims 67108880 bytes, more than are mapped and readable"), "%s", err.message);
    ck_assert_uint_eq(ss_image_measure(p), 0);
    /* The same container behind a wrapper. */
    uint8_t wrapper[24] = { 0 };
    bomb_put32(wrapper, SS_WRAPPER_MAGIC);
    bomb_put32(wrapper + 4, 1);
    memcpy(wrapper + 8, &p, sizeof p);
    ck_assert_int_eq(ss_image_parse_loaded(wrapper, &img, &err), -1);
    ck_assert_msg(strstr(err.message, "mapped and readable"), "%s", err.message);
    /* A wrapper whose data pointer is the hole itself. */
    uint8_t *hole = base + sysconf(_SC_PAGESIZE);
    memcpy(wrapper + 8, &hole, sizeof hole);
    ck_assert_int_eq(ss_image_parse_loaded(wrapper, &img, &err), -1);
    ck_assert_msg(strstr(err.message, "not readable"), "%s", err.message);
    release_hole(base);
}
END_TEST

START_TEST(text_and_elf_running_into_the_hole_are_refused)
{
    uint8_t *base;
    char text[64];
    memset(text, 'x', sizeof text);
    memcpy(text, "// PTX without a NUL ", 21);
    uint8_t *p = before_a_hole(text, sizeof text, &base);
    struct ss_image img;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_image_parse_loaded(p, &img, &err), -1);
    ck_assert_msg(strstr(err.message, "not NUL-terminated"), "%s", err.message);
    release_hole(base);

    /* An ELF header whose section header table lies in the hole. */
    uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    bomb_put16(elf + 18, 190);               /* EM_CUDA */
    bomb_put64(elf + 0x28, 4096);            /* e_shoff */
    bomb_put16(elf + 0x3a, 64);              /* e_shentsize */
    bomb_put16(elf + 0x3c, 4);               /* e_shnum */
    p = before_a_hole(elf, sizeof elf, &base);
    ck_assert_int_eq(ss_image_parse_loaded(p, &img, &err), -1);
    ck_assert_msg(strstr(err.message, "mapped and readable"), "%s", err.message);
    release_hole(base);
}
END_TEST

/* ---- secure mode: a bundle file symlinked elsewhere ---- */

START_TEST(secure_mode_refuses_a_symlinked_bundle_file_before_reading)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], target[PATH_MAX + 32];
    temp_dir(dir, sizeof dir);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    /* The target is trusted by owner and mode: only the link is wrong. */
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    write_text(target, "secret\n");
    ck_assert_int_eq(chmod(target, 0600), 0);
    snprintf(path, sizeof path, "%s/fixed.fatbin", dir);
    ck_assert_int_eq(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    write_text(path, "fatbin fixed.fatbin module=_qattn_sm90 archs=90 kernels=2 sha256="
                     "0000000000000000000000000000000000000000000000000000000000000000\n");
    ck_assert_int_eq(chmod(path, 0644), 0);
    struct ss_trust trust = { .secure = 1, .uid = getuid() };
    struct ss_bundle b;
    struct ss_error err = { 0 };
    struct diags d = { "" };
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, &trust, collect, &d, &err), 0);
    ck_assert_int_eq(b.nfiles, 0);
    ck_assert_msg(strstr(d.text, "fixed.fatbin: refused in a setuid/setgid program: a symbolic link"),
                  "%s", d.text);
    /* Refused before reading: no hash of the target was computed. */
    ck_assert_msg(strstr(d.text, "sha256") == NULL, "%s", d.text);
    ss_bundle_close(&b);
    unlink(path);
    snprintf(path, sizeof path, "%s/fixed.fatbin", dir);
    unlink(path);
    unlink(target);
    rmdir(dir);
}
END_TEST

/* ---- the bytes used are the bytes hashed, in every process (issue 20) ---- */

static void copy_file(const char *from, const char *to, mode_t mode)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_int_eq(ss_read_file(from, &bytes, &len, &err), 0);
    FILE *f = fopen(to, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(to, mode), 0);
    free(bytes);
}

static size_t open_count(const char *dir, const struct ss_trust *trust, struct diags *d)
{
    struct ss_bundle b;
    struct ss_error err = { 0 };
    d->text[0] = '\0';
    ck_assert_int_eq(ss_bundle_open_trusted(dir, &b, trust, collect, d, &err), 0);
    size_t n = b.nfiles;
    ss_bundle_close(&b);
    return n;
}

/* A write through a shared mapping to a page already written changes no
 * time of the file (the kernel updates them when a clean page is first
 * written), so size, inode and times all stay: the old hash cache, keyed on
 * them, kept accepting the changed bytes in every later process.
 * XDG_CACHE_HOME points where that cache would have been kept. */
START_TEST(bundle_file_changed_through_a_shared_mapping_is_refused)
{
    char dir[PATH_MAX], bundle[PATH_MAX + 16], file[PATH_MAX + 64], cache[PATH_MAX + 64];
    char from[PATH_MAX + 64];
    temp_dir(dir, sizeof dir);
    setenv("XDG_CACHE_HOME", dir, 1);
    snprintf(cache, sizeof cache, "%s/sageshim", dir);
    snprintf(bundle, sizeof bundle, "%s/b", dir);
    ck_assert_int_eq(mkdir(bundle, 0755), 0);
    const char *names[] = { "MANIFEST", "watched_fixed.fatbin" };
    for (int i = 0; i < 2; i++) {
        snprintf(from, sizeof from, "tests/hardening/bundle/%s", names[i]);
        snprintf(file, sizeof file, "%s/%s", bundle, names[i]);
        copy_file(harness_path(from), file, 0644);
    }
    struct stat before, after;
    int fd = open(file, O_RDWR | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &before), 0);
    ck_assert_int_gt(before.st_size, 4096);
    volatile uint8_t *map = mmap(NULL, (size_t)before.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                                 fd, 0);
    ck_assert(map != MAP_FAILED);
    size_t at = (size_t)before.st_size / 2;
    uint8_t byte = map[at];
    map[at] = byte;                  /* the page is written: times updated now */
    struct diags d;
    ck_assert_uint_eq(open_count(bundle, NULL, &d), 1);
    ck_assert_int_eq(fstat(fd, &before), 0);
    map[at] = (uint8_t)(byte ^ 0xff);
    ck_assert_int_eq(fstat(fd, &after), 0);
    ck_assert_uint_eq(open_count(bundle, NULL, &d), 0);
    ck_assert_msg(strstr(d.text, "watched_fixed.fatbin: sha256 mismatch"), "%s", d.text);
    /* The same in secure mode, and for every later open. */
    struct ss_trust secure = { .secure = 1, .uid = getuid() };
    ck_assert_uint_eq(open_count(bundle, &secure, &d), 0);
    ck_assert_uint_eq(open_count(bundle, NULL, &d), 0);
    /* Whether or not the times moved (they do not on Linux), nothing was
     * kept between opens. */
    if (before.st_mtim.tv_sec != after.st_mtim.tv_sec
        || before.st_mtim.tv_nsec != after.st_mtim.tv_nsec)
        fprintf(stderr, "note: the mapped write moved the file's mtime\n");
    ck_assert_int_ne(access(cache, F_OK), 0);
    map[at] = byte;
    ck_assert_uint_eq(open_count(bundle, NULL, &d), 1);
    ck_assert_int_eq(munmap((void *)map, (size_t)after.st_size), 0);
    close(fd);
    unsetenv("XDG_CACHE_HOME");
    for (int i = 0; i < 2; i++) {
        snprintf(file, sizeof file, "%s/%s", bundle, names[i]);
        unlink(file);
    }
    rmdir(bundle);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("promises");
    TCase *hang = tcase_create("never_hang");
    tcase_set_timeout(hang, 30);
    tcase_add_test(hang, file_reader_refuses_a_fifo_without_blocking);
    tcase_add_test(hang, bundle_file_that_is_a_fifo_is_refused_without_blocking);
    tcase_add_test(hang, fifo_in_the_bundle_does_not_hang_the_program);
    tcase_add_test(hang, log_that_is_a_fifo_does_not_hang_the_program);
    tcase_add_test(hang, log_that_is_the_null_device_is_used);
    tcase_add_test(hang, config_swapped_for_a_fifo_never_blocks);
    tcase_add_test(hang, fork_during_dlsym_does_not_deadlock_the_child);
    suite_add_tcase(s, hang);

    TCase *kill_write = tcase_create("never_kill_or_write");
    tcase_set_timeout(kill_write, 30);
    tcase_add_test(kill_write, dead_stderr_pipe_does_not_kill_the_program);
    tcase_add_test(kill_write, reused_log_descriptor_is_not_written);
    tcase_add_test(kill_write, escape_sequences_in_a_log_path_are_shown_escaped);
    tcase_add_test(kill_write, printable_escapes_controls_and_invalid_utf8_only);
    suite_add_tcase(s, kill_write);

    TCase *bounds = tcase_create("bounded");
    tcase_set_timeout(bounds, 60);
    tcase_add_test(bounds, decompression_stops_at_the_image_budget);
    tcase_add_test(bounds, decompression_stops_at_the_command_budget);
    tcase_add_test(bounds, readable_extent_stops_at_the_hole);
#if defined(__x86_64__)
    tcase_add_test(bounds, readable_extent_without_process_vm_readv);
#endif
    tcase_add_test(bounds, container_claiming_unmapped_bytes_is_refused);
    tcase_add_test(bounds, text_and_elf_running_into_the_hole_are_refused);
    tcase_add_test(bounds, secure_mode_refuses_a_symlinked_bundle_file_before_reading);
    tcase_add_test(bounds, bundle_file_changed_through_a_shared_mapping_is_refused);
    suite_add_tcase(s, bounds);
    return run_suite(s);
}
