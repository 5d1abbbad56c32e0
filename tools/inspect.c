/* inspect.c: `sageshim inspect [--json] FILE...` - containers, entries and
 * kernels with their parameter layouts, as a table or as JSON. */
#include "tools.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Bytes of the payload once decoded: the header's uncompressed size for
 * compressed entries, the stored size otherwise. */
static uint64_t decoded_size(const struct ss_entry *e)
{
    return e->compression == SS_COMPRESS_NONE ? e->payload_size : e->uncompressed_size;
}

static void describe_flags(uint64_t flags, char *buf, size_t len)
{
    static const struct { uint64_t bit; const char *name; } names[] = {
        { SS_FLAG_64BIT, "64bit" }, { SS_FLAG_DEBUG, "debug" },
        { SS_FLAG_LZ4, "lz4" }, { SS_FLAG_ZSTD, "zstd" },
        { SS_FLAG_ARCH_SPECIFIC, "arch-specific" }, { SS_FLAG_FAMILY, "family" },
    };
    size_t used = (size_t)snprintf(buf, len, "0x%llx", (unsigned long long)flags);
    const char *sep = " [";
    for (size_t i = 0; i < sizeof names / sizeof *names && used < len; i++) {
        if (!(flags & names[i].bit))
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s", sep, names[i].name);
        sep = ",";
    }
    if (sep[0] == ',' && used < len)
        snprintf(buf + used, len - used, "]");
}

static void print_kernel_text(const struct ss_kernel *k)
{
    printf("      kernel %s%s\n", k->name, k->is_local ? " (local)" : "");
    printf("        params");
    if (k->nparams == 0)
        printf(" none");
    for (unsigned i = 0; i < k->nparams; i++)
        printf(" %u:%u/%u", k->params[i].ordinal, k->params[i].offset, k->params[i].size);
    printf("\n        param_size ");
    if (k->has_param_size)
        printf("%u", k->param_size);
    else
        printf("-");
    printf("  max_threads %u,%u,%u  cluster_dims %u,%u,%u  static_smem ",
           k->max_threads[0], k->max_threads[1], k->max_threads[2],
           k->cluster_dims[0], k->cluster_dims[1], k->cluster_dims[2]);
    if (k->has_static_smem)
        printf("%llu\n", (unsigned long long)k->static_smem);
    else
        printf("-\n");
}

static void print_entry_text(size_t index, const struct ss_entry *e)
{
    char arch[32], flags[160];
    ss_entry_arch_name(e, arch, sizeof arch);
    describe_flags(e->flags, flags, sizeof flags);
    printf("    entry %zu: %-5s %-12s compression %-4s  stored %llu  compressed %u  "
           "uncompressed %llu  flags %s\n",
           index, ss_kind_name(e->kind), arch, ss_compression_name(e->compression),
           (unsigned long long)e->payload_size, e->compressed_size,
           (unsigned long long)decoded_size(e), flags);
    /* Which toolkit generation built a cubin: ABI 1 up to CUDA 12.x. */
    if (e->kind == SS_KIND_ELF && e->cubin.abi)
        printf("      elf abi %d (osabi 0x%x)\n", e->cubin.abi, e->cubin.abi == 1 ? 0x33 : 0x41);
    if (e->note[0])
        printf("      note: %s\n", e->note);
    if (!e->kernels_read)
        return;
    if (e->nkernels == 0)
        printf("      (no kernels)\n");
    for (size_t k = 0; k < e->nkernels; k++)
        print_kernel_text(&e->kernels[k]);
}

