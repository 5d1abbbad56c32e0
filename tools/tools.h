/* tools.h: the sageshim command line - one function per subcommand, and
 * the few helpers they share. */
#ifndef SAGESHIM_TOOLS_H
#define SAGESHIM_TOOLS_H

#include <stddef.h>

#include "sageshim.h"

/* Exit statuses shared by every subcommand. */
enum {
    EXIT_HEALTHY = 0,     /* compatible / nothing wrong */
    EXIT_PROBLEM = 1,     /* incompatible, refused, problems found */
    EXIT_UNREADABLE = 2,  /* an input could not be read or parsed; usage errors */
};

/* What one command may decompress in total from the images it reads, on top
 * of each image's own budget (image.h).  Wheel members have their own total
 * per archive (ZIP_MAX_TOTAL in zip.c). */
#define COMMAND_DECOMPRESS_BUDGET ((uint64_t)1024 * 1024 * 1024)

/* output.c: make stdout and stderr escape control characters and invalid
 * UTF-8 (printable.h) in everything printed after this call. */
void output_escape_std_streams(void);

int cmd_inspect(int argc, char **argv);
int cmd_abi(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

/* inspect: a bundle directory (inspect_bundle.c); w NULL: as text.
 * Returns an exit status. */
struct json_writer;
int inspect_bundle(const char *dir, struct json_writer *w);

/* "90,120", "sm_90,sm_120a" -> {90, 120}.  Returns 0, or -1 on bad text. */
int parse_sm_list(const char *text, unsigned *sms, size_t max, size_t *count);

/* Directory holding the running sageshim executable. */
int self_directory(char *buf, size_t len);

/* The preload library: $SAGESHIM_LIBRARY, <bindir>/../lib/libsageshim.so
 * (installed) or <bindir>/libsageshim.so (build tree).  Returns 1 and the
 * path when it exists; 0 and the paths looked at (in `looked`) otherwise. */
int find_preload_library(char *path, size_t len, char *looked, size_t looked_len);

const char *origin_name(enum ss_origin origin);   /* "section", "container", ... */
const char *variant_name(enum ss_variant variant); /* "plain", "a", "f" */

/* Report an unreadable input on stderr: "sageshim: FILE: at offset 0x..: msg". */
void report_input_error(const char *path, const struct ss_error *err);

/* An extension module found in a package directory, a wheel or a file. */
struct ext_module {
    char *name;          /* basename up to the first '.': "_qattn_sm90" */
    char *path;          /* file path, or "wheel.whl!member" */
    uint8_t *bytes;
    size_t len;
};

struct ext_module_list {
    size_t count;
    struct ext_module *items;
};

/* Every *.so under a directory (recursively, sorted by path), every *.so
 * member of a .whl, or the single file given.  Returns 0, or -1 with err;
 * call free_modules() in both cases. */
int collect_modules(const char *path, struct ext_module_list *list, struct ss_error *err);
void free_modules(struct ext_module_list *list);

/* Every regular file named *<suffix> under dir, recursively, sorted. */
int find_files(const char *dir, const char *suffix, char ***paths, size_t *count,
               struct ss_error *err);
void free_paths(char **paths, size_t count);

/* One comparison of an original entry with the replacement entry a device
 * of compute capability sm/10.sm%10 would load. */
struct abi_pair {
    unsigned sm;
    size_t orig_container, orig_entry;
    int has_replacement;         /* 0: the replacement has no code for sm */
    size_t repl_container, repl_entry;
    struct ss_abi_report report; /* filled when has_replacement */
};

struct abi_result {
    size_t npairs;
    struct abi_pair *pairs;
    int compatible;              /* no FAIL and no missing replacement */
    size_t ok, warn, fail;       /* verdict counts over every pair */
};

/* Compare every original container's entry for each sm (all SMs present in
 * the original when nsms is 0) with the replacement container that holds
 * the most of its kernels.  Returns 0, or -1 when out of memory. */
int abi_compare_images(const struct ss_image *orig, const struct ss_image *repl,
                       const unsigned *sms, size_t nsms, struct abi_result *result);
void abi_result_free(struct abi_result *result);

#endif
