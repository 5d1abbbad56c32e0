/* arch.c: architecture names and lists (arch.h). */
#include "arch.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int ss_parse_arch(const char *tok, unsigned *sm)
{
    const char *p = tok;
    int prefixed = 0;
    if (strncasecmp(p, "sm_", 3) == 0) {
        p += 3;
        prefixed = 1;
    } else if (strncasecmp(p, "compute_", 8) == 0) {
        p += 8;
        prefixed = 1;
    }
    if (!is_digit(*p))
        return -1;
    unsigned major = 0;
    while (is_digit(*p)) {
        major = major * 10 + (unsigned)(*p - '0');
        if (major > 1000)
            return -1;
        p++;
    }
    if (*p == '.' && !prefixed) {
        /* A compute capability "major.minor", minor one digit. */
        if (major < 1 || major > 99 || !is_digit(p[1]) || p[2] != '\0')
            return -1;
        *sm = major * 10 + (unsigned)(p[1] - '0');
        return 0;
    }
    /* sm_90a / sm_100f: architecture-specific and family variants of the
     * same SM number; whoever needs the variant reads it from the image. */
    if ((*p == 'a' || *p == 'f' || *p == 'A' || *p == 'F') && p[1] == '\0')
        p++;
    if (*p != '\0' || major < 10 || major > 999)
        return -1;
    *sm = major;
    return 0;
}

static void say(char *why, size_t whylen, const char *text, const char *tok)
{
    if (why && whylen)
        snprintf(why, whylen, text, tok);
}

int ss_parse_arch_list(const char *text, unsigned *out, size_t max, size_t *count, char *why,
                       size_t whylen)
{
    const char *p = text;
    size_t n = 0;
    int after_comma = 0;
    *count = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ',' || (*p == '\0' && after_comma)) {
            say(why, whylen, "%s", "empty element in the list");
            return -1;
        }
        if (*p == '\0')
            break;
        char tok[32];
        size_t len = 0;
        while (*p && *p != ',' && *p != ' ' && *p != '\t') {
            if (len + 1 < sizeof tok)
                tok[len] = *p;
            len++;
            p++;
        }
        tok[len < sizeof tok ? len : sizeof tok - 1] = '\0';
        unsigned sm;
        if (len >= sizeof tok || ss_parse_arch(tok, &sm) != 0) {
            say(why, whylen, "'%s' is not an architecture (expected e.g. 90, 9.0, sm_90 or sm_90a)",
                tok);
            return -1;
        }
        int seen = 0;
        for (size_t i = 0; i < n; i++)
            seen |= out[i] == sm;
        if (!seen) {
            if (n == max) {
                if (why && whylen)
                    snprintf(why, whylen, "more than %zu architectures", max);
                return -1;
            }
            out[n++] = sm;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        after_comma = *p == ',';
        if (after_comma)
            p++;
    }
    if (n == 0) {
        say(why, whylen, "%s", "expected at least one architecture");
        return -1;
    }
    *count = n;
    return 0;
}
