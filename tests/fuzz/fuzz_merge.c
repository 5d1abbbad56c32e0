/* fuzz_merge.c: the merged-image builder.  The input is split into an
 * original and a replacement container - at the second container magic on
 * an 8-byte boundary (so `cat a.fatbin b.fatbin` is a seed), else in the
 * middle - both are parsed, and ss_merge runs for sm_90 and sm_90 + sm_120.
 * A merge that succeeds must give a container that parses again with the
 * expected number of entries. */
#include <stdlib.h>

#include "fuzz_targets.h"
#include "reader/merge.h"

static size_t split_point(const uint8_t *data, size_t size)
{
    static const uint8_t magic[4] = { 0x50, 0xed, 0x55, 0xba };  /* SS_CONTAINER_MAGIC, LE */
    for (size_t at = 8; at + 4 <= size; at += 8)
        if (data[at] == magic[0] && data[at + 1] == magic[1] &&
            data[at + 2] == magic[2] && data[at + 3] == magic[3])
            return at;
    return size / 2;
}

static size_t count_entries(const struct ss_container *c, const unsigned *targets,
                            size_t ntargets, int want_target)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nentries; i++) {
        int is_target = 0;
        for (size_t t = 0; t < ntargets; t++)
            is_target |= c->entries[i].sm == targets[t];
        n += is_target == want_target;
    }
    return n;
}

static void merge_and_check(const struct ss_container *orig, const struct ss_container *repl,
                            const unsigned *targets, size_t ntargets)
{
    uint8_t *out;
    size_t out_len;
    struct ss_error err;
    if (ss_merge(orig, repl, targets, ntargets, &out, &out_len, &err) < 0)
        return;
    struct ss_container merged;
    if (ss_container_parse(out, out_len, &merged, &err) < 0)
        abort();
    size_t expected = count_entries(orig, targets, ntargets, 0) +
                      count_entries(repl, targets, ntargets, 1);
    if (merged.nentries != expected)
        abort();
    ss_container_free(&merged);
    free(out);
}

int fuzz_merge_input(const uint8_t *data, size_t size)
{
    static const unsigned hopper[] = { 90 };
    static const unsigned hopper_and_blackwell[] = { 90, 120 };
    size_t split = split_point(data, size);
    struct ss_container orig, repl;
    struct ss_error err;
    if (ss_container_parse(data, split, &orig, &err) < 0)
        return 0;
    if (ss_container_parse(data + split, size - split, &repl, &err) == 0) {
        merge_and_check(&orig, &repl, hopper, 1);
        merge_and_check(&orig, &repl, hopper_and_blackwell, 2);
        ss_container_free(&repl);
    }
    ss_container_free(&orig);
    return 0;
}
