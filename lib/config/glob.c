/* glob.c: the shell-style patterns of sageshim.conf, matched against whole
 * paths.  Unlike fnmatch(3) with FNM_PATHNAME, '*' also matches '/', so a
 * leading star in front of "/sageattention/_qattn_sm90*.so" matches wherever
 * site-packages lives.  '?' is one character, "[a-z]" / "[!0-9]" a class,
 * and a backslash makes the next character literal. */
#include "config.h"

#include <stddef.h>

/* Match one bracket class at *pattern (just past the '['), against c.
 * Sets *end to just past the closing ']'.  Returns 1 on match, 0 on no match,
 * -1 when the class is not closed (then '[' is taken literally). */
static int match_class(const char *pattern, unsigned char c, const char **end)
{
    const char *p = pattern;
    int negate = 0;
    int matched = 0;

    if (*p == '!' || *p == '^') {
        negate = 1;
        p++;
    }
    /* A ']' right after the opening (or the negation) is a literal. */
    int first = 1;
    while (*p && (first || *p != ']')) {
        unsigned char lo = (unsigned char)*p;
        if (lo == '\\' && p[1])
            lo = (unsigned char)*++p;
        p++;
        unsigned char hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') {
            p++;
            hi = (unsigned char)*p;
            if (hi == '\\' && p[1])
                hi = (unsigned char)*++p;
            p++;
        }
        if (lo <= c && c <= hi)
            matched = 1;
        first = 0;
    }
    if (*p != ']')
        return -1;
    *end = p + 1;
    return matched != negate;
}

int ss_glob_match(const char *pattern, const char *path)
{
    const char *p = pattern, *s = path;
    /* Where to resume after the last '*': since '*' matches any run of
     * characters, only the most recent star ever needs to be retried. */
    const char *star_p = NULL, *star_s = NULL;

    if (!pattern || !path)
        return 0;
    while (*s) {
        int step = 0;   /* 1: p and s advanced past one matching piece */
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p)
                return 1;
            star_p = p;
            star_s = s;
            continue;
        }
        if (*p == '?') {
            p++;
            step = 1;
        } else if (*p == '[') {
            const char *end;
            int r = match_class(p + 1, (unsigned char)*s, &end);
            if (r == 1) {
                p = end;
                step = 1;
            } else if (r == -1 && *s == '[') {
                p++;
                step = 1;
            }
        } else if (*p == '\\' && p[1]) {
            if (p[1] == *s) {
                p += 2;
                step = 1;
            }
        } else if (*p && *p == *s) {
            p++;
            step = 1;
        }
        if (step) {
            s++;
            continue;
        }
        if (!star_p)
            return 0;
        /* Let the last '*' swallow one more character and retry. */
        p = star_p;
        s = ++star_s;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int ss_glob_match_any(char *const *patterns, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (patterns[i] && ss_glob_match(patterns[i], path))
            return 1;
    return 0;
}
