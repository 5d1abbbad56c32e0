/* launchline.c: the diagnose line of one launch, formatted by hand.
 *
 * Diagnose mode writes one of these for every watched launch.  Through
 * snprintf the line cost about 5,000 instructions (callgrind, fake driver),
 * most of the shim's share of a launch; appending the fields directly costs
 * a few hundred.  The text is exactly what the format strings in the
 * comments below would give. */
#include <string.h>

#include "shim.h"

struct line {
    char *buf;
    size_t cap;   /* bytes of buf, the terminating NUL included */
    size_t len;
};

static void put_text(struct line *l, const char *s)
{
    size_t n = strlen(s);
    size_t room = l->cap - 1 - l->len;
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

size_t shim_put_decimal(char *out, unsigned long long v)
{
    char reversed[20];
    size_t n = 0;
    do {
        reversed[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = reversed[n - 1 - i];
    return n;
}

static void put_unsigned(struct line *l, unsigned long long v)
{
    char digits[20];
    size_t n = shim_put_decimal(digits, v);
    size_t room = l->cap - 1 - l->len;
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, digits, n);
    l->len += n;
}

static void put_signed(struct line *l, long long v)
{
    if (v < 0) {
        put_text(l, "-");
        /* -(v + 1) + 1 keeps LLONG_MIN in range. */
        put_unsigned(l, (unsigned long long)(-(v + 1)) + 1);
    } else {
        put_unsigned(l, (unsigned long long)v);
    }
}

/* " grid=(x,y,z)" */
static void put_dims(struct line *l, const char *label, long long x, long long y, long long z)
{
    put_text(l, label);
    put_signed(l, x);
    put_text(l, ",");
    put_signed(l, y);
    put_text(l, ",");
    put_signed(l, z);
    put_text(l, ")");
}

/* Success:  "launch dev=%d %s grid=(%u,%u,%u) block=(%u,%u,%u)[ cluster=(%d,%d,%d)]
 *            smem=%u redirected=%s hotfix=%s result=0"
 * Failure:  "launch FAILED result=%d dev=%d %s grid=... smem=%u redirected=%s hotfix=%s" */
size_t shim_format_launch(char *buf, size_t cap, const struct shim_launch_info *launch, int dev,
                          const char *name, int redirected, int hotfixed)
{
    if (!buf || cap == 0)
        return 0;
    struct line l = { buf, cap, 0 };
    if (launch->result == 0) {
        put_text(&l, "launch dev=");
    } else {
        put_text(&l, "launch FAILED result=");
        put_signed(&l, launch->result);
        put_text(&l, " dev=");
    }
    put_signed(&l, dev);
    put_text(&l, " ");
    put_text(&l, name ? name : "?");
    put_dims(&l, " grid=(", launch->grid[0], launch->grid[1], launch->grid[2]);
    put_dims(&l, " block=(", launch->block[0], launch->block[1], launch->block[2]);
    if (launch->cluster[0] || launch->cluster[1] || launch->cluster[2])
        put_dims(&l, " cluster=(", launch->cluster[0], launch->cluster[1], launch->cluster[2]);
    put_text(&l, " smem=");
    put_unsigned(&l, launch->shared_bytes);
    put_text(&l, redirected ? " redirected=yes" : " redirected=no");
    put_text(&l, hotfixed ? " hotfix=yes" : " hotfix=no");
    if (launch->result == 0)
        put_text(&l, " result=0");
    buf[l.len] = '\0';
    return l.len;
}
