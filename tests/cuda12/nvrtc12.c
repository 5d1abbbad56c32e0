/* nvrtc12: compile one .cu file with a given libnvrtc and write its PTX or
 * its cubin.  The CUDA 12.x fixtures are built with it, from the NVRTC of
 * the nvidia-cuda-nvrtc-cu12 wheel (PyPI has no 12.x nvcc).
 *
 *   nvrtc12 --lib PATH/libnvrtc.so.12 --ptx|--cubin -o OUT
 *           [--name-expr EXPR]... [NVRTC OPTIONS...] FILE.cu
 *
 * NVRTC OPTIONS go to nvrtcCompileProgram as they are, except that "-I DIR"
 * and "-D NAME" written as two words are joined into one.  FILE.cu is the
 * program's name, so NVRTC finds quoted includes beside it, as nvcc does.
 * Each --name-expr is added with nvrtcAddNameExpression (it keeps kernels
 * that nothing else references, such as static ones) and its lowered name
 * is printed.  The library is dlopened: this program has no link dependency on
 * NVRTC and is built with the host compiler.  Exit status 0 on success, 1
 * with a message naming FILE.cu (and NVRTC's log) otherwise. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The NVRTC API as nvrtc.h declares it (enum results are ints). */
typedef int nvrtc_result;
typedef struct nvrtc_program *nvrtc_program;

struct nvrtc_api {
    void *handle;
    const char *(*error_string)(nvrtc_result);
    nvrtc_result (*version)(int *, int *);
    nvrtc_result (*create_program)(nvrtc_program *, const char *, const char *, int,
                                   const char *const *, const char *const *);
    nvrtc_result (*destroy_program)(nvrtc_program *);
    nvrtc_result (*add_name_expression)(nvrtc_program, const char *);
    nvrtc_result (*compile_program)(nvrtc_program, int, const char *const *);
    nvrtc_result (*get_program_log_size)(nvrtc_program, size_t *);
    nvrtc_result (*get_program_log)(nvrtc_program, char *);
    nvrtc_result (*get_ptx_size)(nvrtc_program, size_t *);
    nvrtc_result (*get_ptx)(nvrtc_program, char *);
    nvrtc_result (*get_cubin_size)(nvrtc_program, size_t *);
    nvrtc_result (*get_cubin)(nvrtc_program, char *);
    nvrtc_result (*get_lowered_name)(nvrtc_program, const char *, const char **);
};

/* Sources and outputs far beyond any fixture are refused rather than read. */
#define MAX_SOURCE_BYTES (16u << 20)
#define MAX_OUTPUT_BYTES (256u << 20)
#define MAX_LOG_BYTES (16u << 20)
#define MAX_ARGS 256

struct request {
    const char *lib;
    const char *out;
    const char *file;
    int want_cubin; /* 0: PTX, 1: cubin, -1: not said */
    const char *name_exprs[MAX_ARGS];
    int nname_exprs;
    const char *options[MAX_ARGS];
    int noptions;
    char *joined[MAX_ARGS]; /* options made here, freed by release() */
    int njoined;
};

static const char *file_for_messages = "(no file)";

/* "nvrtc12: FILE.cu: message"; returns the exit status 1. */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "nvrtc12: %s: ", file_for_messages);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    return 1;
}

static int usage(const char *why)
{
    fprintf(stderr,
            "nvrtc12: %s: %s\nusage: nvrtc12 --lib PATH/libnvrtc.so.12 --ptx|--cubin -o OUT "
            "[--name-expr EXPR]... [NVRTC OPTIONS...] FILE.cu\n",
            file_for_messages, why);
    return 1;
}

static int add_option(struct request *r, const char *option)
{
    if (r->noptions >= MAX_ARGS)
        return -1;
    r->options[r->noptions++] = option;
    return 0;
}

/* "-I" + "DIR" -> option "-IDIR" (and -D). */
static int add_joined_option(struct request *r, const char *flag, const char *value)
{
    size_t len = strlen(flag) + strlen(value) + 1;
    char *option = malloc(len);
    if (!option)
        return -1;
    snprintf(option, len, "%s%s", flag, value);
    if (r->njoined >= MAX_ARGS || add_option(r, option) != 0) {
        free(option);
        return -1;
    }
    r->joined[r->njoined++] = option;
    return 0;
}