static void print_image_text(const char *path, const struct ss_image *image)
{
    printf("%s: %zu container%s\n", path, image->ncontainers, image->ncontainers == 1 ? "" : "s");
    for (size_t c = 0; c < image->ncontainers; c++) {
        const struct ss_container *ct = &image->containers[c];
        printf("  container %zu: origin %s%s%s  offset 0x%zx  size %zu  entries %zu\n",
               c, origin_name(ct->origin), ct->section[0] ? "  section " : "", ct->section,
               ct->offset, ct->size, ct->nentries);
        for (size_t e = 0; e < ct->nentries; e++)
            print_entry_text(e, &ct->entries[e]);
    }
    for (size_t n = 0; n < image->nnotes; n++)
        printf("  note: %s\n", image->notes[n]);
}

static void json_triple(struct json_writer *w, const unsigned v[3])
{
    json_begin_array(w);
    for (int i = 0; i < 3; i++)
        json_uint(w, v[i]);
    json_end_array(w);
}

static void write_kernel_json(struct json_writer *w, const struct ss_kernel *k)
{
    json_begin_object(w);
    json_key(w, "name");
    json_string(w, k->name);
    json_key(w, "local");
    json_bool(w, k->is_local);
    json_key(w, "params");
    json_begin_array(w);
    for (unsigned i = 0; i < k->nparams; i++) {
        json_begin_object(w);
        json_key(w, "ordinal");
        json_uint(w, k->params[i].ordinal);
        json_key(w, "offset");
        json_uint(w, k->params[i].offset);
        json_key(w, "size");
        json_uint(w, k->params[i].size);
        json_end_object(w);
    }
    json_end_array(w);
    json_key(w, "param_size");
    if (k->has_param_size)
        json_uint(w, k->param_size);
    else
        json_null(w);
    json_key(w, "max_threads");
    json_triple(w, k->max_threads);
    json_key(w, "cluster_dims");
    json_triple(w, k->cluster_dims);
    json_key(w, "static_smem");
    if (k->has_static_smem)
        json_uint(w, k->static_smem);
    else
        json_null(w);
    json_end_object(w);
}

static void write_entry_json(struct json_writer *w, const struct ss_entry *e)
{
    char arch[32];
    ss_entry_arch_name(e, arch, sizeof arch);
    json_begin_object(w);
    json_key(w, "kind");
    json_string(w, ss_kind_name(e->kind));
    json_key(w, "sm");
    json_uint(w, e->sm);
    json_key(w, "variant");
    json_string(w, variant_name(e->variant));
    json_key(w, "arch");
    json_string(w, arch);
    json_key(w, "compression");
    json_string(w, ss_compression_name(e->compression));
    json_key(w, "flags");
    json_uint(w, e->flags);
    json_key(w, "elf_abi");
    if (e->kind == SS_KIND_ELF && e->cubin.abi)
        json_uint(w, (unsigned)e->cubin.abi);
    else
        json_null(w);
    json_key(w, "sizes");
    json_begin_object(w);
    json_key(w, "stored");
    json_uint(w, e->payload_size);
    json_key(w, "compressed");
    json_uint(w, e->compressed_size);
    json_key(w, "uncompressed");
    json_uint(w, decoded_size(e));
    json_end_object(w);
    json_key(w, "kernels_read");
    json_bool(w, e->kernels_read);
    json_key(w, "kernels");
    json_begin_array(w);
    for (size_t k = 0; e->kernels_read && k < e->nkernels; k++)
        write_kernel_json(w, &e->kernels[k]);
    json_end_array(w);
    json_key(w, "note");
    json_string(w, e->note);
    json_end_object(w);
}

