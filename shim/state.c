/* state.c: one-time start-up - the configuration, the log, the bundle - and
 * what a forked child must reset.
 *
 * shim_config() may be reached first from inside the dlsym hook, from any
 * thread, before or after this library's constructor.  Loading it uses only
 * open/read/getenv/dladdr (no dlopen, no CUDA), and a thread that reaches
 * shim_config() again while loading (through a hook) gets a mode-off config
 * instead of waiting for itself. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "plan/plan.h"
#include "policy.h"
#include "config/report_once.h"
#include "base/trust.h"

enum { CONFIG_NOT_LOADED, CONFIG_LOADING, CONFIG_READY };

static atomic_int config_state = CONFIG_NOT_LOADED;
static _Thread_local int loading_on_this_thread;
static struct ss_config config;
/* What a re-entrant call sees while this thread is loading: pass through. */
static const struct ss_config off_config = {
    .mode = SS_MODE_OFF,
    .log_level = SS_LOG_ERROR,
};

/* Secure execution (setuid/setgid: the kernel's AT_SECURE): no environment,
 * only files root or the real user own and nobody else may write. */
static struct ss_trust trust;

static char libdir[PATH_MAX];
static char bundle_dir[PATH_MAX + 64];
static char default_bundle_dir[PATH_MAX + 64];

/* Problems in the config file, kept until the log can take them, and the
 * hash of all of them (report_once.h). */
#define PENDING_MAX 8
static struct {
    char lines[PENDING_MAX][SS_PROBLEM_LINE_MAX];
    int count, dropped;
    uint64_t hash;
} pending = { .hash = SS_REPORT_HASH_START };

/* The start-up line is written once, at the first event (shim_announce). */
static atomic_int announced;

static pthread_mutex_t bundle_lock = PTHREAD_MUTEX_INITIALIZER;
static int bundle_tried;
static int bundle_usable;
static int bundle_missing;
static struct ss_bundle bundle;
static char bundle_why[PATH_MAX + 512];

static void keep_config_problem(void *ctx, const char *file, int line, const char *message)
{
    (void)ctx;
    char text[sizeof pending.lines[0]];
    ss_problem_line(text, sizeof text, file, line, message);
    pending.hash = ss_report_hash_add(pending.hash, text);
    if (pending.count >= PENDING_MAX) {
        pending.dropped++;
        return;
    }
    memcpy(pending.lines[pending.count++], text, sizeof text);
}

static const char *plain_getenv(const char *name)
{
    return getenv(name);
}

