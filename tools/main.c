/* main.c: `sageshim COMMAND ...` - dispatch to the subcommands. */
#include "tools.h"
#include "base/version.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "inspect", cmd_inspect, "list containers, entries and kernels of files (--json)" },
    { "abi",     cmd_abi,     "may REPLACEMENT's kernels stand in for ORIGINAL's?" },
    { "run",     cmd_run,     "run a program with the preload library" },
    { "bundle",  cmd_bundle,  "build a bundle of fatbins from a package, .so or .whl" },
    { "doctor",  cmd_doctor,  "check GPUs, config, bundle and the SageAttention install" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sageshim COMMAND [ARGS...]\n       sageshim --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`sageshim COMMAND --help` for each; man sageshim for details.\n");
}

int main(int argc, char **argv)
{
    output_escape_std_streams();
    if (argc < 2) {
        usage(stderr);
        return EXIT_UNREADABLE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_HEALTHY;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("sageshim %s\n", SAGESHIM_VERSION);
        return EXIT_HEALTHY;
    }
    ss_decompress_set_command_budget(COMMAND_DECOMPRESS_BUDGET);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "sageshim: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_UNREADABLE;
}
