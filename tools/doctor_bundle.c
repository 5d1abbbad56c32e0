/* doctor_bundle.c: the bundles doctor reads - each once, shown here and
 * used by the plans (doctor_plan.c) - and the "Bundle" section: every file
 * of the configured bundle and of the installed one (the hotfix lives
 * there), each counted as what it is: fatbin files (entry redirects) and
 * hotfix files (kernels replacing _fused's), intact or refused and why. */
#include "doctor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Messages ss_bundle_open reports, kept to be shown beside their file. */
static void keep_note(void *ctx, const char *file, int line, const char *message)
{
    struct doctor_bundle_notes *n = ctx;
    if (n->count == sizeof n->text / sizeof n->text[0])
        return;
    snprintf(n->text[n->count], sizeof n->text[0], "%s", message);
    n->manifest_line[n->count++] = line;
}

static void bundle_open(struct doctor_bundle *d)
{
    d->opened = 1;
    int rc = ss_plan_read_bundle(d->dir, &d->b, NULL, keep_note, &d->notes, d->why,
                                 sizeof d->why, &d->missing, &d->err);
    d->read = rc >= 0;
    d->usable = rc == 0;
}

struct doctor_bundles *doctor_bundles_open(const struct ss_config *cfg, const char *libdir)
{
    struct doctor_bundles *db = calloc(1, sizeof *db);
    if (!db)
        return NULL;
    /* The same defaults the preload library uses (shim/state.c). */
    ss_default_bundle_dir(libdir, db->installed.dir, sizeof db->installed.dir);
    snprintf(db->configured.dir, sizeof db->configured.dir, "%s",
             cfg->bundle && cfg->bundle[0] ? cfg->bundle : db->installed.dir);
    bundle_open(&db->configured);
    if (strcmp(db->configured.dir, db->installed.dir) != 0)
        bundle_open(&db->installed);
    return db;
}

void doctor_bundles_close(struct doctor_bundles *db)
{
    if (!db)
        return;
    if (db->configured.read)
        ss_bundle_close(&db->configured.b);
    if (db->installed.read)
        ss_bundle_close(&db->installed.b);
    free(db);
}

/* The note about `file` ("FILE: sha256 mismatch ...; file refused"). */
static const char *note_for(const struct doctor_bundle_notes *n, const char *file)
{
    size_t len = strlen(file);
    for (size_t i = 0; i < n->count; i++)
        if (strncmp(n->text[i], file, len) == 0 && n->text[i][len] == ':')
            return n->text[i] + len + 2;
    return NULL;
}

static int usable(const struct ss_bundle_file *files, size_t n, const struct ss_manifest_item *it)
{
    for (size_t i = 0; i < n; i++)
        if (files[i].item == it)
            return 1;
    return 0;
}

static void print_archs(const struct ss_manifest_item *it)
{
    for (size_t a = 0; a < it->narchs; a++)
        printf("%s%u", a ? "," : " ", it->archs[a]);
}

