/* util.c: small helpers shared by the subcommands. */
#include "tools.h"
#include "config/arch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int parse_sm_list(const char *text, unsigned *sms, size_t max, size_t *count)
{
    return ss_parse_arch_list(text, sms, max, count, NULL, 0);
}

int self_directory(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    if ((size_t)snprintf(buf, len, "%s", exe[0] ? exe : "/") >= len)
        return -1;
    return 0;
}

int find_preload_library(char *path, size_t len, char *looked, size_t looked_len)
{
    looked[0] = '\0';
    const char *explicit_path = getenv("SAGESHIM_LIBRARY");
    if (explicit_path && *explicit_path) {
        snprintf(looked, looked_len, "%s ($SAGESHIM_LIBRARY)", explicit_path);
        if (access(explicit_path, R_OK) != 0)
            return 0;
        if (explicit_path[0] == '/') {
            snprintf(path, len, "%s", explicit_path);
            return 1;
        }
        /* A relative path in LD_PRELOAD is looked up by every process from
         * its own working directory: after the program's first chdir each
         * one would print the loader's "cannot be preloaded" and run without
         * the library.  Made absolute against the current directory. */
        char *real = realpath(explicit_path, NULL);
        if (!real)
            return 0;
        snprintf(path, len, "%s", real);
        free(real);
        return 1;
    }
    char dir[PATH_MAX];
    if (self_directory(dir, sizeof dir) < 0) {
        snprintf(looked, looked_len, "(cannot read /proc/self/exe)");
        return 0;
    }
    char installed[PATH_MAX + 32], beside[PATH_MAX + 32];
    snprintf(installed, sizeof installed, "%s/../lib/libsageshim.so", dir);
    snprintf(beside, sizeof beside, "%s/libsageshim.so", dir);
    snprintf(looked, looked_len, "%s, %s", installed, beside);
    const char *found = access(installed, R_OK) == 0 ? installed
                      : access(beside, R_OK) == 0 ? beside : NULL;
    if (!found)
        return 0;
    /* An absolute, normalized path keeps LD_PRELOAD valid after a chdir. */
    char *real = realpath(found, NULL);
    snprintf(path, len, "%s", real ? real : found);
    free(real);
    return 1;
}

const char *origin_name(enum ss_origin origin)
{
    switch (origin) {
    case SS_FROM_CONTAINER: return "container";
    case SS_FROM_SECTION:   return "section";
    case SS_FROM_WRAPPER:   return "wrapper";
    case SS_FROM_CUBIN:     return "cubin";
    case SS_FROM_PTX:       return "ptx";
    }
    return "unknown";
}

const char *variant_name(enum ss_variant variant)
{
    switch (variant) {
    case SS_VARIANT_PLAIN: return "plain";
    case SS_VARIANT_A:     return "a";
    case SS_VARIANT_F:     return "f";
    }
    return "unknown";
}

void report_input_error(const char *path, const struct ss_error *err)
{
    char text[320];
    ss_error_format(err, text, sizeof text);
    /* ss_read_file's messages name the file already: "/x: /x: cannot open"
     * said it twice. */
    size_t n = strlen(path);
    if (strncmp(text, path, n) == 0 && text[n] == ':')
        fprintf(stderr, "sageshim: %s\n", text);
    else
        fprintf(stderr, "sageshim: %s: %s\n", path, text);
}