static void write_image_json(struct json_writer *w, const char *path,
                             const struct ss_image *image, const char *error)
{
    json_begin_object(w);
    json_key(w, "path");
    json_string(w, path);
    if (error) {
        json_key(w, "error");
        json_string(w, error);
    }
    json_key(w, "containers");
    json_begin_array(w);
    for (size_t c = 0; image && c < image->ncontainers; c++) {
        const struct ss_container *ct = &image->containers[c];
        json_begin_object(w);
        json_key(w, "origin");
        json_string(w, origin_name(ct->origin));
        json_key(w, "section");
        json_string(w, ct->section);
        json_key(w, "offset");
        json_uint(w, ct->offset);
        json_key(w, "size");
        json_uint(w, ct->size);
        json_key(w, "entries");
        json_begin_array(w);
        for (size_t e = 0; e < ct->nentries; e++)
            write_entry_json(w, &ct->entries[e]);
        json_end_array(w);
        json_end_object(w);
    }
    json_end_array(w);
    json_key(w, "notes");
    json_begin_array(w);
    for (size_t n = 0; image && n < image->nnotes; n++)
        json_string(w, image->notes[n]);
    json_end_array(w);
    json_end_object(w);
}

static void inspect_usage(FILE *out)
{
    fprintf(out,
            "usage: sageshim inspect [--json] FILE|BUNDLE_DIR...\n"
            "List the fatbin containers, entries (architecture, ELF or PTX) and kernels of\n"
            "extension modules (.so), executables, object files, fatbins, cubins and PTX\n"
            "files; for a bundle directory (with a MANIFEST), its lines and the kernels each\n"
            "hotfix covers.  Not wheels nor package directories: `sageshim bundle --from`\n"
            "reads those.\n"
            "\n"
            "options:\n"
            "  --json        one JSON document instead of text\n"
            "  -h, --help    this text\n"
            "\n"
            "example:\n"
            "  sageshim inspect site-packages/sageattention/_qattn_sm90*.so\n"
            "  sageshim inspect /usr/local/share/sageshim/kernels\n");
}

int cmd_inspect(int argc, char **argv)
{
    int as_json = 0;
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            inspect_usage(stdout);
            return EXIT_HEALTHY;
        } else if (strcmp(argv[i], "--") == 0) {
            first_file = i + 1;
            break;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "sageshim inspect: unknown option %s\n", argv[i]);
            inspect_usage(stderr);
            return EXIT_UNREADABLE;
        } else {
            first_file = i;
            break;
        }
    }
    /* Options may also follow the files ("inspect a.so --json"). */
    for (int i = first_file; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            as_json = 1;
    int nfiles = 0;
    for (int i = first_file; i < argc; i++)
        nfiles += strcmp(argv[i], "--json") != 0;
    if (nfiles == 0) {
        inspect_usage(stderr);
        return EXIT_UNREADABLE;
    }

    struct json_writer w;
    json_init(&w, stdout);
    if (as_json) {
        json_begin_object(&w);
        json_key(&w, "files");
        json_begin_array(&w);
    }
    int status = EXIT_HEALTHY;
    for (int i = first_file; i < argc; i++) {
        const char *path = argv[i];
        if (strcmp(path, "--json") == 0)
            continue;
        /* A bundle directory: its MANIFEST, hotfixes and what they cover. */
        struct stat st;
        char manifest[4200];
        snprintf(manifest, sizeof manifest, "%s/MANIFEST", path);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && stat(manifest, &st) == 0) {
            int s = inspect_bundle(path, as_json ? &w : NULL);
            if (s > status)
                status = s;
            continue;
        }
        uint8_t *bytes = NULL;
        size_t len = 0;
        struct ss_error err;
        struct ss_image image;
        memset(&image, 0, sizeof image);
        int ok = ss_read_file(path, &bytes, &len, &err) == 0
                 && ss_image_parse(bytes, len, &image, &err) == 0;
        if (!ok) {
            report_input_error(path, &err);
            status = EXIT_UNREADABLE;
            if (as_json) {
                char text[320];
                ss_error_format(&err, text, sizeof text);
                write_image_json(&w, path, NULL, text);
            }
        } else if (as_json) {
            write_image_json(&w, path, &image, NULL);
        } else {
            print_image_text(path, &image);
        }
        if (ok)
            ss_image_free(&image);
        free(bytes);
    }
    if (as_json) {
        json_end_array(&w);
        json_end_object(&w);
        json_finish(&w);
    }
    return status;
}