static void find_libdir(void)
{
    Dl_info info;
    libdir[0] = '\0';
    if (!dladdr((void *)&find_libdir, &info) || !info.dli_fname)
        return;
    snprintf(libdir, sizeof libdir, "%s", info.dli_fname);
    char *slash = strrchr(libdir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(libdir, sizeof libdir, ".");
}

static void load_config(void)
{
    find_libdir();
    trust.secure = getauxval(AT_SECURE) != 0;
    trust.uid = getuid();
    ss_config_load_trusted(&config, libdir[0] ? libdir : NULL, plain_getenv, &trust,
                           keep_config_problem, NULL);
    ss_default_bundle_dir(libdir, default_bundle_dir, sizeof default_bundle_dir);
    if (config.bundle && config.bundle[0])
        snprintf(bundle_dir, sizeof bundle_dir, "%s", config.bundle);
    else
        snprintf(bundle_dir, sizeof bundle_dir, "%s", default_bundle_dir);
    shim_log_open(&config);
}

/* Once per process tree (report_once.h): the first process reports and
 * marks its environment, so its children - which inherit it - do not.
 * A setuid/setgid program reads no environment and writes none: it reports. */
static void report_config_problems(void)
{
    if (pending.count == 0 && pending.dropped == 0)
        return;
    char marker[17];
    ss_report_marker(pending.hash, marker);
    if (!trust.secure) {
        const char *seen = getenv(SS_REPORTED_ENV);
        if (seen && strcmp(seen, marker) == 0) {
            pending.count = pending.dropped = 0;
            return;
        }
    }
    char line[SS_PROBLEM_LINE_MAX + 64];
    for (int i = 0; i < pending.count; i++) {
        snprintf(line, sizeof line, "config: %s", pending.lines[i]);
        shim_log_console_too(SS_LOG_WARN, line);
    }
    if (pending.dropped) {
        snprintf(line, sizeof line, "config: %d more problems not shown", pending.dropped);
        shim_log_console_too(SS_LOG_WARN, line);
    }
    pending.count = pending.dropped = 0;
    if (!trust.secure)
        setenv(SS_REPORTED_ENV, marker, 1);
}

const struct ss_config *shim_config(void)
{
    if (atomic_load_explicit(&config_state, memory_order_acquire) == CONFIG_READY)
        return &config;
    if (loading_on_this_thread)
        return &off_config;
    int expected = CONFIG_NOT_LOADED;
    if (atomic_compare_exchange_strong(&config_state, &expected, CONFIG_LOADING)) {
        loading_on_this_thread = 1;
        load_config();
        atomic_store_explicit(&config_state, CONFIG_READY, memory_order_release);
        loading_on_this_thread = 0;
        return &config;
    }
    /* Another thread is loading: it only reads a small file, so wait. */
    while (atomic_load_explicit(&config_state, memory_order_acquire) != CONFIG_READY)
        sched_yield();
    return &config;
}

int shim_mode_is(enum ss_mode mode)
{
    return shim_config()->mode == mode;
}

const char *shim_libdir(void)
{
    shim_config();
    return libdir;
}

const char *shim_bundle_dir(void)
{
    shim_config();
    return bundle_dir;
}

static void report_bundle_problem(void *ctx, const char *file, int line, const char *message)
{
    if (line > 0)
        shim_log(SS_LOG_WARN, "bundle: %s:%d: %s", file ? file : "?", line, message);
    else
        shim_log(SS_LOG_WARN, "bundle: %s: %s", file ? file : "?", message);
}

static void open_bundle(void)
{
    const char *dir = shim_bundle_dir();
    /* No bundle at all is the normal case of an install without one: the
     * decision that follows says so at debug level only. */
    if (ss_plan_open_bundle(dir, &bundle, &trust, report_bundle_problem, NULL, bundle_why,
                            sizeof bundle_why, &bundle_missing) != 0)
        return;
    bundle_usable = 1;
    shim_log(SS_LOG_DEBUG, "bundle %s opened: %s, %zu files, %zu hotfix files", dir,
             bundle.manifest.label ? bundle.manifest.label : "(no label)", bundle.nfiles,
             bundle.nhotfixes);
}

static void try_bundle_once(void)
{
    pthread_mutex_lock(&bundle_lock);
    if (!bundle_tried) {
        bundle_tried = 1;
        open_bundle();
    }
    pthread_mutex_unlock(&bundle_lock);
}

int shim_bundle_missing(void)
{
    try_bundle_once();
    return bundle_missing;
}

const struct ss_bundle *shim_bundle(char *why, size_t len)
{
    try_bundle_once();
    /* Written once under the lock above and never again. */
    if (bundle_usable)
        return &bundle;
    snprintf(why, len, "%s", bundle_why);
    return NULL;
}

/* Hotfix lines come from the configured bundle and, when `bundle` names
 * another directory, also from the installed default bundle: a user's own
 * entry bundle does not drop the installed long-sequence fix.  The
 * configured bundle's hotfix lines come first. */
static int default_tried;
static struct ss_bundle default_bundle;
static int default_usable;

static void open_default_bundle(void)
{
    char why[PATH_MAX + 512];
    if (strcmp(default_bundle_dir, bundle_dir) == 0)
        return;
    /* No installed bundle, or a broken one: nothing to add (its problems
     * are logged like the configured bundle's). */
    if (ss_plan_open_bundle(default_bundle_dir, &default_bundle, &trust, report_bundle_problem,
                            NULL, why, sizeof why, NULL) != 0)
        return;
    default_usable = default_bundle.nhotfixes > 0;
    if (default_usable)
        shim_log(SS_LOG_DEBUG, "hotfix lines also from the installed bundle %s (%s)",
                 default_bundle_dir,
                 default_bundle.manifest.label ? default_bundle.manifest.label : "(no label)");
    else
        ss_bundle_close(&default_bundle);
}

size_t shim_hotfix_bundles(const struct ss_bundle **out, size_t max)
{
    size_t n = 0;
    try_bundle_once();
    pthread_mutex_lock(&bundle_lock);
    if (!default_tried) {
        default_tried = 1;
        open_default_bundle();
    }
    pthread_mutex_unlock(&bundle_lock);
    /* Both written once under the lock above and never again. */
    if (bundle_usable && bundle.nhotfixes > 0 && n < max)
        out[n++] = &bundle;
    if (default_usable && n < max)
        out[n++] = &default_bundle;
    return n;
}

static void after_fork_in_child(void)
{
    pthread_mutex_init(&bundle_lock, NULL);
    /* A config load cut short by the fork (another thread was loading)
     * starts over; the half-filled config is dropped, not freed. */
    if (atomic_load(&config_state) == CONFIG_LOADING && !loading_on_this_thread) {
        memset(&config, 0, sizeof config);
        atomic_store(&config_state, CONFIG_NOT_LOADED);
    }
}

void shim_announce(void)
{
    if (atomic_load_explicit(&announced, memory_order_relaxed) ||
        atomic_exchange(&announced, 1))
        return;
    const struct ss_config *cfg = shim_config();
    if (cfg->mode == SS_MODE_OFF) {
        shim_log(SS_LOG_DEBUG, "mode off: passing everything through");
        return;
    }
    shim_log(SS_LOG_INFO, "mode=%s%s config=%s bundle=%s", ss_mode_name(cfg->mode),
             cfg->dry_run ? " (dry run)" : "", cfg->source ? cfg->source : "(defaults)",
             bundle_dir);
}

/* Nothing is written here for a healthy config: a process that never
 * touches CUDA or a watched module stays silent (shim_announce). */
__attribute__((constructor)) static void shim_state_start(void)
{
    const struct ss_config *cfg = shim_config();
    pthread_atfork(NULL, NULL, after_fork_in_child);
    report_config_problems();
    /* Mode off wraps nothing, so no event would ever come: its one line
     * (debug level only) is written now.  At debug level every process
     * says at once that it loaded the library. */
    if (cfg->mode == SS_MODE_OFF || cfg->log_level >= SS_LOG_DEBUG)
        shim_announce();
}
