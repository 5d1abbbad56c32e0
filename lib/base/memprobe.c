/* memprobe.c: readability of memory by asking the kernel (memprobe.h).
 *
 * process_vm_readv on our own process copies one byte of each page: the
 * kernel stops at the first page it cannot read and says how far it got.
 * It is allowed on ourselves whatever ptrace_scope says; where seccomp
 * forbids it, each page's first byte is written into a pipe instead
 * (write() fails with EFAULT on an unreadable source). */
#include "memprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#define PROBE_BATCH 256

static size_t page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? (size_t)n : 4096;
}

/* Number of the `count` addresses readable before the first that is not;
 * -1 when the system call is not available. */
static long probe_vm(uintptr_t *addrs, size_t count)
{
    char sink[PROBE_BATCH];   /* per call: probes run on any thread */
    struct iovec local = { sink, count };
    struct iovec remote[PROBE_BATCH];
    for (size_t i = 0; i < count; i++) {
        remote[i].iov_base = (void *)addrs[i];
        remote[i].iov_len = 1;
    }
    ssize_t n;
    do {
        n = process_vm_readv(getpid(), &local, 1, remote, count, 0);
    } while (n < 0 && errno == EINTR);
    if (n >= 0)
        return (long)n;
    return errno == EFAULT ? 0 : -1;
}

static long probe_pipe(uintptr_t *addrs, size_t count)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return 0;   /* cannot tell: treat as unreadable, the image is kept */
    long readable = 0;
    for (size_t i = 0; i < count; i++) {
        char c;
        if (write(fds[1], (const void *)addrs[i], 1) != 1 || read(fds[0], &c, 1) != 1)
            break;
        readable++;
    }
    close(fds[0]);
    close(fds[1]);
    return readable;
}

size_t ss_readable_extent(const void *p, size_t want)
{
    if (!p || want == 0)
        return 0;
    uintptr_t start = (uintptr_t)p;
    if (want > UINTPTR_MAX - start)
        want = UINTPTR_MAX - start;
    uintptr_t end = start + want;
    size_t page = page_size();
    uintptr_t at = start;          /* first address not yet known readable */
    while (at < end) {
        uintptr_t addrs[PROBE_BATCH];
        size_t count = 0;
        /* One address per page: `at`, then each next page's first byte. */
        uintptr_t a = at;
        while (a < end && count < PROBE_BATCH) {
            addrs[count++] = a;
            uintptr_t next = (a / page + 1) * page;
            a = next > a ? next : end;   /* the top of the address space */
        }
        long ok = probe_vm(addrs, count);
        if (ok < 0)
            ok = probe_pipe(addrs, count);
        if ((size_t)ok < count)
            return (size_t)(addrs[ok] - start);
        at = a;
    }
    return want;
}
