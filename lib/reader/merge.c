/* merge.c: the container handed to the driver instead of the original.
 *
 * Entries are copied as stored (header + payload, compressed or not); only
 * the 16-byte container header is written anew.  The driver walks entries
 * with `next = entry + header_size + payload_size`, so nothing may be
 * inserted between them: an entry whose stored size is not a multiple of 8
 * (never produced by nvcc) is refused rather than padded. */
#include "merge.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTAINER_HEADER_SIZE 16
#define ENTRY_HEADER_MIN 64
#define MAX_TARGETS 16
/* Two inputs of at most 1 GiB each (the file reader's bound) never exceed this. */
#define MAX_MERGED_SIZE ((size_t)2 << 30)

static void store16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void store32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void store64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int is_target(unsigned sm, const unsigned *targets, size_t ntargets)
{
    for (size_t i = 0; i < ntargets; i++)
        if (targets[i] == sm)
            return 1;
    return 0;
}

/* Check that every entry of c can be copied: it has at least an entry
 * header, lies inside the container's bytes, and keeps 8-byte alignment. */
static int check_container(const struct ss_container *c, const char *which,
                           struct ss_error *err)
{
    if (c->origin == SS_FROM_CUBIN || c->origin == SS_FROM_PTX)
        return ss_fail_nooffset(err, "%s is a bare %s, not a fatbin container", which,
                                c->origin == SS_FROM_CUBIN ? "cubin" : "PTX file");
    if (c->nentries > 0 && !c->entries)
        return ss_fail_nooffset(err, "%s has no entry table", which);
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        if (!e->bytes || e->size < ENTRY_HEADER_MIN)
            return ss_fail_nooffset(err, "%s entry %zu has no complete entry header", which, i);
        if (c->bytes) {
            uintptr_t start = (uintptr_t)c->bytes, end = start + c->size;
            uintptr_t at = (uintptr_t)e->bytes;
            if (at < start || at > end || e->size > end - at)
                return ss_fail_nooffset(err, "%s entry %zu lies outside its container", which, i);
        }
        if (e->size % 8 != 0)
            return ss_fail(err, e->offset,
                           "%s entry %zu is %zu bytes, not a multiple of 8; it cannot be copied "
                           "without breaking the entries after it", which, i, e->size);
    }
    return 0;
}

/* "sm_80, sm_120" - the architectures the replacement does have. */
static void list_archs(const struct ss_container *c, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->nentries && used < len; i++) {
        unsigned sm = c->entries[i].sm;
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= c->entries[j].sm == sm;
        if (seen)
            continue;
        int n = snprintf(buf + used, len - used, "%ssm_%u", used ? ", " : "", sm);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, len, "no entries");
}

static int add_size(size_t *total, size_t more, struct ss_error *err)
{
    if (more > MAX_MERGED_SIZE - *total)
        return ss_fail_nooffset(err, "merged container would exceed %zu bytes", MAX_MERGED_SIZE);
    *total += more;
    return 0;
}

int ss_merge(const struct ss_container *orig, const struct ss_container *repl,
             const unsigned *target_sms, size_t ntargets,
             uint8_t **out, size_t *out_len, struct ss_error *err)
{
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!orig || !repl || !out || !out_len)
        return ss_fail_nooffset(err, "merge: missing argument");
    if (!target_sms || ntargets == 0)
        return ss_fail_nooffset(err, "merge: no target architecture given");
    if (ntargets > MAX_TARGETS)
        return ss_fail_nooffset(err, "merge: %zu target architectures (at most %d)", ntargets,
                                MAX_TARGETS);
    if (check_container(orig, "original", err) < 0 ||
        check_container(repl, "replacement", err) < 0)
        return -1;

    for (size_t t = 0; t < ntargets; t++) {
        int found = 0;
        for (size_t i = 0; i < repl->nentries && !found; i++)
            found = repl->entries[i].sm == target_sms[t];
        if (!found) {
            char have[128];
            list_archs(repl, have, sizeof have);
            return ss_fail_nooffset(err, "replacement has no entry for sm_%u (it has %s)",
                                    target_sms[t], have);
        }
    }

    size_t total = CONTAINER_HEADER_SIZE;
    for (size_t i = 0; i < orig->nentries; i++)
        if (!is_target(orig->entries[i].sm, target_sms, ntargets) &&
            add_size(&total, orig->entries[i].size, err) < 0)
            return -1;
    for (size_t i = 0; i < repl->nentries; i++)
        if (is_target(repl->entries[i].sm, target_sms, ntargets) &&
            add_size(&total, repl->entries[i].size, err) < 0)
            return -1;

    /* malloc's alignment (16 on x86-64) covers the 8 the driver expects. */
    uint8_t *buf = malloc(total);
    if (!buf)
        return ss_fail_nooffset(err, "out of memory for a %zu-byte merged container", total);
    store32(buf, SS_CONTAINER_MAGIC);
    store16(buf + 4, 1);
    store16(buf + 6, CONTAINER_HEADER_SIZE);
    store64(buf + 8, (uint64_t)(total - CONTAINER_HEADER_SIZE));

    size_t at = CONTAINER_HEADER_SIZE;
    for (size_t i = 0; i < orig->nentries; i++) {
        const struct ss_entry *e = &orig->entries[i];
        if (is_target(e->sm, target_sms, ntargets))
            continue;
        memcpy(buf + at, e->bytes, e->size);
        at += e->size;
    }
    for (size_t i = 0; i < repl->nentries; i++) {
        const struct ss_entry *e = &repl->entries[i];
        if (!is_target(e->sm, target_sms, ntargets))
            continue;
        memcpy(buf + at, e->bytes, e->size);
        at += e->size;
    }
    *out = buf;
    *out_len = total;
    return 0;
}
