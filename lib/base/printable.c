/* printable.c: escaping untrusted text for printing (printable.h). */
#include "printable.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when the
 * bytes are not one.  Overlong forms, surrogates and code points above
 * U+10FFFF are invalid. */
static size_t utf8_sequence(const unsigned char *p, size_t n, unsigned *code)
{
    unsigned c = p[0];
    size_t need;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) { need = 2; min = 0x80; c &= 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { need = 3; min = 0x800; c &= 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *code = c;
    return need;
}

size_t ss_printable(char *out, size_t cap, const char *in, size_t len)
{
    return ss_printable_keep(out, cap, in, len, "");
}

size_t ss_printable_keep(char *out, size_t cap, const char *in, size_t len, const char *keep)
{
    static const char hex[] = "0123456789abcdef";
    size_t used = 0;
    if (cap == 0)
        return 0;
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;
    while (i < len) {
        /* Plain ASCII, nearly all of what is printed: copied a run at a
         * time, without the per-byte checks below. */
        size_t run = 0;
        while (i + run < len && p[i + run] >= 0x20 && p[i + run] < 0x7f)
            run++;
        if (run > 0) {
            int cut = used + run >= cap;
            if (cut)
                run = cap - 1 - used;
            memcpy(out + used, p + i, run);
            used += run;
            i += run;
            if (cut)
                break;
            continue;
        }
        unsigned char c = p[i];
        size_t take = 1;
        int escape = (c < 0x20 && !(c && strchr(keep, c))) || c == 0x7f;
        if (c >= 0x80) {
            unsigned code = 0;
            take = utf8_sequence(p + i, len - i, &code);
            /* Not UTF-8: one byte escaped.  C1 controls (0x9b is CSI on
             * some terminals): both bytes escaped. */
            escape = take == 0 || code <= 0x9f;
            if (take == 0)
                take = 1;
        }
        if (escape) {
            if (used + 4 * take >= cap)
                break;
            for (size_t k = 0; k < take; k++) {
                out[used++] = '\\';
                out[used++] = 'x';
                out[used++] = hex[p[i + k] >> 4];
                out[used++] = hex[p[i + k] & 15];
            }
        } else {
            if (used + take >= cap)
                break;
            memcpy(out + used, p + i, take);
            used += take;
        }
        i += take;
    }
    out[used] = '\0';
    return used;
}

const char *ss_printable_str(const char *text)
{
    static _Thread_local char buffers[8][1024];
    static _Thread_local unsigned next;
    char *out = buffers[next++ % 8];
    if (!text)
        text = "(null)";
    ss_printable(out, sizeof buffers[0], text, strlen(text));
    return out;
}
