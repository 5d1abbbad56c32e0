/* inspect_bundle.c: `sageshim inspect DIR` for a bundle directory - its
 * MANIFEST lines, which files are intact, and for each hotfix file the
 * modules it is for and the kernels it covers (per architecture). */
#include "tools.h"
#include "json.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Distinct kernel names of a file's first container (the one the driver
 * loads), each once, with the archs of the entries that have it. */
static void each_kernel(const struct ss_bundle_file *f,
                        void (*fn)(void *ctx, const char *name, const char *archs), void *ctx)
{
    if (f->image.ncontainers == 0)
        return;
    const struct ss_container *c = &f->image.containers[0];
    for (size_t e = 0; e < c->nentries; e++) {
        for (size_t k = 0; c->entries[e].kernels_read && k < c->entries[e].nkernels; k++) {
            const char *name = c->entries[e].kernels[k].name;
            int earlier = 0;
            for (size_t p = 0; p < e && !earlier; p++)
                earlier = c->entries[p].kernels_read &&
                          ss_entry_find_kernel(&c->entries[p], name) != NULL;
            if (earlier)
                continue;
            char archs[256] = "";
            for (size_t q = e; q < c->nentries; q++) {
                if (!c->entries[q].kernels_read || !ss_entry_find_kernel(&c->entries[q], name))
                    continue;
                char arch[32];
                ss_entry_arch_name(&c->entries[q], arch, sizeof arch);
                ss_append(archs, sizeof archs, "%s%s", archs[0] ? "," : "", arch);
            }
            fn(ctx, name, archs);
        }
    }
}

static void print_kernel(void *ctx, const char *name, const char *archs)
{
    printf("    covers %s (%s)\n", name, archs);
}

static void json_kernel(void *ctx, const char *name, const char *archs)
{
    struct json_writer *w = ctx;
    json_begin_object(w);
    json_key(w, "name");
    json_string(w, name);
    json_key(w, "archs");
    json_string(w, archs);
    json_end_object(w);
}

static const struct ss_bundle_file *opened(const struct ss_bundle_file *files, size_t n,
                                           const struct ss_manifest_item *item)
{
    for (size_t i = 0; i < n; i++)
        if (files[i].item == item)
            return &files[i];
    return NULL;
}

static void print_bundle(const struct ss_bundle *b)
{
    printf("%s: bundle, label %s\n", b->dir, b->manifest.label ? b->manifest.label : "(none)");
    for (size_t i = 0; i < b->manifest.nitems; i++) {
        const struct ss_manifest_item *it = &b->manifest.items[i];
        printf("  fatbin %s: module %s, %u kernels, %s\n", it->file, it->module, it->kernels,
               opened(b->files, b->nfiles, it) ? "intact" : "REFUSED");
    }
    for (size_t i = 0; i < b->manifest.nhotfixes; i++) {
        const struct ss_manifest_item *it = &b->manifest.hotfixes[i];
        const struct ss_bundle_file *f = opened(b->hotfixes, b->nhotfixes, it);
        printf("  hotfix %s: for modules", it->file);
        for (size_t g = 0; g < it->nglobs; g++)
            printf(" %s", it->globs[g]);
        printf(", %u kernels, %s\n", it->kernels, f ? "intact" : "REFUSED");
        if (f)
            each_kernel(f, print_kernel, NULL);
    }
}

static void write_bundle_json(struct json_writer *w, const struct ss_bundle *b)
{
    json_begin_object(w);
    json_key(w, "path");
    json_string(w, b->dir);
    json_key(w, "label");
    if (b->manifest.label)
        json_string(w, b->manifest.label);
    else
        json_null(w);
    json_key(w, "hotfixes");
    json_begin_array(w);
    for (size_t i = 0; i < b->manifest.nhotfixes; i++) {
        const struct ss_manifest_item *it = &b->manifest.hotfixes[i];
        const struct ss_bundle_file *f = opened(b->hotfixes, b->nhotfixes, it);
        json_begin_object(w);
        json_key(w, "file");
        json_string(w, it->file);
        json_key(w, "modules");
        json_begin_array(w);
        for (size_t g = 0; g < it->nglobs; g++)
            json_string(w, it->globs[g]);
        json_end_array(w);
        json_key(w, "intact");
        json_bool(w, f != NULL);
        json_key(w, "kernels");
        json_begin_array(w);
        if (f)
            each_kernel(f, json_kernel, w);
        json_end_array(w);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
}

static void report_problem(void *ctx, const char *file, int line, const char *message)
{
    /* Room for a whole path and a whole diagnostic (lib/base/error.c: 768). */
    char text[PATH_MAX + 1024];
    ss_problem_line(text, sizeof text, file, line, message);
    fprintf(stderr, "sageshim: %s\n", text);
}

int inspect_bundle(const char *dir, struct json_writer *w)
{
    struct ss_bundle b;
    struct ss_error err;
    memset(&err, 0, sizeof err);
    if (ss_bundle_open(dir, &b, report_problem, NULL, &err) != 0) {
        report_input_error(dir, &err);
        return EXIT_UNREADABLE;
    }
    if (w)
        write_bundle_json(w, &b);
    else
        print_bundle(&b);
    int refused = b.nfiles < b.manifest.nitems || b.nhotfixes < b.manifest.nhotfixes;
    ss_bundle_close(&b);
    return refused ? EXIT_PROBLEM : EXIT_HEALTHY;
}
