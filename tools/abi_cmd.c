/* abi_cmd.c: `sageshim abi ORIGINAL REPLACEMENT [--sm 90[,120]]` - may the
 * replacement's kernels stand in for the original's on each architecture? */
#include "tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loaded_image {
    uint8_t *bytes;
    size_t len;
    struct ss_image image;
    int parsed;
};

static int load_image(const char *path, struct loaded_image *li)
{
    memset(li, 0, sizeof *li);
    struct ss_error err;
    if (ss_read_file(path, &li->bytes, &li->len, &err) < 0
        || ss_image_parse(li->bytes, li->len, &li->image, &err) < 0) {
        report_input_error(path, &err);
        return -1;
    }
    li->parsed = 1;
    /* Entries left out (a decompression budget spent, a payload that could
     * not be read) explain a "not comparable" below. */
    for (size_t i = 0; i < li->image.nnotes; i++)
        fprintf(stderr, "sageshim abi: %s: note: %s\n", ss_printable_str(path),
                ss_printable_str(li->image.notes[i]));
    return 0;
}

static void unload_image(struct loaded_image *li)
{
    if (li->parsed)
        ss_image_free(&li->image);
    free(li->bytes);
}

static void print_pair(const struct abi_pair *p, const struct ss_image *orig,
                       const struct ss_image *repl)
{
    const struct ss_entry *oe = &orig->containers[p->orig_container].entries[p->orig_entry];
    char oarch[32], rarch[32];
    ss_entry_arch_name(oe, oarch, sizeof oarch);
    if (!p->has_replacement) {
        printf("sm_%u: original container %zu (%s): the replacement has no code a CC %u.%u "
               "device would load\n", p->sm, p->orig_container, oarch, p->sm / 10, p->sm % 10);
        for (size_t k = 0; k < oe->nkernels; k++)
            printf("FAIL %s: no replacement code for sm_%u\n", oe->kernels[k].name, p->sm);
        return;
    }
    const struct ss_entry *re = &repl->containers[p->repl_container].entries[p->repl_entry];
    ss_entry_arch_name(re, rarch, sizeof rarch);
    printf("sm_%u: original container %zu entry %zu (%s %s) vs replacement container %zu "
           "entry %zu (%s %s)\n", p->sm, p->orig_container, p->orig_entry,
           ss_kind_name(oe->kind), oarch, p->repl_container, p->repl_entry,
           ss_kind_name(re->kind), rarch);
    for (size_t v = 0; v < p->report.nverdicts; v++) {
        const struct ss_abi_verdict *vd = &p->report.verdicts[v];
        printf("%s %s%s%s\n", ss_abi_level_name(vd->level), vd->kernel,
               vd->reason[0] ? ": " : "", vd->reason);
    }
    if (p->report.summary[0])
        printf("  %s\n", p->report.summary);
}

/* Kernels that got a verdict from an actual comparison: an entry whose
 * kernels could not be read (its payload left compressed by a budget, or
 * not a cubin) gives an "(entry)" FAIL that compares nothing. */
static size_t kernels_compared(const struct abi_result *result, const struct ss_image *orig,
                               const struct ss_image *repl)
{
    size_t n = 0;
    for (size_t i = 0; i < result->npairs; i++) {
        const struct abi_pair *p = &result->pairs[i];
        const struct ss_entry *oe = &orig->containers[p->orig_container].entries[p->orig_entry];
        if (!oe->kernels_read)
            continue;
        if (!p->has_replacement) {
            n += oe->nkernels;   /* each one definitely lacks a replacement */
            continue;
        }
        const struct ss_entry *re = &repl->containers[p->repl_container].entries[p->repl_entry];
        if (re->kernels_read)
            n += p->report.nverdicts;
    }
    return n;
}

