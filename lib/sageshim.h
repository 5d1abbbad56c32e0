/* sageshim.h: the map of the core library shared by the preload library
 * (shim/) and the command line (tools/).
 *
 *   error.h    how parsers report problems (offset + message, never abort)
 *   image.h    containers, entries, kernels; reading files and live images
 *   select.h   which entry the driver runs on a given compute capability
 *   abi.h      per-kernel verdicts: may a replacement stand in for an original?
 *   merge.h    build the container handed to the driver instead of the original
 *   sha256.h   hashing for the bundle manifest: the CPU's SHA instructions where
 *              it has them (sha256_x86.c, sha256_arm.c), portable C elsewhere
 *   bundle.h   the corrected-fatbin bundle: MANIFEST + .fatbin files
 *   plan.h     the redirect plan for one image: entries replaced, kernels
 *              hot-fixed, and the log lines that say so (shim and doctor)
 *   config.h   sageshim.conf, the environment, and where the file is looked up
 *   options.h  the one table of options (key, variable, default, doc) and their checks
 *   arch.h     architecture names and lists: 90, 9.0, sm_90, sm_90a, compute_90
 *   report_once.h  config problems reported once per process tree
 *   version.h  the release
 *   trust.h    secure execution: files a setuid/setgid program may read
 *   file.h     the one bounded, non-blocking, trust-checked whole-file reader
 *   printable.h the one sanitiser for text printed from input (\xNN escapes)
 *   append.h   a message built in a fixed buffer, cut to fit
 *   memprobe.h how much of an in-memory image is mapped and readable
 *   fused.h    SageAttention's 44 _fused kernels; would a launch's 32-bit
 *              index arithmetic wrap (diagnose)?
 */
#ifndef SAGESHIM_H
#define SAGESHIM_H

#include "error.h"
#include "image.h"
#include "select.h"
#include "abi.h"
#include "merge.h"
#include "sha256.h"
#include "bundle.h"
#include "config.h"
#include "options.h"
#include "arch.h"
#include "report_once.h"
#include "version.h"
#include "trust.h"
#include "file.h"
#include "printable.h"
#include "append.h"
#include "memprobe.h"
#include "fused.h"
#include "plan.h"

#endif
