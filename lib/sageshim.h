/* sageshim.h: the map of the core library shared by the preload library
 * (shim/) and the command line (tools/).  Four folders, one concern each;
 * each folder's folder.h opens with its own map (what every file owns) and
 * the folders it may call.  A folder calls only those, and no two files
 * call each other, directly or through others: lib/check-folders.sh checks
 * both on the built objects in `make check`.
 *
 *   base/     the small safe helpers: errors, the one file reader, trust,
 *             the memory probe, the printable sanitiser, append, SHA-256,
 *             the version                                 calls: nothing
 *   config/   sageshim.conf and the environment: the options table, the
 *             config file, arch lists, module globs, report_once
 *                                                         calls: base
 *   reader/   CUDA code objects: fatbin containers, host ELF, cubin,
 *             nv.info, PTX, decompression, entry selection, ABI, merge
 *                                                         calls: base
 *   plan/     the bundle and MANIFEST, the redirect and hotfix verdicts and
 *             their log lines, the _fused table and wrap check
 *                                                         calls: base,
 *                                                         config, reader
 *
 * Include a header by its folder ("reader/image.h"), or this file for all. */
#ifndef SAGESHIM_H
#define SAGESHIM_H

#include "base/folder.h"
#include "config/folder.h"
#include "reader/folder.h"
#include "plan/folder.h"

#endif
