/* report_once.c: the marker of reported config problems (report_once.h). */
#include "report_once.h"

#include <stdio.h>

void ss_problem_line(char *out, size_t len, const char *file, int line, const char *message)
{
    if (line > 0)
        snprintf(out, len, "%s:%d: %s", file ? file : "?", line, message);
    else
        snprintf(out, len, "%s: %s", file ? file : "?", message);
}

/* FNV-1a: not a defence against anyone, only "are these the same lines". */
uint64_t ss_report_hash_add(uint64_t hash, const char *line)
{
    for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
        hash ^= *p;
        hash *= UINT64_C(1099511628211);
    }
    hash ^= '\n';
    hash *= UINT64_C(1099511628211);
    return hash;
}

void ss_report_marker(uint64_t hash, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[hash & 15];
        hash >>= 4;
    }
    out[16] = '\0';
}
