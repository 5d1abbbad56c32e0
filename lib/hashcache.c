/* hashcache.c: the bundle hash cache (hashcache.h). */
#include "hashcache.h"
#include "file.h"
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_MAX_BYTES (256 * 1024)
#define CACHE_MAX_ENTRIES 1024

static int64_t nanoseconds(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void key_of(const struct stat *st, struct ss_hash_entry *e)
{
    e->dev = (uint64_t)st->st_dev;
    e->ino = (uint64_t)st->st_ino;
    e->size = (uint64_t)st->st_size;
    e->mtime_ns = nanoseconds(st->st_mtim);
    e->ctime_ns = nanoseconds(st->st_ctim);
}

static int same_key(const struct ss_hash_entry *a, const struct ss_hash_entry *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
        && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

static int cache_path(char *path, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(path, len, "%s/sageshim/bundle-hashes", xdg);
    else if (home && home[0] == '/')
        n = snprintf(path, len, "%s/.cache/sageshim/bundle-hashes", home);
    else
        return 0;
    return n > 0 && (size_t)n < len;
}

static int is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

static void parse_lines(struct ss_hash_cache *c, char *text)
{
    char *save = NULL;   /* strtok_r: the program may be in strtok on another thread */
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct ss_hash_entry e;
        char hex[80];
        if (sscanf(line, "v1 %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64 " %79s",
                   &e.dev, &e.ino, &e.size, &e.mtime_ns, &e.ctime_ns, hex) != 6
            || strlen(hex) != 64 || !is_hex64(hex))
            continue;   /* damaged: that entry is hashed again */
        memcpy(e.hex, hex, 65);
        if (c->count < CACHE_MAX_ENTRIES)
            c->entries[c->count++] = e;
    }
    c->dirty = 0;
}

void ss_hash_cache_open(struct ss_hash_cache *c, const struct ss_trust *trust)
{
    memset(c, 0, sizeof *c);
    if ((trust && trust->secure) || !cache_path(c->path, sizeof c->path))
        return;
    c->enabled = 1;
    c->entries = calloc(CACHE_MAX_ENTRIES, sizeof *c->entries);
    if (!c->entries) {
        c->enabled = 0;
        return;
    }
    struct ss_file_rules rules = { .max = CACHE_MAX_BYTES, .nofollow = 1 };
    uint8_t *text;
    size_t len;
    struct stat st;
    char why[256];
    if (ss_file_read(c->path, &rules, &text, &len, &st, why, sizeof why) < 0)
        return;
    /* Only our own, unshared file: nobody else may have written entries. */
    if (st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH)))
        parse_lines(c, (char *)text);
    free(text);
}

int ss_hash_cache_find(const struct ss_hash_cache *c, const struct stat *st, char hex[65])
{
    if (!c->enabled)
        return 0;
    struct ss_hash_entry key;
    key_of(st, &key);
    for (size_t i = 0; i < c->count; i++)
        if (same_key(&c->entries[i], &key)) {
            memcpy(hex, c->entries[i].hex, 65);
            return 1;
        }
    return 0;
}

void ss_hash_cache_add(struct ss_hash_cache *c, const struct stat *st, const char *hex)
{
    if (!c->enabled || !st || !hex)
        return;
    struct ss_hash_entry e;
    key_of(st, &e);
    snprintf(e.hex, sizeof e.hex, "%s", hex);
    /* Full: the oldest entry goes. */
    if (c->count == CACHE_MAX_ENTRIES) {
        memmove(c->entries, c->entries + 1, (c->count - 1) * sizeof *c->entries);
        c->count--;
    }
    c->entries[c->count++] = e;
    c->dirty = 1;
}

/* mkdir -p for the cache's two directories (…/.cache, …/sageshim), 0700. */
static void make_parents(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = '\0';
    char *parent = strrchr(dir, '/');
    if (parent && parent != dir) {
        *parent = '\0';
        (void)mkdir(dir, 0700);
        *parent = '/';
    }
    (void)mkdir(dir, 0700);
}

static void save(const struct ss_hash_cache *c)
{
    make_parents(c->path);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", c->path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;   /* no cache this time: only time is lost */
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return;
    }
    for (size_t i = 0; i < c->count; i++) {
        const struct ss_hash_entry *e = &c->entries[i];
        fprintf(f, "v1 %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %s\n", e->dev,
                e->ino, e->size, e->mtime_ns, e->ctime_ns, e->hex);
    }
    if (fclose(f) != 0 || rename(tmp, c->path) != 0)
        unlink(tmp);
}

void ss_hash_cache_close(struct ss_hash_cache *c)
{
    if (c->enabled && c->dirty)
        save(c);
    free(c->entries);
    memset(c, 0, sizeof *c);
}
