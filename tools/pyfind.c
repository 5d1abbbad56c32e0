/* pyfind.c: which Python doctor asks, and what it says about SageAttention.
 *
 * ComfyUI users rarely run the interpreter that is `python3` on PATH: the
 * portable build ships python_embeded/, other installs a venv.  The package
 * is located with importlib.util.find_spec, which reads the file system only
 * (importing sageattention would import torch: seconds, and a CUDA driver);
 * the import itself is tried separately so its real error can be shown. */
#include "pyfind.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* ComfyUI's usual interpreters, relative to its folder or the folder above
 * (the portable build keeps ComfyUI/ beside python_embeded/). */
static const char *const comfy_pythons[] = {
    "python_embeded/python", "python_embeded/python3", "python_embeded/bin/python3",
    "venv/bin/python3",      "venv/bin/python",        ".venv/bin/python3",
    ".venv/bin/python",
};

int py_choose(const char *given, const char *start_dir, char *python, size_t len, char *how,
              size_t howlen)
{
    if (given) {
        snprintf(python, len, "%s", given);
        snprintf(how, howlen, "given with --python");
        return 0;
    }
    static const char *const levels[] = { "", "/.." };
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < sizeof comfy_pythons / sizeof comfy_pythons[0]; i++) {
            char candidate[PATH_MAX];
            if ((size_t)snprintf(candidate, sizeof candidate, "%s%s/%s", start_dir, levels[l],
                                 comfy_pythons[i]) >= sizeof candidate)
                continue;
            if (!is_executable_file(candidate))
                continue;
            /* Not realpath'd: a venv's python is a link to the base
             * interpreter, which has another sys.path. */
            snprintf(python, len, "%s", candidate);
            snprintf(how, howlen, "found from %s (ComfyUI layout)", start_dir);
            return 0;
        }
    }
    snprintf(python, len, "python3");
    snprintf(how, howlen, "on PATH; pass --python PATH to ask another interpreter");
    return 0;
}

/* Run argv, stdout and stderr into out (cut, terminated).  Returns the exit
 * status, 127 when it could not be started, or -1. */
static int capture(char *const argv[], char *out, size_t len)
{
    int fds[2];
    out[0] = '\0';
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    size_t used = 0;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        /* Keep the tail: a traceback's last line is the error. */
        for (ssize_t i = 0; i < n; i++) {
            if (used + 1 >= len) {
                memmove(out, out + len / 2, used - len / 2);
                used -= len / 2;
            }
            out[used++] = buf[i];
        }
    }
    out[used] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void last_line(const char *text, char *out, size_t len)
{
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    size_t start = n;
    while (start && text[start - 1] != '\n')
        start--;
    snprintf(out, len, "%.*s", (int)(n - start), text + start);
}

/* Prints "DIR" for a package, "NONE" when not installed. */
static const char LOCATE[] =
    "import importlib.util, os\n"
    "s = importlib.util.find_spec('sageattention')\n"
    "if s is None:\n"
    "    print('NONE')\n"
    "elif s.submodule_search_locations:\n"
    "    print(list(s.submodule_search_locations)[0])\n"
    "else:\n"
    "    print(os.path.dirname(s.origin))\n";

int py_locate(const char *python, char *dir, size_t len, char *why, size_t whylen)
{
    char out[8192];
    char *argv[] = { (char *)python, "-c", (char *)LOCATE, NULL };
    int status = capture(argv, out, sizeof out);
    char line[PATH_MAX];
    last_line(out, line, sizeof line);
    if (status != 0) {
        snprintf(why, whylen, "%s does not run: %s", python,
                 line[0] ? line : "no output");
        return -1;
    }
    if (strcmp(line, "NONE") == 0) {
        snprintf(why, whylen, "sageattention is not installed for %s", python);
        return 1;
    }
    snprintf(dir, len, "%s", line);
    return 0;
}

int py_try_import(const char *python, char *why, size_t whylen)
{
    char out[16384];
    char *argv[] = { (char *)python, "-c", "import sageattention", NULL };
    int status = capture(argv, out, sizeof out);
    if (status == 0)
        return 0;
    char line[1024];
    last_line(out, line, sizeof line);
    snprintf(why, whylen, "%s", line[0] ? line : "failed without a message");
    return -1;
}
