/* bundle_cmd.c: `sageshim bundle --from PATH --out DIR [--label TEXT]
 * [--sm 90,120]` - build a bundle (MANIFEST + one .fatbin per extension
 * module) from a package directory, a single .so or a wheel. */
#include "tools.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

struct bundle_options {
    const char *from, *out, *label;
    int force;               /* replace the bundle already in --out */
    unsigned sms[SS_MAX_ARCHS];
    size_t nsms;             /* 0: every architecture */
};

/* What one module contributes to the bundle. */
struct bundle_piece {
    const struct ext_module *module;
    uint8_t *fatbin;         /* containers back to back, owned */
    size_t len;
    unsigned archs[SS_MAX_ARCHS];
    size_t narchs;
    unsigned kernels;
};

static void bundle_usage(FILE *out)
{
    fprintf(out,
            "usage: sageshim bundle --from PATH --out DIR [--label TEXT] [--sm LIST] [--force]\n"
            "Build a bundle (MANIFEST + one .fatbin per extension module) from the CUDA code of\n"
            "a SageAttention build, for `bundle =` in sageshim.conf.\n"
            "\n"
            "options:\n"
            "  --from PATH   a package directory, an extension module (.so) or a wheel (.whl)\n"
            "  --out DIR     the bundle directory to create (absolute paths suit sageshim.conf)\n"
            "  --label TEXT  one line naming the source, shown in the log (default: unknown)\n"
            "  --sm LIST     keep only these architectures: 90, 9.0, sm_90 or sm_90a, comma-\n"
            "                separated (default: every architecture present)\n"
            "  --force       DIR already holds a bundle: replace it (its MANIFEST and .fatbin\n"
            "                files are removed first, so nothing stale remains)\n"
            "  -h, --help    this text\n"
            "\n"
            "example:\n"
            "  sageshim bundle --from ~/src/SageAttention/build/lib.linux-x86_64-cpython-312/"
            "sageattention \\\n"
            "      --out /opt/sageshim/kernels-68de379 --label 68de379 --sm 90,120\n");
}

static int wanted(const struct bundle_options *o, const struct ss_entry *e)
{
    if (e->kind != SS_KIND_ELF && e->kind != SS_KIND_PTX)
        return 0;
    if (o->nsms == 0)
        return 1;
    for (size_t i = 0; i < o->nsms; i++)
        if (o->sms[i] == e->sm)
            return 1;
    return 0;
}

static void add_arch(struct bundle_piece *p, unsigned sm)
{
    size_t at = 0;
    while (at < p->narchs && p->archs[at] < sm)
        at++;
    if ((at < p->narchs && p->archs[at] == sm) || p->narchs == SS_MAX_ARCHS)
        return;
    memmove(p->archs + at + 1, p->archs + at, (p->narchs - at) * sizeof *p->archs);
    p->archs[at] = sm;
    p->narchs++;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Distinct kernel names among the kept entries. */
static unsigned count_kernels(const struct bundle_options *o, const struct ss_image *image)
{
    unsigned count = 0;
    for (size_t c = 0; c < image->ncontainers; c++) {
        const struct ss_container *ct = &image->containers[c];
        for (size_t e = 0; e < ct->nentries; e++) {
            const struct ss_entry *en = &ct->entries[e];
            if (!wanted(o, en))
                continue;
            for (size_t k = 0; k < en->nkernels; k++) {
                const char *name = en->kernels[k].name;
                int seen = 0;
                /* Seen in an earlier kept entry of any container? */
                for (size_t c2 = 0; c2 <= c && !seen; c2++) {
                    const struct ss_container *ct2 = &image->containers[c2];
                    size_t last = c2 == c ? e : ct2->nentries;
                    for (size_t e2 = 0; e2 < last && !seen; e2++)
                        seen = wanted(o, &ct2->entries[e2])
                               && ss_entry_find_kernel(&ct2->entries[e2], name) != NULL;
                }
                count += !seen;
            }
        }
    }
    return count;
}

/* Rebuild each container with only the wanted entries' stored bytes
 * (compression kept), back to back.  0 with len 0 when nothing is wanted. */
static int build_fatbin(const struct bundle_options *o, const struct ss_image *image,
                        struct bundle_piece *p)
{
    size_t total = 0;
    for (size_t c = 0; c < image->ncontainers; c++) {
        const struct ss_container *ct = &image->containers[c];
        size_t kept = 0;
        for (size_t e = 0; e < ct->nentries; e++)
            if (wanted(o, &ct->entries[e]))
                kept += ct->entries[e].size;
        total += kept ? 16 + kept : 0;
    }
    if (total == 0)
        return 0;
    p->fatbin = malloc(total);
    if (!p->fatbin)
        return -1;
    size_t at = 0;
    for (size_t c = 0; c < image->ncontainers; c++) {
        const struct ss_container *ct = &image->containers[c];
        size_t header = at, kept = 0;
        at += 16;
        for (size_t e = 0; e < ct->nentries; e++) {
            const struct ss_entry *en = &ct->entries[e];
            if (!wanted(o, en))
                continue;
            memcpy(p->fatbin + at, en->bytes, en->size);
            at += en->size;
            kept += en->size;
            add_arch(p, en->sm);
        }
        if (kept == 0) {
            at = header;
            continue;
        }
        uint8_t *h = p->fatbin + header;
        uint32_t magic = SS_CONTAINER_MAGIC;
        for (int i = 0; i < 4; i++)
            h[i] = (uint8_t)(magic >> (8 * i));
        h[4] = 1;     /* version */
        h[5] = 0;
        h[6] = 16;    /* header size */
        h[7] = 0;
        put64(h + 8, kept);
    }
    p->len = at;
    return 0;
}

static void arch_list_text(const unsigned *archs, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : "", archs[i]);
}

