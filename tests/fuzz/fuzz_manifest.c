/* fuzz_manifest.c: the bundle MANIFEST parser on arbitrary text, and a round
 * trip: what ss_manifest_format writes for the items read must read back
 * without problems and give the same items. */
#include <stdlib.h>
#include <string.h>

#include "plan/bundle.h"
#include "fuzz_targets.h"

static void count_report(void *ctx, const char *file, int line, const char *message)
{
    size_t *reports = ctx;
    if (!file || !message)
        abort();
    (*reports)++;
}

static int same_item(const struct ss_manifest_item *a, const struct ss_manifest_item *b)
{
    return strcmp(a->file, b->file) == 0 && strcmp(a->module, b->module) == 0 &&
           a->narchs == b->narchs &&
           memcmp(a->archs, b->archs, a->narchs * sizeof a->archs[0]) == 0 &&
           a->kernels == b->kernels && strcmp(a->sha256, b->sha256) == 0;
}

int fuzz_manifest_input(const uint8_t *data, size_t size)
{
    struct ss_manifest m;
    size_t reports = 0;
    int problems = ss_manifest_parse(&m, (const char *)data, size, "MANIFEST",
                                     count_report, &reports);
    if (problems < 0 || (size_t)problems != reports)
        abort();

    char *text = ss_manifest_format(&m);
    if (text) {
        struct ss_manifest again;
        if (ss_manifest_parse(&again, text, strlen(text), "formatted", NULL, NULL) != 0)
            abort();
        if (again.nitems != m.nitems)
            abort();
        for (size_t i = 0; i < m.nitems; i++)
            if (!same_item(&m.items[i], &again.items[i]))
                abort();
        ss_manifest_free(&again);
        free(text);
    }
    ss_manifest_free(&m);
    return 0;
}
