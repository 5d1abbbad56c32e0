/* doctor.c: `sageshim doctor [PATH]` - one screen for a person: GPUs, the
 * preload library, the config in effect, the bundle, and the SageAttention
 * install (its modules, their compatibility with the bundle, and the
 * shadowed-op defect of its Python dispatch). */
#include "tools.h"
#include "options.h"
#include "pyfind.h"

#include <cuda.h>
#include <errno.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Counts problems and prints each one where it is found; `repaired` counts
 * defects present in the install that the preload library repairs at run
 * time (not problems: doctor then exits 0 and says so). */
struct findings {
    int problems;
    int repaired;
};

static void problem(struct findings *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct findings *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  PROBLEM: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    f->problems++;
}

static void diag_as_problem(void *ctx, const char *file, int line, const char *message)
{
    struct findings *f = ctx;
    if (line > 0)
        problem(f, "%s:%d: %s", file ? file : "?", line, message);
    else
        problem(f, "%s: %s", file ? file : "?", message);
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

/* ---- GPUs, through the driver API, loaded at run time ---------------- */

typedef CUresult (*cu_init_fn)(unsigned int);
typedef CUresult (*cu_count_fn)(int *);
typedef CUresult (*cu_get_fn)(CUdevice *, int);
typedef CUresult (*cu_name_fn)(char *, int, CUdevice);
typedef CUresult (*cu_attr_fn)(int *, CUdevice_attribute, CUdevice);
typedef CUresult (*cu_version_fn)(int *);

static int is_target(const struct ss_config *cfg, unsigned sm)
{
    for (size_t i = 0; i < cfg->narchs; i++)
        if (cfg->archs[i] == sm)
            return 1;
    return 0;
}

static void report_gpus(const struct ss_config *cfg)
{
    printf("GPUs\n");
    void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!cuda) {
        printf("  no CUDA driver (libcuda.so.1 cannot be loaded): nothing runs on a GPU here\n");
        return;
    }
    cu_init_fn cu_init = (cu_init_fn)dlsym(cuda, "cuInit");
    cu_count_fn cu_count = (cu_count_fn)dlsym(cuda, "cuDeviceGetCount");
    cu_get_fn cu_get = (cu_get_fn)dlsym(cuda, "cuDeviceGet");
    cu_name_fn cu_name = (cu_name_fn)dlsym(cuda, "cuDeviceGetName");
    cu_attr_fn cu_attr = (cu_attr_fn)dlsym(cuda, "cuDeviceGetAttribute");
    cu_version_fn cu_version = (cu_version_fn)dlsym(cuda, "cuDriverGetVersion");
    int count = 0, version = 0;
    if (!cu_init || !cu_count || !cu_get || !cu_attr) {
        printf("  libcuda.so.1 lacks the device functions: not a usable CUDA driver\n");
    } else if (cu_init(0) != CUDA_SUCCESS) {
        printf("  the CUDA driver is installed but cuInit failed: no usable GPU\n");
    } else if (cu_count(&count) != CUDA_SUCCESS || count == 0) {
        printf("  the CUDA driver reports no GPU\n");
    } else {
        if (cu_version && cu_version(&version) == CUDA_SUCCESS)
            printf("  driver supports CUDA %d.%d\n", version / 1000, version % 1000 / 10);
        for (int i = 0; i < count; i++) {
            CUdevice dev;
            int major = 0, minor = 0;
            char name[256] = "?";
            if (cu_get(&dev, i) != CUDA_SUCCESS)
                continue;
            if (cu_name)
                cu_name(name, sizeof name, dev);
            cu_attr(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
            cu_attr(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
            unsigned sm = (unsigned)(major * 10 + minor);
            printf("  GPU %d: %s, compute capability %d.%d (sm_%u): %s\n", i, name, major,
                   minor, sm, is_target(cfg, sm) ? "a redirect target" : "not a redirect target");
        }
    }
    dlclose(cuda);
}

/* ---- preload library and config -------------------------------------- */

static void report_library(struct findings *f, char *libdir, size_t libdir_len)
{
    printf("Preload library\n");
    char lib[PATH_MAX], looked[2 * PATH_MAX + 64];
    if (find_preload_library(lib, sizeof lib, looked, sizeof looked)) {
        printf("  %s\n", lib);
        snprintf(libdir, libdir_len, "%s", lib);
        char *slash = strrchr(libdir, '/');
        if (slash)
            *slash = '\0';
        return;
    }
    problem(f, "libsageshim.so not found (looked at %s): reinstall sageshim", looked);
    char dir[PATH_MAX];
    if (self_directory(dir, sizeof dir) < 0
        || snprintf(libdir, libdir_len, "%s/../lib", dir) >= (int)libdir_len)
        libdir[0] = '\0';
}

static void report_config(struct findings *f, const char *libdir, struct ss_config *cfg)
{
    printf("Config\n");
    char path[PATH_MAX];
    if (ss_config_find(libdir[0] ? libdir : NULL, env_lookup, path, sizeof path))
        printf("  file: %s\n", path);
    else
        printf("  file: none found (built-in defaults)\n");
    ss_config_load(cfg, libdir[0] ? libdir : NULL, env_lookup, diag_as_problem, f);
    char archs[64] = "";
    size_t used = 0;
    for (size_t i = 0; i < cfg->narchs && used < sizeof archs; i++)
        used += (size_t)snprintf(archs + used, sizeof archs - used, "%s%u", i ? "," : "",
                                 cfg->archs[i]);
    printf("  mode %s%s, archs %s, repair %s, hotfix %s, bundle %s, log %s\n",
           ss_mode_name(cfg->mode), cfg->dry_run ? " (dry run)" : "", archs[0] ? archs : "none",
           cfg->repair ? "on" : "off", cfg->hotfix ? "on" : "off",
           cfg->bundle && cfg->bundle[0] ? cfg->bundle : "(the installed one)",
           cfg->log ? cfg->log : "stderr");
    /* Values that parse but cannot work (relative paths, empty lists, ...). */
    ss_config_check(cfg, diag_as_problem, f);
}

/* ---- bundle ---------------------------------------------------------- */

/* Bundle problems matter only when the library would redirect. */
static void bundle_issue(struct findings *f, const struct ss_config *cfg, const char *what,
                         const char *dir)
{
    if (cfg->mode == SS_MODE_REDIRECT)
        problem(f, "bundle%s%s: %s: nothing can be redirected", dir[0] ? " " : "", dir, what);
    else
        printf("  bundle%s%s: %s (mode %s: not needed)\n", dir[0] ? " " : "", dir, what,
               ss_mode_name(cfg->mode));
}

static int report_bundle(struct findings *f, const struct ss_config *cfg, const char *libdir,
                         struct ss_bundle *b)
{
    printf("Bundle\n");
    /* The same default the preload library uses for an empty `bundle`. */
    char dir[PATH_MAX + 64];
    if (cfg->bundle && cfg->bundle[0])
        snprintf(dir, sizeof dir, "%s", cfg->bundle);
    else
        ss_default_bundle_dir(libdir, dir, sizeof dir);
    struct ss_error err;
    struct findings *sink = cfg->mode == SS_MODE_REDIRECT ? f : NULL;
    struct findings ignored = { 0 };
    /* No bundle at all is a normal install: the repair needs none, and the
     * original kernels run where nothing would be redirected. */
    char manifest[PATH_MAX + 80];
    struct stat st;
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", dir);
    if (stat(manifest, &st) != 0 && errno == ENOENT) {
        printf("  note: no bundle at %s: watched modules keep their original kernels "
               "(the repair needs no bundle)\n", dir);
        return 0;
    }
    if (ss_bundle_open(dir, b, diag_as_problem, sink ? sink : &ignored, &err) < 0) {
        char text[320];
        ss_error_format(&err, text, sizeof text);
        /* The message names the file; the directory would say it twice. */
        bundle_issue(f, cfg, text, "");
        return 0;
    }
    printf("  %s: label %s, %zu of %zu fatbins intact\n", dir,
           b->manifest.label ? b->manifest.label : "(none)", b->nfiles, b->manifest.nitems);
    for (size_t i = 0; i < b->nfiles; i++) {
        const struct ss_manifest_item *it = b->files[i].item;
        printf("    %s: module %s, %u kernels, archs", it->file, it->module, it->kernels);
        for (size_t a = 0; a < it->narchs; a++)
            printf("%s%u", a ? "," : " ", it->archs[a]);
        printf("\n");
    }
    /* A bundle of hotfix lines only (the installed one) is usable. */
    if (b->nfiles == 0 && b->nhotfixes == 0)
        bundle_issue(f, cfg, "no usable fatbin", dir);
    return 1;
}

/* ---- SageAttention --------------------------------------------------- */

/* "sm_90a, compute_90a": each architecture of the module once, in the order
 * of first appearance (every container of a multi-file module repeats them). */
static void module_archs(const struct ss_image *image, char *buf, size_t len)
{
    char seen[32][32];
    size_t nseen = 0, used = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < image->ncontainers; c++) {
        for (size_t e = 0; e < image->containers[c].nentries; e++) {
            char arch[32];
            ss_entry_arch_name(&image->containers[c].entries[e], arch, sizeof arch);
            int repeated = 0;
            for (size_t i = 0; i < nseen; i++)
                repeated |= strcmp(seen[i], arch) == 0;
            if (repeated || nseen == 32 || used >= len)
                continue;
            memcpy(seen[nseen++], arch, sizeof arch);
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", arch);
        }
    }
}

static void check_module(const struct ext_module *mod)
{
    struct ss_image image;
    struct ss_error err;
    if (ss_image_parse(mod->bytes, mod->len, &image, &err) < 0) {
        printf("    %s: no CUDA code\n", mod->name);
        return;
    }
    char archs[256];
    module_archs(&image, archs, sizeof archs);
    printf("    %s (%s): %s\n", mod->name, mod->path, archs[0] ? archs : "no entries");
    ss_image_free(&image);
}

/* The shadowed op found: repaired at run time when the preload library's
 * repair is on (a defect, not a problem), a problem with its remedy when not. */
static void shadowed_op(struct findings *f, const struct ss_config *cfg, const char *path,
                        const char *name, int first, int again)
{
    int repaired = cfg->repair && cfg->mode != SS_MODE_OFF;
    const char *what = "the second definition (the register_fake) replaces the custom op, so "
                       "without the repair this path launches no attention kernel and returns "
                       "garbage";
    if (repaired) {
        printf("  defect: %s: `def %s` at line %d is defined again at line %d: %s\n", path,
               name, first, again, what);
        printf("  repaired at run time: repair = on restores the op in every program started "
               "with `sageshim run` (or with libsageshim.so in LD_PRELOAD); no bundle needed\n");
        f->repaired++;
        return;
    }
    problem(f, "%s: `def %s` at line %d is defined again at line %d: %s", path, name, first,
            again, what);
    printf("  remedy: set repair = on in sageshim.conf (now %s%s) and start programs with "
           "`sageshim run`, or install SageAttention from a commit >= d970424 "
           "(e.g. pip install git+https://github.com/thu-ml/SageAttention@d1a57a5)\n",
           cfg->repair ? "on" : "off", cfg->mode == SS_MODE_OFF ? ", but mode = off" : "");
}

/* The shadowed-op defect: a top-level `def NAME` appearing twice in a
 * *_compile.py, so the register_fake function replaces the custom op. */
static int scan_dispatch_file(struct findings *f, const char *path, const struct ss_config *cfg)
{
    uint8_t *bytes;
    size_t len;
    struct ss_error err;
    if (ss_read_file(path, &bytes, &len, &err) < 0) {
        report_input_error(path, &err);
        return 0;
    }
    enum { MAX_DEFS = 4096 };
    struct { char name[128]; int line; } *defs = calloc(MAX_DEFS, sizeof *defs);
    size_t ndefs = 0;
    int shadowed = 0, line = 1;
    for (size_t at = 0; defs && at < len; line++) {
        size_t end = at;
        while (end < len && bytes[end] != '\n')
            end++;
        const char *s = (const char *)bytes + at;
        size_t n = end - at;
        if (n > 4 && strncmp(s, "def ", 4) == 0) {
            size_t name_len = 0;
            while (4 + name_len < n && name_len < 127
                   && (s[4 + name_len] == '_' || (s[4 + name_len] >= '0' && s[4 + name_len] <= '9')
                       || ((s[4 + name_len] | 0x20) >= 'a' && (s[4 + name_len] | 0x20) <= 'z')))
                name_len++;
            char name[128];
            memcpy(name, s + 4, name_len);
            name[name_len] = '\0';
            for (size_t d = 0; d < ndefs && name_len; d++) {
                if (strcmp(defs[d].name, name) != 0)
                    continue;
                shadowed_op(f, cfg, path, name, defs[d].line, line);
                shadowed = 1;
            }
            if (name_len && ndefs < MAX_DEFS) {
                memcpy(defs[ndefs].name, name, name_len + 1);
                defs[ndefs++].line = line;
            }
        }
        at = end + 1;
    }
    if (!shadowed)
        printf("    %s: no shadowed names\n", path);
    free(defs);
    free(bytes);
    return shadowed;
}

/* Where the package is: the directory given, else asked of the Python that
 * ComfyUI would run (pyfind.h).  Returns 0 with the path, -1 when none. */
static int find_sageattention(struct findings *f, const char *python_given, char *path,
                              size_t len)
{
    char python[PATH_MAX], how[PATH_MAX + 64], why[1200], cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    py_choose(python_given, cwd, python, sizeof python, how, sizeof how);
    printf("  python: %s (%s)\n", python, how);
    int r = py_locate(python, path, len, why, sizeof why);
    if (r < 0) {
        if (python_given)
            problem(f, "%s", why);
        else
            printf("  %s (pass --python PATH or the package directory)\n", why);
        return -1;
    }
    if (r > 0) {
        printf("  %s (pass --python PATH or the package directory)\n", why);
        return -1;
    }
    if (py_try_import(python, why, sizeof why) != 0)
        problem(f, "sageattention is installed at %s but `import sageattention` fails in %s: %s",
                path, python, why);
    else
        printf("  imports cleanly\n");
    return 0;
}

static void report_sageattention(struct findings *f, const char *given, const char *python,
                                 const struct ss_config *cfg, const char *libdir)
{
    printf("SageAttention\n");
    char located[PATH_MAX];
    const char *path = given;
    if (!path) {
        if (find_sageattention(f, python, located, sizeof located) < 0)
            return;
        path = located;
    }
    printf("  %s\n", path);
    struct ext_module_list modules;
    struct ss_error err;
    if (collect_modules(path, &modules, &err) < 0) {
        char text[320];
        ss_error_format(&err, text, sizeof text);
        problem(f, "%s: %s", path, text);
    } else {
        printf("  extension modules: %zu\n", modules.count);
        for (size_t i = 0; i < modules.count; i++)
            check_module(&modules.items[i]);
        f->problems += doctor_print_plans(cfg, libdir, &modules);
    }
    free_modules(&modules);

    printf("  Python dispatch\n");
    char **files;
    size_t nfiles;
    if (find_files(path, "_compile.py", &files, &nfiles, &err) < 0) {
        printf("    cannot list %s\n", path);
        return;
    }
    if (nfiles == 0)
        printf("    no *_compile.py: the op cannot be shadowed\n");
    for (size_t i = 0; i < nfiles; i++)
        scan_dispatch_file(f, files[i], cfg);
    free_paths(files, nfiles);
}

static void report_limits(const struct ss_config *cfg)
{
    printf("What sageshim cannot fix\n"
           "  Q and K quantized by SageAttention's Triton kernels fail loudly past 2^31 "
           "elements\n"
           "    (an exception, not silent corruption): sageshim does not change Triton code\n"
           "  NaN for short or non-block-multiple lengths (uninitialized shared memory)\n"
           "  every launch on the legacy default stream\n");
    printf("Long sequences (32-bit offsets in the _fused kernels, thu-ml #388): %s\n",
           cfg->hotfix ? "fixed by the hotfix where the bundle carries it (hotfix = on)"
                       : "NOT fixed: hotfix = off");
}

static void doctor_usage(FILE *out)
{
    fprintf(out,
            "usage: sageshim doctor [--python PATH] [SAGEATTENTION_DIR]\n"
            "Check the preload library, the configuration, the GPUs, the bundle and the\n"
            "SageAttention install.  Exit 0: healthy, or defects present that are repaired\n"
            "at run time (the last line says which); 1: problems found; 2: usage error.\n"
            "\n"
            "options:\n"
            "  --python PATH       the Python interpreter whose SageAttention to inspect\n"
            "                      (default: ComfyUI's python_embeded/, venv/ or .venv/ in\n"
            "                      this folder or the one above, else python3)\n"
            "  SAGEATTENTION_DIR   inspect this package directory instead of asking Python\n"
            "  -h, --help          this text\n"
            "\n"
            "example:\n"
            "  cd ~/ComfyUI && sageshim doctor\n"
            "  sageshim doctor --python ~/ComfyUI/venv/bin/python\n");
}

int cmd_doctor(int argc, char **argv)
{
    const char *path = NULL, *python = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            doctor_usage(stdout);
            return EXIT_HEALTHY;
        }
        if (strcmp(argv[i], "--python") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '-') {
                fprintf(stderr, "sageshim doctor: --python needs the interpreter's path\n");
                return EXIT_UNREADABLE;
            }
            python = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' || path) {
            fprintf(stderr, "sageshim doctor: unexpected argument '%s'\n", argv[i]);
            doctor_usage(stderr);
            return EXIT_UNREADABLE;
        }
        path = argv[i];
    }
    struct findings f = { 0, 0 };
    struct ss_config cfg;
    struct ss_bundle bundle;
    memset(&bundle, 0, sizeof bundle);
    char libdir[PATH_MAX];

    report_library(&f, libdir, sizeof libdir);
    report_config(&f, libdir, &cfg);
    report_gpus(&cfg);
    int have_bundle = report_bundle(&f, &cfg, libdir, &bundle);
    report_sageattention(&f, path, python, &cfg, libdir);
    report_limits(&cfg);

    /* Three answers: problems; defects repaired at run time; healthy. */
    if (f.problems)
        printf("doctor: %d problem%s found\n", f.problems, f.problems == 1 ? "" : "s");
    else if (f.repaired)
        printf("doctor: healthy: SageAttention's shadowed sm90 op is present and repaired at "
               "run time (repair = on); nothing to do\n");
    else
        printf("doctor: healthy\n");
    if (have_bundle)
        ss_bundle_close(&bundle);
    ss_config_free(&cfg);
    return f.problems ? EXIT_PROBLEM : EXIT_HEALTHY;
}