static int make_directory(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return -1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return -1;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t written = fwrite(data, 1, len, f);
    int closed = fclose(f);
    if (written != len || closed != 0) {
        fprintf(stderr, "sageshim bundle: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct bundle_options *o)
{
    memset(o, 0, sizeof *o);
    o->label = "unknown";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            bundle_usage(stdout);
            return 1;
        }
        if (strcmp(arg, "--force") == 0) {
            o->force = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "sageshim bundle: %s: unknown option or missing value\n", arg);
            return -1;
        }
        const char *value = argv[++i];
        if (strcmp(arg, "--from") == 0)
            o->from = value;
        else if (strcmp(arg, "--out") == 0)
            o->out = value;
        else if (strcmp(arg, "--label") == 0)
            o->label = value;
        else if (strcmp(arg, "--sm") == 0) {
            if (parse_sm_list(value, o->sms, SS_MAX_ARCHS, &o->nsms) < 0) {
                fprintf(stderr, "sageshim bundle: bad --sm list '%s' (expected e.g. 90,120)\n",
                        value);
                return -1;
            }
        } else {
            fprintf(stderr, "sageshim bundle: unknown option %s\n", arg);
            return -1;
        }
    }
    if (!o->from || !o->out) {
        fprintf(stderr, "sageshim bundle: --from and --out are required\n");
        return -1;
    }
    if (strpbrk(o->label, "\n\r")) {
        fprintf(stderr, "sageshim bundle: --label must be one line\n");
        return -1;
    }
    return 0;
}

/* Every requested SM must come from some module; refuse otherwise. */
static int check_coverage(const struct bundle_options *o, const struct bundle_piece *pieces,
                          size_t npieces)
{
    int ok = 1;
    for (size_t s = 0; s < o->nsms; s++) {
        int found = 0;
        for (size_t i = 0; i < npieces && !found; i++)
            for (size_t a = 0; a < pieces[i].narchs; a++)
                found |= pieces[i].archs[a] == o->sms[s];
        if (!found) {
            fprintf(stderr, "sageshim bundle: %s has no sm_%u code (no ELF or PTX entry for "
                            "SM %u in any extension module); rebuild it for that architecture "
                            "or leave sm_%u out of --sm\n", o->from, o->sms[s], o->sms[s],
                    o->sms[s]);
            ok = 0;
        }
    }
    if (npieces == 0 && o->nsms == 0) {
        fprintf(stderr, "sageshim bundle: %s holds no CUDA code\n", o->from);
        ok = 0;
    }
    return ok;
}

/* A bundle's own files: what --force may remove. */
static int is_bundle_file(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "MANIFEST") == 0 || (n > 7 && strcmp(name + n - 7, ".fatbin") == 0);
}

/* --out must not exist, be empty, or (with --force) hold only a bundle,
 * which is then removed: a rebuilt bundle keeps no stale fatbin, and
 * nothing else in a mistyped directory is ever deleted. */
