/* plan/folder.h: lib/plan/, what the preload library does with a load -
 * "what decides a hotfix" is answered here.  The bundle (MANIFEST and its
 * hashed files), the redirect plan of one image (entries replaced, kernels
 * hot-fixed) and the lines that say so, decided once for the shim, which
 * applies and logs the plan, and for `sageshim doctor`, which prints it;
 * and SageAttention's _fused kernels and the wrap check of diagnose mode.
 *
 * Calls: base, config, reader.
 *
 * Files (lib/check-folders.sh reads the lines " *   <file>  <what>"):
 *   bundle.c       a bundle directory opened: MANIFEST read, every file read
 *                  once, hashed and parsed, or refused (bundle.h)
 *   manifest.c     MANIFEST text: parse, errors with line numbers, format
 *   plan.c         step 1: which bundle entries replace which; the plan's
 *                  lifetime; a bundle opened as plans use it (plan.h)
 *   plan_hotfix.c  step 2: which kernels a hotfix fatbin's kernels replace,
 *                  on every device, or why not
 *   hotfix_match.c does a hotfix line apply to a module; the first that does;
 *                  does the configuration ask for one (shim, plan, doctor)
 *   plan_format.c  a plan as the log lines the shim writes and doctor prints
 *   fused_table.c  SageAttention's 44 _fused kernels, from the spec (fused.h)
 *   fused_wrap.c   would a launch's 32-bit index arithmetic wrap (diagnose) */
#ifndef SAGESHIM_PLAN_FOLDER_H
#define SAGESHIM_PLAN_FOLDER_H

#include "bundle.h"
#include "fused.h"
#include "plan.h"

#endif