static void abi_usage(FILE *out)
{
    fprintf(out,
            "usage: sageshim abi ORIGINAL REPLACEMENT [--sm LIST]\n"
            "May REPLACEMENT's kernels stand in for ORIGINAL's?  Compares every kernel's\n"
            "parameters and launch limits, per architecture.  Exit 0: compatible; 1: not.\n"
            "\n"
            "arguments and options:\n"
            "  ORIGINAL      the extension module (.so), fatbin or cubin as installed\n"
            "  REPLACEMENT   the corrected build's file (e.g. a bundle's .fatbin)\n"
            "  --sm LIST     only these architectures: 90, 9.0, sm_90 or sm_90a, comma-\n"
            "                separated (default: every architecture of ORIGINAL)\n"
            "  -h, --help    this text\n"
            "\n"
            "example:\n"
            "  sageshim abi site-packages/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so "
            "\\\n      /opt/sageshim/kernels/_qattn_sm90.fatbin --sm 90\n");
}

int cmd_abi(int argc, char **argv)
{
    const char *files[2];
    int nfiles = 0;
    unsigned sms[16];
    size_t nsms = 0;
    for (int i = 1; i < argc; i++) {
        const char *sm_text = NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            abi_usage(stdout);
            return EXIT_HEALTHY;
        } else if (strcmp(argv[i], "--sm") == 0 && i + 1 < argc) {
            sm_text = argv[++i];
        } else if (strncmp(argv[i], "--sm=", 5) == 0) {
            sm_text = argv[i] + 5;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "sageshim abi: unknown option %s\n", argv[i]);
            abi_usage(stderr);
            return EXIT_UNREADABLE;
        } else if (nfiles < 2) {
            files[nfiles++] = argv[i];
        } else {
            fprintf(stderr, "sageshim abi: one ORIGINAL and one REPLACEMENT; '%s' is a third "
                    "file\n", argv[i]);
            abi_usage(stderr);
            return EXIT_UNREADABLE;
        }
        if (sm_text && parse_sm_list(sm_text, sms, sizeof sms / sizeof *sms, &nsms) < 0) {
            fprintf(stderr, "sageshim abi: bad --sm list '%s' (expected e.g. 90 or 90,120)\n",
                    sm_text);
            return EXIT_UNREADABLE;
        }
    }
    if (nfiles != 2) {
        fprintf(stderr, "sageshim abi: needs ORIGINAL and REPLACEMENT, %s\n",
                nfiles ? "got only ORIGINAL" : "got neither");
        abi_usage(stderr);
        return EXIT_UNREADABLE;
    }

    struct loaded_image orig, repl;
    int readable = load_image(files[0], &orig) == 0;
    readable &= load_image(files[1], &repl) == 0;
    if (!readable) {
        unload_image(&orig);
        unload_image(&repl);
        return EXIT_UNREADABLE;
    }

    struct abi_result result;
    if (abi_compare_images(&orig.image, &repl.image, sms, nsms, &result) < 0) {
        fprintf(stderr, "sageshim abi: out of memory\n");
        unload_image(&orig);
        unload_image(&repl);
        return EXIT_UNREADABLE;
    }
    for (size_t i = 0; i < result.npairs; i++)
        print_pair(&result.pairs[i], &orig.image, &repl.image);

    /* An SM asked for on the command line that the original never runs on
     * has nothing to compare: say so rather than print a silent "ok". */
    int status = result.compatible ? EXIT_HEALTHY : EXIT_PROBLEM;
    for (size_t s = 0; s < nsms; s++) {
        int compared = 0;
        for (size_t i = 0; i < result.npairs; i++)
            compared |= result.pairs[i].sm == sms[s];
        if (!compared)
            printf("note: the original has no kernels a CC %u.%u device would load\n",
                   sms[s] / 10, sms[s] % 10);
    }
    if (result.npairs == 0)
        printf("note: nothing to compare\n");
    /* No kernel compared (nothing in common, or no entry could be read) is
     * no evidence either way: neither "compatible" nor "INCOMPATIBLE". */
    const char *verdict = status == EXIT_HEALTHY ? "compatible" : "INCOMPATIBLE";
    if (kernels_compared(&result, &orig.image, &repl.image) == 0) {
        status = EXIT_UNREADABLE;
        verdict = "not comparable (no kernel was compared)";
    }
    printf("summary: %zu comparison%s: %zu ok, %zu warn, %zu FAIL: %s\n",
           result.npairs, result.npairs == 1 ? "" : "s", result.ok, result.warn, result.fail,
           verdict);
    abi_result_free(&result);
    unload_image(&orig);
    unload_image(&repl);
    return status;
}
