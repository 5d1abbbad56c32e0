/* reader/folder.h: lib/reader/, CUDA code objects read and compared -
 * "where is a cubin parsed" is answered here.  A file, a host ELF or a
 * driver's in-memory image becomes an ss_image: containers, entries,
 * kernels (image.h; the formats in fatbin-format.md); then which entry a
 * device runs, whether a replacement's kernels may stand in for the
 * original's (ABI), and the merged container handed to the driver.  No
 * policy: nothing here reads the configuration.
 *
 * Calls: base.
 *
 * Files (lib/check-folders.sh reads the lines " *   <file>  <what>"):
 *   image.c        what an input is: a file read, a fatbin, a host ELF, a bare
 *                  cubin or PTX, an in-memory image measured where it is
 *                  mapped (image.h)
 *   hostelf.c      the containers of a host ELF's .nv_fatbin sections
 *   walk.c         containers stored back to back (a fatbin file, a host ELF
 *                  section), and adding one to an image
 *   container.c    one fatbin container: its header and entry headers
 *   entry_load.c   an entry made usable: decompressed, its kernels read
 *   decompress.c   an entry's payload as plain bytes (LZ4, zstd, budgets)
 *   cubin.c        a cubin's own facts and its kernels' parameters/limits
 *   nvinfo.c       the .nv.info attribute records (nvinfo.h)
 *   ptx.c          kernel declarations read from PTX text
 *   kernels.c      kernel lists freed (kernels.h)
 *   release.c      containers and images freed
 *   names.c        names of kinds, compressions and entries; a kernel by name
 *   image_util.c   unaligned loads, an ELF's extent, an image's lists grown
 *   select.c       the entry a device of a given compute capability runs
 *                  (select.h)
 *   abi.c          may a replacement's kernels stand in for the original's
 *                  (abi.h)
 *   merge.c        the container handed to the driver instead of the
 *                  original (merge.h)
 *
 * image_internal.h: what the reading files share (internal to this folder). */
#ifndef SAGESHIM_READER_FOLDER_H
#define SAGESHIM_READER_FOLDER_H

#include "abi.h"
#include "image.h"
#include "merge.h"
#include "select.h"

#endif
