/* hotfix_match.c: which MANIFEST hotfix line applies to a module - asked
 * by the shim before it parses a load (shim/decide.c), by the plan when it
 * picks the hotfix file (plan_hotfix.c) and by doctor (tools/doctor_plan.c).
 * One answer in one place, so doctor can never promise a hotfix the shim
 * would not apply. */
#include "plan.h"

int ss_hotfix_line_applies(const struct ss_manifest_item *item, const char *path)
{
    return item && path && ss_glob_match_any(item->globs, item->nglobs, path);
}

const struct ss_bundle_file *ss_hotfix_for(const struct ss_bundle *const *bundles, size_t n,
                                           const char *path, const struct ss_bundle **which)
{
    for (size_t b = 0; b < n && b < SS_PLAN_MAX_HOTFIX_BUNDLES; b++)
        for (size_t f = 0; bundles[b] && f < bundles[b]->nhotfixes; f++)
            if (ss_hotfix_line_applies(bundles[b]->hotfixes[f].item, path)) {
                if (which)
                    *which = bundles[b];
                return &bundles[b]->hotfixes[f];
            }
    return NULL;
}

int ss_hotfix_wanted(const struct ss_config *cfg, const char *path)
{
    return cfg->hotfix && ss_glob_match_any(cfg->hotfix_modules, cfg->nhotfix_modules, path);
}
