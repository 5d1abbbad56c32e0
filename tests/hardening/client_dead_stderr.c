/* client_dead_stderr PROGRAM [ARGS...]: run PROGRAM with its stderr a pipe
 * whose reading end is closed (issue 15, case 4): any write to stderr
 * raises SIGPIPE.  The program replaces this one (exec), so its exit status
 * or signal is what the caller sees.  `client_dead_stderr --exit0` exits 0
 * at once: the test execs this client itself in that role, because under
 * qemu-user (the aarch64 run) a host program such as /bin/true would get the
 * host loader's "cannot be preloaded" line on its dead stderr and die. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--exit0") == 0)
        return 0;
    if (argc < 2) {
        fprintf(stderr, "usage: client_dead_stderr PROGRAM [ARGS...]\n");
        return 2;
    }
    int fds[2];
    if (pipe(fds) != 0)
        return 3;
    close(fds[0]);
    if (dup2(fds[1], 2) < 0)
        return 3;
    close(fds[1]);
    execv(argv[1], argv + 1);
    return 127;
}
