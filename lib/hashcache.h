/* hashcache.h: SHA-256 of bundle files, remembered across processes.
 *
 * Every process re-hashed every bundle file on its first watched load (a
 * 511 MB file: 6 s), so a launcher starting many processes paid that many
 * times.  A file's hash is kept in a small cache file, keyed by what
 * changes whenever the file's contents could have: device, inode, size,
 * mtime and ctime (ctime cannot be set back by anyone but the clock).
 *
 * Trust: the cache only saves time, it never decides.  It is used only
 * when it is a regular file owned by the effective user and writable by
 * nobody else (checked on the open descriptor), so an entry could only
 * have been forged by someone who can write the user's own files - and
 * in secure mode (setuid/setgid, trust.h) it is not used at all.
 *
 * Where: $XDG_CACHE_HOME/sageshim/bundle-hashes, else
 * $HOME/.cache/sageshim/bundle-hashes; no cache when neither is set. */
#ifndef SAGESHIM_HASHCACHE_H
#define SAGESHIM_HASHCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct ss_trust;

struct ss_hash_entry {
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
    char hex[65];
};

struct ss_hash_cache {
    int enabled;
    int dirty;
    char path[4096];
    size_t count;
    struct ss_hash_entry *entries;
};

/* Load the cache (an empty, disabled one in secure mode or without a
 * place for it). */
void ss_hash_cache_open(struct ss_hash_cache *c, const struct ss_trust *trust);
/* 1 and hex filled when the file with this status was hashed before. */
int ss_hash_cache_find(const struct ss_hash_cache *c, const struct stat *st, char hex[65]);
void ss_hash_cache_add(struct ss_hash_cache *c, const struct stat *st, const char *hex);
/* Save new entries (atomically: a temporary file renamed over), free. */
void ss_hash_cache_close(struct ss_hash_cache *c);

#endif