static void release(struct request *r)
{
    for (int i = 0; i < r->njoined; i++)
        free(r->joined[i]);
    r->njoined = 0;
}

static int parse_args(int argc, char **argv, struct request *r)
{
    memset(r, 0, sizeof *r);
    r->want_cubin = -1;
    if (argc < 2)
        return usage("no arguments");
    /* The last argument is the source; everything before it is ours or NVRTC's. */
    r->file = argv[argc - 1];
    file_for_messages = r->file;
    if (r->file[0] == '-')
        return usage("the last argument must be the .cu file");
    for (int i = 1; i < argc - 1; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc - 1;
        if (strcmp(a, "--lib") == 0 && has_value) {
            r->lib = argv[++i];
        } else if (strcmp(a, "-o") == 0 && has_value) {
            r->out = argv[++i];
        } else if (strcmp(a, "--name-expr") == 0 && has_value) {
            if (r->nname_exprs >= MAX_ARGS)
                return usage("too many --name-expr");
            r->name_exprs[r->nname_exprs++] = argv[++i];
        } else if (strcmp(a, "--ptx") == 0 || strcmp(a, "--cubin") == 0) {
            int cubin = strcmp(a, "--cubin") == 0;
            if (r->want_cubin >= 0 && r->want_cubin != cubin)
                return usage("give one of --ptx and --cubin");
            r->want_cubin = cubin;
        } else if ((strcmp(a, "-I") == 0 || strcmp(a, "-D") == 0) && has_value) {
            if (add_joined_option(r, a, argv[++i]) != 0)
                return usage("too many options");
        } else if (strcmp(a, "--lib") == 0 || strcmp(a, "-o") == 0 ||
                   strcmp(a, "--name-expr") == 0 || strcmp(a, "-I") == 0 ||
                   strcmp(a, "-D") == 0) {
            fail("%s needs a value", a);
            return usage("missing value");
        } else if (add_option(r, a) != 0) {
            return usage("too many options");
        }
    }
    if (!r->lib)
        return usage("no --lib");
    if (!r->out)
        return usage("no -o");
    if (r->want_cubin < 0)
        return usage("give --ptx or --cubin");
    return 0;
}

static int read_source(const char *path, char **text)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail("cannot read it: %s", strerror(errno));
    char *buf = malloc(MAX_SOURCE_BYTES + 1);
    if (!buf) {
        fclose(f);
        return fail("out of memory");
    }
    size_t n = fread(buf, 1, MAX_SOURCE_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > MAX_SOURCE_BYTES) {
        free(buf);
        return fail("%s", bad ? "read error" : "larger than 16 MiB");
    }
    buf[n] = '\0';
    *text = buf;
    return 0;
}

static int load_symbol(void *handle, const char *name, void **slot)
{
    *slot = dlsym(handle, name);
    return *slot ? 0 : -1;
}

static int load_api(const char *path, struct nvrtc_api *api)
{
    memset(api, 0, sizeof *api);
    api->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!api->handle)
        return fail("cannot load %s: %s", path, dlerror());
    /* ISO C has no conversion from void * to a function pointer; as POSIX
     * suggests for dlsym, the pointer is stored through a void * view of
     * each function pointer instead. */
    struct {
        const char *name;
        void *slot;
    } table[] = {
        { "nvrtcGetErrorString", &api->error_string },
        { "nvrtcVersion", &api->version },
        { "nvrtcCreateProgram", &api->create_program },
        { "nvrtcDestroyProgram", &api->destroy_program },
        { "nvrtcAddNameExpression", &api->add_name_expression },
        { "nvrtcCompileProgram", &api->compile_program },
        { "nvrtcGetProgramLogSize", &api->get_program_log_size },
        { "nvrtcGetProgramLog", &api->get_program_log },
        { "nvrtcGetPTXSize", &api->get_ptx_size },
        { "nvrtcGetPTX", &api->get_ptx },
        { "nvrtcGetCUBINSize", &api->get_cubin_size },
        { "nvrtcGetCUBIN", &api->get_cubin },
        { "nvrtcGetLoweredName", &api->get_lowered_name },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (load_symbol(api->handle, table[i].name, (void **)table[i].slot) != 0)
            return fail("%s has no %s", path, table[i].name);
    return 0;
}