/* One bundle directory, as read.  `role`: "configured" or "installed". */
static void show_bundle(struct findings *f, const struct ss_config *cfg,
                        const struct doctor_bundle *d, const char *role)
{
    char shown[PATH_MAX + 64];
    doctor_pretty_path(d->dir, shown, sizeof shown);
    int needed = cfg->mode != SS_MODE_OFF;
    if (d->missing) {
        /* No bundle at all is a normal install for entry redirects: the
         * repair needs none; the hotfix verdict says what it means there. */
        printf("  note: no %s bundle at %s%s\n", role, shown,
               strcmp(role, "configured") == 0
                   ? ": watched modules keep their original kernels (the repair needs no bundle)"
                   : "");
        return;
    }
    const struct doctor_bundle_notes *notes = &d->notes;
    const struct ss_bundle *b = &d->b;
    if (!d->read) {
        char text[320];
        ss_error_format(&d->err, text, sizeof text);
        if (needed)
            problem(f, "%s bundle %s cannot be used: %s; remedy: rebuild it with `sageshim "
                    "bundle` (or reinstall sageshim for the installed one)", role, shown, text);
        else
            printf("  %s bundle %s cannot be used: %s (mode off: not needed)\n", role, shown,
                   text);
        return;
    }
    size_t fat_total = b->manifest.nitems, fat_ok = b->nfiles;
    size_t hot_total = b->manifest.nhotfixes, hot_ok = b->nhotfixes;
    unsigned hot_kernels = 0;
    for (size_t i = 0; i < b->nhotfixes; i++)
        hot_kernels += b->hotfixes[i].item->kernels;
    printf("  %s bundle %s: label %s; %zu fatbin file%s (%zu intact), %zu hotfix file%s "
           "(%zu intact, %u kernels)\n", role, shown,
           b->manifest.label ? b->manifest.label : "(none)", fat_total, fat_total == 1 ? "" : "s",
           fat_ok, hot_total, hot_total == 1 ? "" : "s", hot_ok, hot_kernels);
    for (size_t i = 0; i < b->manifest.nitems; i++) {
        const struct ss_manifest_item *it = &b->manifest.items[i];
        printf("    fatbin %s: module %s, %u kernels, archs", it->file, it->module, it->kernels);
        print_archs(it);
        int ok = usable(b->files, b->nfiles, it);
        const char *why = note_for(notes, it->file);
        printf(": %s%s%s\n", ok ? "intact" : "REFUSED", why ? ": " : "", why ? why : "");
        if (!ok && needed)
            problem(f, "bundle file %s/%s: %s, so %s keeps its original kernels; remedy: "
                    "rebuild the bundle with `sageshim bundle`", shown, it->file,
                    why ? why : "refused", it->module);
    }
    for (size_t i = 0; i < b->manifest.nhotfixes; i++) {
        const struct ss_manifest_item *it = &b->manifest.hotfixes[i];
        printf("    hotfix %s: for modules", it->file);
        for (size_t g = 0; g < it->nglobs; g++)
            printf(" %s", it->globs[g]);
        printf(", %u kernels, archs", it->kernels);
        print_archs(it);
        int ok = usable(b->hotfixes, b->nhotfixes, it);
        const char *why = note_for(notes, it->file);
        printf(": %s%s%s\n", ok ? "intact" : "TAMPERED or damaged, refused", why ? ": " : "",
               why ? why : "");
        if (!ok && needed && cfg->hotfix)
            problem(f, "hotfix file %s/%s: %s, so the _fused kernels keep their 32-bit "
                    "offsets; remedy: reinstall sageshim (`make install`) to restore it",
                    shown, it->file, why ? why : "refused");
    }
    /* Problems with MANIFEST lines themselves (not with a file). */
    for (size_t i = 0; i < notes->count; i++)
        if (notes->manifest_line[i] > 0 && needed)
            problem(f, "%s/MANIFEST:%d: %s", shown, notes->manifest_line[i], notes->text[i]);
    if (fat_total == 0 && hot_total > 0)
        printf("    no fatbin lines: no entry redirect from this bundle (hotfix only)\n");
}

void doctor_report_bundles(struct findings *f, const struct ss_config *cfg,
                           const struct doctor_bundles *db)
{
    printf("Bundle\n");
    show_bundle(f, cfg, &db->configured,
                cfg->bundle && cfg->bundle[0] ? "configured" : "installed");
    /* The installed bundle's hotfix lines count even when `bundle` names
     * another directory. */
    if (db->installed.opened)
        show_bundle(f, cfg, &db->installed, "installed");
}

void doctor_pretty_path(const char *path, char *out, size_t len)
{
    char real[PATH_MAX];
    if (realpath(path, real)) {
        snprintf(out, len, "%s", real);
        return;
    }
    /* Lexically: drop "." and "x/.." (the path does not exist, so no link
     * can make that wrong in a way that matters for a message). */
    char work[PATH_MAX];
    snprintf(work, sizeof work, "%s", path);
    const char *parts[PATH_MAX / 2];
    size_t n = 0;
    int absolute = work[0] == '/';
    for (char *save = NULL, *p = strtok_r(work, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (strcmp(p, ".") == 0)
            continue;
        if (strcmp(p, "..") == 0 && n > 0 && strcmp(parts[n - 1], "..") != 0) {
            n--;
            continue;
        }
        if (n < sizeof parts / sizeof parts[0])
            parts[n++] = p;
    }
    out[0] = '\0';
    if (absolute)
        ss_append(out, len, "/");
    for (size_t i = 0; i < n; i++)
        ss_append(out, len, "%s%s", i ? "/" : "", parts[i]);
    if (!out[0])
        ss_append(out, len, ".");
}
