/* harness.c: see harness.h. */
#include "harness.h"

#include <check.h>

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CAPTURE (16u * 1024 * 1024)
#define MAX_ARGS 64

static const char *const run_files[] = {"stdout", "stderr", "fake.log", "shim.log",
                                        "sageshim.conf"};

const char *harness_path(const char *relative)
{
    static char buffers[16][4096];
    static unsigned next;
    char *buf = buffers[next++ % 16];
    const char *build = getenv("BUILD");
    snprintf(buf, sizeof buffers[0], "%s/%s", build && *build ? build : "build", relative);
    return buf;
}

static void file_in(const struct harness_result *r, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", r->dir, name);
}

/* The whole file as a string ("" when missing). */
static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        text = malloc(MAX_CAPTURE + 1);
        if (text)
            len = fread(text, 1, MAX_CAPTURE, f);
        fclose(f);
    }
    if (!text)
        text = malloc(1);
    if (text)
        text[len] = '\0';
    return text;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Config text with every %DIR% replaced by the run's directory. */
static int write_config(const struct harness_result *r, const char *text)
{
    char path[512];
    file_in(r, "sageshim.conf", path, sizeof path);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (const char *p = text ? text : ""; *p;) {
        if (strncmp(p, "%DIR%", 5) == 0) {
            fputs(r->dir, f);
            p += 5;
        } else {
            fputc(*p++, f);
        }
    }
    return fclose(f);
}

/* When this test runs under ASan or TSan, the sanitizer runtime must come
 * first in the child's library list, ahead of the preloaded (instrumented)
 * shim. */
static int find_asan(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    if (info->dlpi_name &&
        (strstr(info->dlpi_name, "libasan.so") || strstr(info->dlpi_name, "libtsan.so"))) {
        snprintf(data, 4096, "%s", info->dlpi_name);
        return 1;
    }
    return 0;
}

/* SS_LIBRARY: an installed library instead of the build's (the wheel check,
 * tests/packaging/wheel-check.sh, runs suites against the installed copy). */
static void set_preload(const char *library)
{
    char asan[4096] = "";
    char value[8192];
    const char *installed = getenv("SS_LIBRARY");
    dl_iterate_phdr(find_asan, asan);
    snprintf(value, sizeof value, "%s%s%s", asan, *asan ? ":" : "",
             library ? library
             : installed && *installed ? installed
                                       : harness_path("libsageshim.so"));
    setenv("LD_PRELOAD", value, 1);
}

static int is_scrubbed(const char *entry)
{
    return strncmp(entry, "SAGESHIM_", 9) == 0 || strncmp(entry, "FAKECUDA_", 9) == 0 ||
           strncmp(entry, "LD_PRELOAD=", 11) == 0;
}

/* In the child: the environment of harness.h, then exec. */
static void child(const char *program, const char *const *args,
                  const struct harness_opts *opts, const struct harness_result *r)
{
    char path[512];
    for (int again = 1; again;) {
        again = 0;
        for (char **e = environ; *e; e++) {
            if (!is_scrubbed(*e))
                continue;
            char name[256];
            size_t n = strcspn(*e, "=");
            snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1),
                     *e);
            unsetenv(name);
            again = 1;
            break;
        }
    }
    setenv("LD_LIBRARY_PATH", harness_path("tests/shim/fake"), 1);
    file_in(r, "fake.log", path, sizeof path);
    setenv("FAKECUDA_LOG", path, 1);
    file_in(r, "shim.log", path, sizeof path);
    setenv("SAGESHIM_LOG", path, 1);
    file_in(r, "sageshim.conf", path, sizeof path);
    setenv("SAGESHIM_CONF", path, 1);
    if (opts && opts->preload)
        set_preload(opts->library);
    for (const char *const *e = opts && opts->env ? opts->env : NULL; e && *e; e++)
        putenv((char *)*e);

    file_in(r, "stdout", path, sizeof path);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    file_in(r, "stderr", path, sizeof path);
    int err = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0)
        _exit(126);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);

    char *argv[MAX_ARGS + 2];
    int n = 0;
    argv[n++] = (char *)program;
    for (const char *const *a = args; a && *a && n <= MAX_ARGS; a++)
        argv[n++] = (char *)*a;
    argv[n] = NULL;
    execv(program, argv);
    fprintf(stderr, "harness: cannot run %s: %s\n", program, strerror(errno));
    _exit(127);
}

static int wait_for(pid_t pid, int timeout_s)
{
    struct timespec pause = {0, 5 * 1000 * 1000};
    long waited_ms = 0;
    for (;;) {
        int status;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (done < 0 && errno != EINTR)
            return -1;
        if (waited_ms >= timeout_s * 1000L) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return 128 + SIGKILL;
        }
        nanosleep(&pause, NULL);
        waited_ms += 5;
    }
}

