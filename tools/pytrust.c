/* pytrust.c: may doctor run an interpreter it found by itself (pyfind.h)?
 *
 * Doctor searches the current and the parent directory, so whoever can
 * write there could plant an interpreter that doctor (perhaps run as root)
 * would execute.  The rule: every component of the path - as written and
 * after resolving links, from / down to the file - is owned by root or the
 * caller, and is writable by nobody else.  One exception, for directories
 * like /tmp: a directory writable by others but with the sticky bit set is
 * accepted, because others can then add entries but not rename or remove
 * ours, and the next component must itself be owned by root or the caller
 * (checked in turn).  A world-writable directory without the sticky bit, or
 * any component owned by another user, makes the interpreter untrusted. */
#include "pyfind.h"

#include "base/trust.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int component_trusted(const char *path, uid_t uid, char *why, size_t len)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        snprintf(why, len, "%s: cannot stat: %s", path, strerror(errno));
        return 0;
    }
    char reason[160];
    if (S_ISLNK(st.st_mode)) {
        /* A link's own mode means nothing; who owns it (and its directory,
         * checked separately) decides who could change it. */
        if (st.st_uid != 0 && st.st_uid != uid) {
            snprintf(why, len, "%s: a link owned by uid %ld, neither root nor you (uid %ld)",
                     path, (long)st.st_uid, (long)uid);
            return 0;
        }
        return 1;
    }
    if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && (st.st_uid == 0 || st.st_uid == uid))
        return 1;
    if (!ss_stat_trusted(&st, uid, reason, sizeof reason)) {
        snprintf(why, len, "%s: %s", path, reason);
        return 0;
    }
    return 1;
}

/* Every prefix of an absolute path: "/", "/a", "/a/b", ... */
static int prefixes_trusted(const char *abs, uid_t uid, char *why, size_t len)
{
    if (!component_trusted("/", uid, why, len))
        return 0;
    char prefix[PATH_MAX];
    size_t n = strlen(abs);
    if (n >= sizeof prefix) {
        snprintf(why, len, "path too long");
        return 0;
    }
    for (size_t i = 1; i <= n; i++) {
        if (i < n && abs[i] != '/')
            continue;
        if (abs[i - 1] == '/')
            continue;   /* "//" */
        memcpy(prefix, abs, i);
        prefix[i] = '\0';
        if (!component_trusted(prefix, uid, why, len))
            return 0;
    }
    return 1;
}

int py_interpreter_trusted(const char *path, uid_t uid, char *why, size_t len)
{
    char abs[PATH_MAX];
    if (path[0] == '/') {
        snprintf(abs, sizeof abs, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)
            || (size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, path) >= sizeof abs) {
            snprintf(why, len, "cannot make %s absolute", path);
            return 0;
        }
    }
    if (!prefixes_trusted(abs, uid, why, len))
        return 0;
    /* What runs is the file the links lead to (a venv's python is a link to
     * the base interpreter): its directories count too. */
    char *real = realpath(abs, NULL);
    if (!real) {
        snprintf(why, len, "%s: cannot resolve: %s", abs, strerror(errno));
        return 0;
    }
    int ok = strcmp(real, abs) == 0 || prefixes_trusted(real, uid, why, len);
    free(real);
    return ok;
}