static int prepare_out(const struct bundle_options *o)
{
    struct stat st;
    if (stat(o->out, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "sageshim bundle: --out %s exists and is not a directory\n", o->out);
        return -1;
    }
    DIR *d = opendir(o->out);
    if (!d) {
        fprintf(stderr, "sageshim bundle: cannot read %s: %s\n", o->out, strerror(errno));
        return -1;
    }
    int entries = 0, foreign = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        entries++;
        if (!is_bundle_file(e->d_name) && !foreign++)
            fprintf(stderr, "sageshim bundle: %s holds %s, which is not part of a bundle; "
                            "choose another --out (nothing was removed)\n", o->out, e->d_name);
    }
    if (foreign || entries == 0 || !o->force) {
        closedir(d);
        if (!foreign && entries)
            fprintf(stderr, "sageshim bundle: %s already holds a bundle; pass --force to "
                            "replace it\n", o->out);
        return foreign || entries ? -1 : 0;
    }
    rewinddir(d);
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (!is_bundle_file(e->d_name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", o->out, e->d_name);
        if (unlink(path) != 0) {
            fprintf(stderr, "sageshim bundle: cannot remove %s: %s\n", path, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    if (rc == 0)
        printf("replacing the bundle in %s\n", o->out);
    return rc;
}

static int write_bundle(const struct bundle_options *o, struct bundle_piece *pieces,
                        size_t npieces)
{
    if (make_directory(o->out) < 0) {
        fprintf(stderr, "sageshim bundle: cannot create %s: %s\n", o->out, strerror(errno));
        return -1;
    }
    struct ss_manifest m = { .label = (char *)o->label, .nitems = npieces,
                             .items = calloc(npieces ? npieces : 1,
                                             sizeof(struct ss_manifest_item)) };
    if (!m.items)
        return -1;
    int rc = 0;
    printf("bundle %s (label %s):\n", o->out, o->label);
    for (size_t i = 0; i < npieces && rc == 0; i++) {
        struct bundle_piece *p = &pieces[i];
        struct ss_manifest_item *item = &m.items[i];
        size_t need = strlen(p->module->name) + sizeof ".fatbin";
        item->file = malloc(need);
        if (!item->file) {
            rc = -1;
            break;
        }
        snprintf(item->file, need, "%s.fatbin", p->module->name);
        item->module = p->module->name;
        memcpy(item->archs, p->archs, sizeof item->archs);
        item->narchs = p->narchs;
        item->kernels = p->kernels;
        ss_sha256_hex(p->fatbin, p->len, item->sha256);
        rc = write_file(o->out, item->file, p->fatbin, p->len);
        char archs[64];
        arch_list_text(p->archs, p->narchs, archs, sizeof archs);
        printf("  %-28s archs %-8s kernels %-4u %zu bytes  from %s\n", item->file, archs,
               p->kernels, p->len, p->module->path);
    }
    char *text = rc == 0 ? ss_manifest_format(&m) : NULL;
    if (rc == 0 && (!text || write_file(o->out, "MANIFEST", text, strlen(text)) < 0))
        rc = -1;
    if (rc == 0)
        printf("wrote %s/MANIFEST: %zu fatbin%s\n", o->out, npieces, npieces == 1 ? "" : "s");
    free(text);
    for (size_t i = 0; i < npieces; i++)
        free(m.items[i].file);
    free(m.items);
    return rc;
}

int cmd_bundle(int argc, char **argv)
{
    struct bundle_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) {
        if (parsed < 0)
            bundle_usage(stderr);
        return parsed > 0 ? EXIT_HEALTHY : EXIT_UNREADABLE;
    }
    struct ext_module_list modules;
    struct ss_error err;
    if (collect_modules(o.from, &modules, &err) < 0) {
        report_input_error(o.from, &err);
        free_modules(&modules);
        return EXIT_UNREADABLE;
    }
    if (modules.count == 0) {
        fprintf(stderr, "sageshim bundle: no extension modules (*.so) found in %s\n", o.from);
        free_modules(&modules);
        return EXIT_PROBLEM;
    }
    struct bundle_piece *pieces = calloc(modules.count ? modules.count : 1, sizeof *pieces);
    if (!pieces) {
        free_modules(&modules);
        return EXIT_UNREADABLE;
    }
    size_t npieces = 0;
    int status = EXIT_HEALTHY;
    for (size_t i = 0; i < modules.count && status == EXIT_HEALTHY; i++) {
        const struct ext_module *mod = &modules.items[i];
        struct ss_image image;
        if (ss_image_parse(mod->bytes, mod->len, &image, &err) < 0) {
            printf("skipped %s: no CUDA code\n", mod->path);
            continue;
        }
        struct bundle_piece *p = &pieces[npieces];
        memset(p, 0, sizeof *p);
        p->module = mod;
        if (build_fatbin(&o, &image, p) < 0) {
            fprintf(stderr, "sageshim bundle: out of memory\n");
            status = EXIT_UNREADABLE;
        } else if (p->len == 0) {
            printf("skipped %s: none of the requested architectures\n", mod->path);
        } else {
            p->kernels = count_kernels(&o, &image);
            for (size_t j = 0; j < npieces; j++) {
                if (strcmp(pieces[j].module->name, mod->name) == 0) {
                    fprintf(stderr, "sageshim bundle: two modules named %s: %s and %s\n",
                            mod->name, pieces[j].module->path, mod->path);
                    status = EXIT_PROBLEM;
                }
            }
            npieces++;
        }
        ss_image_free(&image);
    }
    if (status == EXIT_HEALTHY && !check_coverage(&o, pieces, npieces))
        status = EXIT_PROBLEM;
    if (status == EXIT_HEALTHY && prepare_out(&o) < 0)
        status = EXIT_PROBLEM;
    if (status == EXIT_HEALTHY && write_bundle(&o, pieces, npieces) < 0)
        status = EXIT_PROBLEM;
    for (size_t i = 0; i <= npieces && i < modules.count; i++)
        free(pieces[i].fatbin);
    free(pieces);
    free_modules(&modules);
    return status;
}