int harness_prepare(struct harness_result *r)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(r->dir, sizeof r->dir, "%s/sageshim-harness-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->dir)) {
        r->dir[0] = '\0';
        return -1;
    }
    return 0;
}

int harness_run_in(const char *program, const char *const *args,
                   const struct harness_opts *opts, struct harness_result *r)
{
    char path[512];
    int ran = -1;
    if (r->dir[0] && write_config(r, opts ? opts->config : NULL) == 0) {
        file_in(r, "fake.log", path, sizeof path);
        write_text(path, "");
        file_in(r, "shim.log", path, sizeof path);
        write_text(path, "");
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            child(program, args, opts, r);
        if (pid > 0) {
            r->status = wait_for(pid, opts && opts->timeout_s > 0 ? opts->timeout_s : 60);
            ran = r->status >= 0 && r->status != 127 ? 0 : -1;
        }
    }
    const char *names[] = {"stdout", "stderr", "fake.log", "shim.log"};
    char **fields[] = {&r->out, &r->err, &r->fake_log, &r->shim_log};
    for (int i = 0; i < 4; i++) {
        free(*fields[i]);
        file_in(r, names[i], path, sizeof path);
        *fields[i] = slurp(path);
    }
    return ran;
}

int harness_run(const char *program, const char *const *args,
                const struct harness_opts *opts, struct harness_result *r)
{
    harness_prepare(r);
    return harness_run_in(program, args, opts, r);
}

void harness_free(struct harness_result *r)
{
    free(r->out);
    free(r->err);
    free(r->fake_log);
    free(r->shim_log);
    r->out = r->err = r->fake_log = r->shim_log = NULL;
    if (r->dir[0]) {
        char path[512];
        for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
            file_in(r, run_files[i], path, sizeof path);
            unlink(path);
        }
        /* Files a test put there itself are left alone; rmdir then fails. */
        rmdir(r->dir);
        r->dir[0] = '\0';
    }
}

int harness_count(const char *text, const char *substring)
{
    int count = 0;
    size_t want = strlen(substring);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        for (size_t i = 0; i + want <= len; i++)
            if (memcmp(line + i, substring, want) == 0) {
                count++;
                break;
            }
        line = end ? end + 1 : line + len;
    }
    return count;
}

int harness_count_prefix(const char *text, const char *prefix)
{
    int count = 0;
    size_t want = strlen(prefix);
    for (const char *line = text; line && *line;) {
        count += strncmp(line, prefix, want) == 0;
        const char *end = strchr(line, '\n');
        line = end ? end + 1 : NULL;
    }
    return count;
}

const char *harness_line(const char *text, const char *substring, int n, char *buf,
                         size_t len)
{
    int at_start = substring[0] == '\n';
    if (at_start)
        substring++;
    size_t want = strlen(substring);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t line_len = end ? (size_t)(end - line) : strlen(line);
        for (size_t i = 0; i + want <= line_len && (!at_start || i == 0); i++)
            if (memcmp(line + i, substring, want) == 0) {
                if (n-- == 0) {
                    snprintf(buf, len, "%.*s", (int)line_len, line);
                    return buf;
                }
                break;
            }
        line = end ? end + 1 : line + line_len;
    }
    return NULL;
}

const char *harness_field(const char *line, const char *key, char *buf, size_t len)
{
    size_t klen = strlen(key);
    for (const char *p = line; p && *p; p++) {
        int at_word = p == line || p[-1] == ' ';
        if (at_word && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *value = p + klen + 1;
            size_t vlen = strcspn(value, " \n");
            snprintf(buf, len, "%.*s", (int)vlen, value);
            return buf;
        }
    }
    return NULL;
}

void harness_file_sha(const char *relative, char hex[65])
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    ck_assert_msg(ss_read_file(harness_path(relative), &bytes, &len, &err) == 0,
                  "cannot read %s", relative);
    ss_sha256_hex(bytes, len, hex);
    free(bytes);
}

void harness_entry_sha(const char *relative, unsigned sm, enum ss_variant variant,
                       char hex[65])
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    struct ss_container c;
    memset(&c, 0, sizeof c);
    ck_assert_msg(ss_read_file(harness_path(relative), &bytes, &len, &err) == 0,
                  "cannot read %s", relative);
    ck_assert_msg(ss_container_parse(bytes, len, &c, &err) == 0, "%s does not parse",
                  relative);
    strcpy(hex, "missing");
    for (size_t i = 0; i < c.nentries; i++)
        if (c.entries[i].kind == SS_KIND_ELF && c.entries[i].sm == sm &&
            c.entries[i].variant == variant)
            ss_sha256_hex(c.entries[i].bytes, c.entries[i].size, hex);
    ss_container_free(&c);
    free(bytes);
    ck_assert_msg(strcmp(hex, "missing") != 0, "%s has no entry for sm_%u", relative, sm);
}
