/* base/folder.h: lib/base/, the small safe helpers every other folder
 * stands on - how problems are reported, the one way a file is read, what
 * a setuid program may trust, which memory is readable, the one sanitiser
 * of printed text, and hashing.  Nothing here knows what a fatbin, a
 * bundle or an option is.
 *
 * Calls: nothing (libc, and the CPU's instructions).
 *
 * Files (lib/check-folders.sh reads the lines " *   <file>  <what>"):
 *   error.c        struct ss_error: an offset and a message, never an abort;
 *                  the diagnostics callback (error.h)
 *   file.c         the one bounded, non-blocking, trust-checked whole-file
 *                  reader (file.h)
 *   trust.c        secure execution: which files a setuid/setgid program may
 *                  read (trust.h)
 *   memprobe.c     how much of an in-memory image is mapped and readable,
 *                  asked of the kernel (memprobe.h)
 *   printable.c    untrusted text escaped for printing (\xNN) (printable.h)
 *   append.c       a message built in a fixed buffer, cut to fit (append.h)
 *   sha256.c       SHA-256: the portable compression, the padding, and the
 *                  run-time choice of implementation (sha256.h)
 *   sha256_k.c     the round constants all implementations share
 *   sha256_x86.c   the compression with the x86-64 SHA extensions
 *   sha256_arm.c   the compression with the ARMv8 SHA2 instructions
 *
 * Headers beside them: version.h (the release), sha256_impl.h (what the
 * three SHA-256 implementations share; internal to this folder). */
#ifndef SAGESHIM_BASE_FOLDER_H
#define SAGESHIM_BASE_FOLDER_H

#include "append.h"
#include "error.h"
#include "file.h"
#include "memprobe.h"
#include "printable.h"
#include "sha256.h"
#include "trust.h"
#include "version.h"

#endif
