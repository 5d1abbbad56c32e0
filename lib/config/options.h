/* options.h: the one table of sageshim.conf's options.
 *
 * Each row states an option once: its key, the environment variable that
 * overrides it, the kind of value (which picks the parser, the printer and
 * the checks), where it lives in struct ss_config, its default exactly as the
 * shipped sageshim.conf spells it, and a one-line meaning.  The defaults, the
 * environment overrides, the list of variables a setuid program ignores, the
 * "did you mean" for unknown keys, doctor's checks and the test comparing
 * the table with sageshim.conf and sageshim.conf(5) all come from it. */
#ifndef SAGESHIM_OPTIONS_H
#define SAGESHIM_OPTIONS_H

#include <stddef.h>

#include "config.h"

enum ss_option_kind {
    SS_OPT_MODE,          /* redirect | diagnose | off */
    SS_OPT_LOG_LEVEL,     /* error | warn | info | debug */
    SS_OPT_BOOL,          /* int: yes/no, true/false, on/off, 1/0 */
    SS_OPT_ARCHS,         /* unsigned[SS_MAX_ARCHS] + count (arch.h grammar) */
    SS_OPT_GLOBS,         /* char *[SS_MAX_PATTERNS] + count: globs on library paths */
    SS_OPT_PY_MODULES,    /* char *[SS_MAX_PATTERNS] + count: dotted Python names */
    SS_OPT_DIR,           /* char *: empty (the default) or an absolute directory */
    SS_OPT_LOG,           /* char *: "stderr" or an absolute file path */
};

struct ss_option {
    const char *key;
    const char *env;            /* overriding variable, NULL: none */
    enum ss_option_kind kind;
    size_t field;               /* offsetof(struct ss_config, ...) */
    size_t count;               /* offsetof of the list's count (lists, archs) */
    const char *default_value;  /* as the shipped sageshim.conf spells it */
    const char *if_empty;       /* lists: why an empty list is a problem; NULL: fine */
    const char *doc;            /* one line */
};

extern const struct ss_option ss_options[];
extern const size_t ss_noptions;

/* The row of `key` (exact), or NULL. */
const struct ss_option *ss_option_find(const char *key);

/* The key nearest to a misspelt one ("mdoe" -> "mode", "log-level" ->
 * "log_level"), or NULL when none is close. */
const char *ss_option_nearest(const char *key);

/* Apply a value.  Returns 0 when applied, 1 when applied with something to
 * report in why, -1 when refused (cfg unchanged, reason in why). */
int ss_option_set(struct ss_config *cfg, const struct ss_option *opt, const char *value,
                  char *why, size_t whylen);

/* The option's current value in cfg, in the file's syntax. */
void ss_option_format(const struct ss_config *cfg, const struct ss_option *opt, char *buf,
                      size_t len);

/* Free what the option holds in cfg (strings, lists). */
void ss_option_free(struct ss_config *cfg, const struct ss_option *opt);

/* Checks beyond parsing, for doctor and `sageshim run`: empty lists, module
 * names that are not Python names, globs that can never match a path,
 * relative paths, a log whose directory does not exist.  Each problem goes
 * to diag (file = cfg->source, line 0, message starting with the key).
 * Returns the number of problems. */
int ss_config_check(const struct ss_config *cfg, ss_diag_fn diag, void *ctx);

#endif
