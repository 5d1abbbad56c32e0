/* fuzz_config.c: the sageshim.conf parser on arbitrary text. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz_targets.h"

/* Every report must name the file and carry a message. */
static void check_report(void *ctx, const char *file, int line, const char *message)
{
    size_t *reports = ctx;
    if (!file || !message || line < 0 || strlen(message) == 0)
        abort();
    (*reports)++;
}

int fuzz_config_input(const uint8_t *data, size_t size)
{
    struct ss_config cfg;
    size_t reports = 0;
    ss_config_defaults(&cfg);
    int problems = ss_config_parse(&cfg, (const char *)data, size, "fuzz.conf",
                                   check_report, &reports);
    if (problems < 0 || (size_t)problems != reports)
        abort();
    if (cfg.narchs > SS_MAX_ARCHS || cfg.nmodules > SS_MAX_PATTERNS ||
        cfg.nobserve > SS_MAX_PATTERNS || cfg.nrepair_modules > SS_MAX_PATTERNS)
        abort();
    for (size_t i = 0; i < cfg.nmodules; i++)
        (void)ss_glob_match(cfg.modules[i], "/site-packages/sageattention/_qattn_sm90.so");
    ss_config_free(&cfg);
    return 0;
}
