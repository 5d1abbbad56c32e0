/* config/folder.h: lib/config/, what the user asked for - sageshim.conf,
 * the SAGESHIM_* environment, and the words they are written in (options,
 * architecture names, module patterns).  Read by the shim at start-up and
 * by the command; knows nothing of fatbins or bundles.
 *
 * Calls: base.
 *
 * Files (lib/check-folders.sh reads the lines " *   <file>  <what>"):
 *   options.c      the one table of options (key, variable, default, doc),
 *                  each value's check, "did you mean" (options.h)
 *   config.c       sageshim.conf and the environment read into struct
 *                  ss_config; where the file is looked up (config.h)
 *   arch.c         architecture names and lists: 90, 9.0, sm_90a,
 *                  compute_90 (arch.h)
 *   glob.c         the module patterns, matched on whole paths ("*" crosses
 *                  "/") (config.h)
 *   report_once.c  config problems reported once per process tree
 *                  (report_once.h) */
#ifndef SAGESHIM_CONFIG_FOLDER_H
#define SAGESHIM_CONFIG_FOLDER_H

#include "arch.h"
#include "config.h"
#include "options.h"
#include "report_once.h"

#endif