static int nvrtc_failed(const struct nvrtc_api *api, const char *call, nvrtc_result rc)
{
    const char *what = api->error_string ? api->error_string(rc) : NULL;
    return fail("%s failed: %s", call, what ? what : "unknown error");
}

/* NVRTC's log, when there is one (warnings too), on stderr. */
static void print_log(const struct nvrtc_api *api, nvrtc_program prog)
{
    size_t size = 0;
    if (api->get_program_log_size(prog, &size) != 0 || size <= 1 || size > MAX_LOG_BYTES)
        return;
    char *log = malloc(size);
    if (log && api->get_program_log(prog, log) == 0) {
        log[size - 1] = '\0';
        fprintf(stderr, "%s%s", log, log[strlen(log) - 1] == '\n' ? "" : "\n");
    }
    free(log);
}

static int write_output(const char *path, const char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return fail("cannot create %s: %s", path, strerror(errno));
    int bad = fwrite(bytes, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad) {
        int why = errno;
        remove(path);
        return fail("cannot write %s: %s", path, strerror(why));
    }
    return 0;
}

/* The compiled program's PTX (without its terminating NUL) or cubin. */
static int save_result(const struct nvrtc_api *api, nvrtc_program prog, const struct request *r)
{
    size_t size = 0;
    nvrtc_result rc = r->want_cubin ? api->get_cubin_size(prog, &size)
                                    : api->get_ptx_size(prog, &size);
    if (rc != 0)
        return nvrtc_failed(api, r->want_cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize", rc);
    if (size == 0 || size > MAX_OUTPUT_BYTES)
        return fail("%s %s", r->want_cubin ? "cubin" : "PTX",
                    size ? "larger than 256 MiB" : "empty (was -arch=sm_XX given for a cubin?)");
    char *bytes = malloc(size);
    if (!bytes)
        return fail("out of memory");
    rc = r->want_cubin ? api->get_cubin(prog, bytes) : api->get_ptx(prog, bytes);
    int status;
    if (rc != 0)
        status = nvrtc_failed(api, r->want_cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX", rc);
    else
        status = write_output(r->out, bytes, r->want_cubin ? size : strnlen(bytes, size));
    free(bytes);
    return status;
}

static int compile(const struct nvrtc_api *api, const struct request *r, const char *source)
{
    nvrtc_program prog = NULL;
    nvrtc_result rc = api->create_program(&prog, source, r->file, 0, NULL, NULL);
    if (rc != 0)
        return nvrtc_failed(api, "nvrtcCreateProgram", rc);
    int status = 0;
    for (int i = 0; i < r->nname_exprs && status == 0; i++) {
        rc = api->add_name_expression(prog, r->name_exprs[i]);
        if (rc != 0)
            status = nvrtc_failed(api, "nvrtcAddNameExpression", rc);
    }
    if (status == 0) {
        rc = api->compile_program(prog, r->noptions, r->options);
        print_log(api, prog);
        if (rc != 0)
            status = nvrtc_failed(api, "nvrtcCompileProgram", rc);
    }
    for (int i = 0; i < r->nname_exprs && status == 0; i++) {
        const char *lowered = NULL;
        rc = api->get_lowered_name(prog, r->name_exprs[i], &lowered);
        if (rc != 0 || !lowered)
            status = nvrtc_failed(api, "nvrtcGetLoweredName", rc);
        else
            printf("nvrtc12: name %s = %s\n", r->name_exprs[i], lowered);
    }
    if (status == 0)
        status = save_result(api, prog, r);
    api->destroy_program(&prog);
    return status;
}

static int run(const struct request *r)
{
    struct nvrtc_api api;
    if (load_api(r->lib, &api) != 0)
        return 1;
    int major = 0, minor = 0;
    if (api.version(&major, &minor) != 0)
        return fail("%s: nvrtcVersion failed", r->lib);
    printf("nvrtc12: nvrtc %d.%d (%s) -> %s\n", major, minor, r->lib, r->out);
    fflush(stdout);

    char *source = NULL;
    if (read_source(r->file, &source) != 0)
        return 1;
    int status = compile(&api, r, source);
    free(source);
    return status;
}

int main(int argc, char **argv)
{
    struct request r;
    int status = parse_args(argc, argv, &r);
    if (status == 0)
        status = run(&r);
    release(&r);
    return status;
}
