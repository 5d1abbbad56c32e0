/* config.h: sageshim.conf - what the preload library does, read once. */
#ifndef SAGESHIM_CONFIG_H
#define SAGESHIM_CONFIG_H

#include <stddef.h>

#include "base/error.h"

enum ss_mode { SS_MODE_REDIRECT, SS_MODE_DIAGNOSE, SS_MODE_OFF };
enum ss_log_level { SS_LOG_ERROR, SS_LOG_WARN, SS_LOG_INFO, SS_LOG_DEBUG };

#define SS_MAX_ARCHS 8
#define SS_MAX_PATTERNS 32
#define SS_MAX_OPTIONS 32      /* rows of the option table (options.h) */

struct ss_config {
    enum ss_mode mode;
    int dry_run;                     /* decide and log, but load the original */
    unsigned archs[SS_MAX_ARCHS];    /* SM numbers: 90, 120 */
    size_t narchs;
    char *modules[SS_MAX_PATTERNS];  /* globs on the owning object's path: redirected */
    size_t nmodules;
    char *observe[SS_MAX_PATTERNS];  /* globs: launches counted in diagnose, never redirected */
    size_t nobserve;
    char *bundle;                    /* directory with MANIFEST */
    int hotfix;                      /* replace kernels of hotfix_modules by the bundle's */
    char *hotfix_modules[SS_MAX_PATTERNS]; /* globs on the owning object's path */
    size_t nhotfix_modules;
    int repair;                      /* restore the shadowed sm90 op */
    char *repair_modules[SS_MAX_PATTERNS]; /* extension names: "sageattention._qattn_sm90" */
    size_t nrepair_modules;
    char *log;                       /* "stderr" or a path */
    enum ss_log_level log_level;
    char *source;                    /* file the config came from, or "(defaults)" */
};

/* Every option, its variable, default and meaning: options.h. */

/* Built-in defaults (the same values the shipped sageshim.conf spells out). */
void ss_config_defaults(struct ss_config *cfg);

/* Parse INI text.  Unknown keys, bad values and malformed lines are reported
 * through diag with the file name and line number and otherwise ignored.
 * Returns the number of problems reported. */
int ss_config_parse(struct ss_config *cfg, const char *text, size_t len,
                    const char *filename, ss_diag_fn diag, void *ctx);

/* Apply the SAGESHIM_* variable of each option (options.h) from getenv_fn;
 * bad values reported with file "environment", line 0. */
int ss_config_apply_env(struct ss_config *cfg, const char *(*getenv_fn)(const char *),
                        ss_diag_fn diag, void *ctx);

/* Find the config file, first existing of: $SAGESHIM_CONF,
 * $XDG_CONFIG_HOME/sageshim/sageshim.conf (or ~/.config/sageshim/sageshim.conf),
 * /etc/sageshim.conf, <libdir>/../etc/sageshim.conf (the installed default).
 * libdir may be NULL.  Returns 1 and the path, or 0. */
/* Candidate i (0, 1, ...) of that order written into path: 1; 0 when there
 * is none (unset variable, no libdir, too long); -1 past the last. */
int ss_config_candidate(int i, const char *libdir, const char *(*getenv_fn)(const char *),
                        char *path, size_t len);
int ss_config_find(const char *libdir, const char *(*getenv_fn)(const char *),
                   char *path, size_t len);

/* Load: defaults, then the file found (if any), then the environment. */
int ss_config_load(struct ss_config *cfg, const char *libdir,
                   const char *(*getenv_fn)(const char *), ss_diag_fn diag, void *ctx);

/* The same, for a setuid/setgid program when trust->secure (trust.h): the
 * environment is ignored (one diag line names the SAGESHIM_* variables set)
 * and a config file not owned by root or trust->uid, or writable by group or
 * others, is refused (reported, defaults used).  trust NULL: ss_config_load. */
struct ss_trust;
int ss_config_load_trusted(struct ss_config *cfg, const char *libdir,
                           const char *(*getenv_fn)(const char *), const struct ss_trust *trust,
                           ss_diag_fn diag, void *ctx);

void ss_config_free(struct ss_config *cfg);

const char *ss_mode_name(enum ss_mode mode);
/* fnmatch-style glob on a path ("*" crosses "/"). */
int ss_glob_match(const char *pattern, const char *path);
/* 1 when some pattern of patterns[0..n) matches path (NULL entries skipped). */
int ss_glob_match_any(char *const *patterns, size_t n, const char *path);

#endif
