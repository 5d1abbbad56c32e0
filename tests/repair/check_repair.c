/* check_repair: the preload library restores SageAttention's shadowed sm90 op.
 *
 * Each test runs python3 (the one the build found) on a fixture package with
 * and without LD_PRELOAD=libsageshim.so and a config of its own, and reads
 * what the fixture prints and what the shim logged.  The fixtures
 * (tests/repair/<shape>/sageattention) return "op" from call() when the real
 * op ran and "fake" when its fake did; the stub torch package
 * (tests/repair/stub) records what was registered.
 *
 * Paths come from the build: REPAIR_PYTHON, REPAIR_SOURCE_DIR (tests/repair),
 * REPAIR_FIXTURE_DIR ($(BUILD)/tests/repair), REPAIR_SHIM (the .so; $SS_LIBRARY
 * overrides it) and
 * REPAIR_PRELOAD_FIRST (the sanitizer runtime, when the shim is built with
 * one; "" otherwise). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define QUALNAME "sageattention_sm90::qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf"
#define REPAIR_LINE                                                                    \
    "repair: sageattention.sm90_compile.qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf" \
    " -> torch.ops.sageattention_sm90.qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf"  \
    " (shadowed by its fake)"

struct run {
    int status;            /* exit status, or -1 when it did not exit normally */
    char out[8192];        /* stdout */
    char log[16384];       /* the shim's log file */
};

enum preload { WITHOUT_SHIM, WITH_SHIM };

/* Read at most len-1 bytes of fd into buf, NUL-terminated. */
static void read_all(int fd, char *buf, size_t len)
{
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || used + (size_t)n >= len - 1) {
            if (n > 0)
                used += (size_t)n;
            break;
        }
        used += (size_t)n;
    }
    buf[used] = '\0';
}

static void read_file(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    read_all(fd, buf, len);
    close(fd);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* Run argv with a fresh environment: LD_PRELOAD (when asked), a config file
 * with `config_lines`, PYTHONPATH = stub torch + the fixture directory
 * `fixture` (under REPAIR_FIXTURE_DIR; NULL: the stub only). */
static void run_program(char *const argv[], const char *fixture, enum preload preload,
                        const char *config_lines, struct run *result)
{
    char dir[] = "/tmp/check_repair-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char conf[256], log[256], err[256];
    snprintf(conf, sizeof conf, "%s/sageshim.conf", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(err, sizeof err, "%s/stderr", dir);

    char config[2048];
    snprintf(config, sizeof config, "[sageshim]\nlog = %s\n%s\n", log, config_lines);
    write_file(conf, config);

    char env_preload[4096], env_conf[300], env_path[4096];
    /* SS_LIBRARY: an installed library (tests/packaging/wheel-check.sh). */
    const char *shim = getenv("SS_LIBRARY") && *getenv("SS_LIBRARY") ? getenv("SS_LIBRARY")
                                                                     : REPAIR_SHIM;
    if (REPAIR_PRELOAD_FIRST[0])
        snprintf(env_preload, sizeof env_preload, "LD_PRELOAD=%s %s", REPAIR_PRELOAD_FIRST,
                 shim);
    else
        snprintf(env_preload, sizeof env_preload, "LD_PRELOAD=%s", shim);
    snprintf(env_conf, sizeof env_conf, "SAGESHIM_CONF=%s", conf);
    if (fixture)
        snprintf(env_path, sizeof env_path, "PYTHONPATH=%s/stub:%s/%s", REPAIR_SOURCE_DIR,
                 REPAIR_FIXTURE_DIR, fixture);
    else
        snprintf(env_path, sizeof env_path, "PYTHONPATH=%s/stub", REPAIR_SOURCE_DIR);
    char *envp[] = {
        env_conf, env_path,
        "PYTHONDONTWRITEBYTECODE=1",       /* nothing written into the source tree */
        "PYTHONNOUSERSITE=1",
        /* The stub torch's tensors are CPU tensors: count them as a device
         * of an arch in `archs`, or the long-input wrappers never engage. */
        "SAGESHIM_TEST_CPU_ARCH=90",
        "ASAN_OPTIONS=detect_leaks=0",     /* CPython keeps its objects at exit */
        preload == WITH_SHIM ? env_preload : NULL,
        NULL,
    };

    int out_pipe[2];
    ck_assert(pipe(out_pipe) == 0);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int err_fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out_pipe[1], 1);
        if (err_fd >= 0)
            dup2(err_fd, 2);
        close(out_pipe[0]);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    close(out_pipe[1]);
    read_all(out_pipe[0], result->out, sizeof result->out);
    close(out_pipe[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    result->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    read_file(log, result->log, sizeof result->log);

    char err_text[4096];
    read_file(err, err_text, sizeof err_text);
    if (result->status != 0)
        fprintf(stderr, "%s exited %d; stderr:\n%s\nlog:\n%s\n", argv[0], result->status,
                err_text, result->log);
    unlink(conf);
    unlink(log);
    unlink(err);
    rmdir(dir);
}

static void run_python(const char *fixture, enum preload preload, const char *config_lines,
                       const char *code, struct run *result)
{
    char *argv[] = { REPAIR_PYTHON, "-c", (char *)code, NULL };
    run_program(argv, fixture, preload, config_lines, result);
}

static int count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Which implementation each fixture call reached. */
static const char call_both[] =
    "import sageattention as s\n"
    "print(s.call(), s.call_other())\n";

START_TEST(broken_with_shim_runs_the_op)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on", call_both, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "op op\n");
    ck_assert_int_eq(count(r.log, REPAIR_LINE), 1);
    ck_assert_int_eq(count(r.log, "shadowed by its fake"), 1);
}
END_TEST

START_TEST(broken_with_shim_binds_the_op_and_keeps_the_fake)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on",
               "import torch, sageattention as s\n"
               "name = 'qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf'\n"
               "bound = getattr(s.sm90_compile, name)\n"
               "print(bound is torch.library.custom_ops['" QUALNAME "'])\n"
               "fake = torch.library.fakes['" QUALNAME "']\n"
               "print(fake.__name__ == name, fake('q'))\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "True\nTrue fake\n");
}
END_TEST

START_TEST(broken_without_shim_runs_the_fake)
{
    struct run r;
    run_python("broken", WITHOUT_SHIM, "", call_both, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "fake op\n");
}
END_TEST

START_TEST(healthy_with_shim_is_unchanged)
{
    struct run r;
    run_python("healthy", WITH_SHIM, "repair = on",
               "import torch, sageattention as s\n"
               "print(s.call(), s.call_other())\n"
               "fake = torch.library.fakes['" QUALNAME "']\n"
               "print(fake.__name__.endswith('_fake'), fake('q'))\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "op op\nTrue fake\n");
    ck_assert_int_eq(count(r.log, "shadowed"), 0);
}
END_TEST

START_TEST(healthy_without_shim_runs_the_op)
{
    struct run r;
    run_python("healthy", WITHOUT_SHIM, "", call_both, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "op op\n");
}
END_TEST

START_TEST(repair_off_leaves_broken_broken)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = off", call_both, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "fake op\n");
    ck_assert_int_eq(count(r.log, "repair off: sageattention._qattn_sm90"), 1);
    ck_assert_int_eq(count(r.log, "shadowed"), 0);
}
END_TEST

START_TEST(repair_off_leaves_register_fake_alone)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = off",
               "import torch, sageattention\n"
               "print(hasattr(torch.library.register_fake, '__wrapped__'))\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "False\n");
}
END_TEST

/* The extension is imported after sm90_compile: the shadowing has already
 * happened, so the shim rebinds the module attribute to torch.ops. */
START_TEST(already_shadowed_name_is_rebound)
{
    struct run r;
    run_python("late", WITH_SHIM, "repair = on",
               "import types, sageattention as s\n"
               "print(s.call(), s.call_other())\n"
               "print(s.sm90_compile.helper(), isinstance(s.sm90_compile.helper,"
               " types.FunctionType))\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "op op\nhelper True\n");
    ck_assert_int_eq(count(r.log, REPAIR_LINE), 1);
    ck_assert_int_eq(count(r.log, "shadowed"), 1);
}
END_TEST

START_TEST(already_shadowed_name_without_shim_runs_the_fake)
{
    struct run r;
    run_python("late", WITHOUT_SHIM, "", call_both, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "fake op\n");
}
END_TEST

START_TEST(no_names_left_in_main_or_builtins)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on",
               "import sys, builtins\n"
               "main_before = set(vars(sys.modules['__main__'])) | {'main_before',"
               " 'builtins_before'}\n"
               "builtins_before = set(vars(builtins))\n"
               "import sageattention\n"
               "print(sorted(set(vars(sys.modules['__main__'])) - main_before"
               " - {'sageattention'}))\n"
               "print(sorted(set(vars(builtins)) - builtins_before))\n"
               "print(sageattention.call())\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "[]\n[]\nop\n");
}
END_TEST

/* Outside the watched package, register_fake behaves exactly as the
 * original: the decorated function comes back even when its name is the
 * op's, and every argument reaches the original unchanged. */
START_TEST(other_register_fake_calls_pass_through)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on",
               "import torch, sageattention\n"
               "@torch.library.custom_op('mine::twin', mutates_args=())\n"
               "def twin(q):\n"
               "    return 'op'\n"
               "@torch.library.register_fake('mine::twin', lib='L', _stacklevel=3)\n"
               "def twin(q):\n"
               "    return 'fake'\n"
               "print(twin('q'))\n"
               "print(torch.library.register_fake_calls[-1])\n"
               "def direct(q):\n"
               "    return 'direct'\n"
               "print(torch.library.register_fake('mine::direct', direct) is direct)\n"
               "print(torch.library.register_fake_calls[-1][1] == (direct,))\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out,
                     "fake\n"
                     "('mine::twin', (), {'lib': 'L', '_stacklevel': 3, 'allow_override': False})\n"
                     "True\nTrue\n");
}
END_TEST

/* A failure inside the repair's Python is logged and cleared: the import
 * goes on as if there were no shim. */
START_TEST(error_in_repair_is_logged_and_import_goes_on)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on",
               "import torch\n"
               "original = torch.library.register_fake\n"
               "class Odd:\n"
               "    def __getattr__(self, name):\n"
               "        raise RuntimeError('odd attribute ' + name)\n"
               "    def __call__(self, *args, **kwargs):\n"
               "        return original(*args, **kwargs)\n"
               "torch.library.register_fake = Odd()\n"
               "import sageattention\n"
               "print(sageattention.call())\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "fake\n");
    ck_assert_int_eq(count(r.log, "repair: failed after importing sageattention._qattn_sm90"
                                  " (import goes on): odd attribute __sageshim_repair__"), 1);
}
END_TEST

/* A Ctrl-C or sys.exit() while the repair runs is the user's: the import
 * raises it, as it would have a moment earlier, inside the extension's own
 * init.  The fixture: register_fake replaced by an object whose attributes
 * raise (the repair looks one up first thing), here a BaseException. */
#define INTERRUPTING(raise)                                                   \
    "import sys, torch\n"                                                     \
    "original = torch.library.register_fake\n"                               \
    "class Interrupting:\n"                                                  \
    "    def __getattr__(self, name):\n"                                     \
    "        " raise "\n"                                                    \
    "    def __call__(self, *args, **kwargs):\n"                             \
    "        return original(*args, **kwargs)\n"                             \
    "torch.library.register_fake = Interrupting()\n"

static const char interrupted_import[] =
    INTERRUPTING("raise KeyboardInterrupt('ctrl-c in ' + name)")
    "try:\n"
    "    import sageattention\n"
    "    print('imported')\n"
    "except KeyboardInterrupt as e:\n"
    "    print('KeyboardInterrupt:', e)\n"
    "print(sorted(m for m in sys.modules if m.startswith('sageattention')))\n"
    /* Nothing was left half done: the next import repairs as usual. */
    "torch.library.register_fake = original\n"
    "import sageattention\n"
    "print(sageattention.call())\n";

START_TEST(keyboard_interrupt_in_the_repair_reaches_the_import)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on", interrupted_import, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "KeyboardInterrupt: ctrl-c in __sageshim_repair__\n[]\nop\n");
    ck_assert_int_eq(count(r.log, "repair: <class 'KeyboardInterrupt'> raised while repairing"
                                  " sageattention._qattn_sm90; passed on to the import"), 1);
    ck_assert_int_eq(count(r.log, "failed after importing"), 0);
    ck_assert_int_eq(count(r.log, REPAIR_LINE), 1);
}
END_TEST

/* Multi-phase init: the init returned its static PyModuleDef, which the
 * wrapper must hand back to nobody and never release. */
START_TEST(keyboard_interrupt_in_the_repair_of_a_multi_phase_module)
{
    struct run r;
    run_python("fused_multi", WITH_SHIM, "repair = on",
               INTERRUPTING("raise KeyboardInterrupt")
               "try:\n"
               "    import sageattention\n"
               "    print('imported')\n"
               "except KeyboardInterrupt:\n"
               "    print('KeyboardInterrupt')\n"
               "import gc; gc.collect()\n"
               "torch.library.register_fake = original\n"
               "import sageattention\n"
               "print('imported')\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "KeyboardInterrupt\nimported\n");
    ck_assert_int_eq(count(r.log, "<class 'KeyboardInterrupt'> raised while repairing"
                                  " sageattention._fused"), 1);
}
END_TEST

START_TEST(system_exit_in_the_repair_reaches_the_import)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on",
               INTERRUPTING("sys.exit(3)")
               "try:\n"
               "    import sageattention\n"
               "    print('imported')\n"
               "except SystemExit as e:\n"
               "    print('SystemExit', e.code)\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "SystemExit 3\n");
    ck_assert_int_eq(count(r.log, "<class 'SystemExit'> raised while repairing"), 1);
}
END_TEST

START_TEST(watched_extension_is_wrapped)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on\nlog_level = debug", call_both, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(count(r.log, "watching the init of sageattention._qattn_sm90"), 1);
}
END_TEST

/* Same PyInit name, but the file is not in a directory "sageattention". */
START_TEST(extension_of_another_package_is_not_wrapped)
{
    struct run r;
    run_python("elsewhere", WITH_SHIM, "repair = on\nlog_level = debug",
               "import notsage, torch\n"
               "print(notsage.call(), hasattr(torch.library.register_fake, '__wrapped__'))\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "not watched False\n");
    ck_assert_int_eq(count(r.log, "watching the init"), 0);
}
END_TEST

START_TEST(python_without_the_package_is_unaffected)
{
    struct run r;
    run_python(NULL, WITH_SHIM, "repair = on",
               "import json, sys\n"
               "print(json.dumps([1]), 'torch' in sys.modules)\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "[1] False\n");
    ck_assert_int_eq(count(r.log, "repair: ") + count(r.log, "repair off: "), 0);
}
END_TEST

START_TEST(process_without_python_is_unaffected)
{
    struct run r;
    char *true_argv[] = { "/bin/true", NULL };
    run_program(true_argv, NULL, WITH_SHIM, "repair = on", &r);
    ck_assert_int_eq(r.status, 0);
    char *echo_argv[] = { "/bin/echo", "hello", NULL };
    run_program(echo_argv, NULL, WITH_SHIM, "repair = on", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "hello\n");
    ck_assert_int_eq(count(r.log, "repair: ") + count(r.log, "repair off: "), 0);
}
END_TEST

/* torch attributes a fake to the code `_stacklevel` frames up: under the
 * shim, the direct form and the decorator form are still attributed to the
 * caller, not to the register_fake wrapper (issue 15). */
START_TEST(register_fake_keeps_the_callers_location)
{
    struct run r;
    run_python("broken", WITH_SHIM, "repair = on",
               "import torch, sageattention\n"
               "def fake(q):\n"
               "    return 'fake'\n"
               "torch.library.register_fake('mine::direct', fake)\n"
               "@torch.library.register_fake('mine::decorated')\n"
               "def decorated(q):\n"
               "    return 'fake'\n"
               "print(hasattr(torch.library.register_fake, '__wrapped__'))\n"
               "print(torch.library.register_fake_sources['mine::direct'])\n"
               "print(torch.library.register_fake_sources['mine::decorated'])\n",
               &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "True\n('__main__', '<string>')\n('__main__', '<string>')\n");
}
END_TEST

/* shim/repair.py on its own against the stub torch (test_repair_py.py). */
START_TEST(repair_py_passes_its_own_tests)
{
    struct run r;
    char *argv[] = { REPAIR_PYTHON, "-B", REPAIR_SOURCE_DIR "/test_repair_py.py", NULL };
    run_program(argv, NULL, WITHOUT_SHIM, "", &r);
    ck_assert_int_eq(r.status, 0);
}
END_TEST

/* SageAttention's _fused truncates strides to 32 bits: with a batch of 2 and
 * a batch stride of 2^32 the second element is read wrongly.  Under the shim
 * the entry point runs per batch element, whatever name quant's caller bound. */
static const char fused_call[] =
    "import torch, sageattention as s\n"
    "def run(stride):\n"
    "    q = torch.Tensor((2, stride // 7168, 56, 128), (stride, 7168, 128, 1), ['a', 'b'])\n"
    "    q_int8, q_scale = s.per_block_int8(q)\n"
    "    print(q_int8.items(), q_scale.items())\n"
    "run(1 << 32)\n"
    "run((1 << 32) - 7168)\n"
    "run(1 << 33)\n";

START_TEST(wide_batch_stride_is_split_under_the_shim)
{
    struct run r;
    run_python("fused", WITH_SHIM, "repair = on", fused_call, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out,
                     "['int8(a)', 'int8(b)'] ['scale(a)', 'scale(b)']\n"
                     "['int8(a)', 'int8(b)'] ['scale(a)', 'scale(b)']\n"
                     "['int8(a)', 'int8(b)'] ['scale(a)', 'scale(b)']\n");
    ck_assert_int_eq(count(r.log, "repair: sageattention._fused.quant_per_block_int8_cuda: a batch"
                                  " stride does not fit 32 bits; running its 2 batch elements"
                                  " one at a time"), 1);
}
END_TEST

START_TEST(wide_batch_stride_is_wrong_without_the_shim)
{
    struct run r;
    run_python("fused", WITHOUT_SHIM, "", fused_call, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out,
                     "['int8(a)', 'int8(wrapped)'] ['scale(a)', 'scale(wrapped)']\n"
                     "['int8(a)', 'int8(b)'] ['scale(a)', 'scale(b)']\n"
                     "['int8(a)', 'int8(wrapped)'] ['scale(a)', 'scale(wrapped)']\n");
}
END_TEST

/* A _fused built with multi-phase init hands its PyInit caller a definition:
 * its entry points are wrapped at the package's next register_fake call (in
 * SageAttention, core.py's, right after it bound quant's functions). */
START_TEST(multi_phase_fused_is_split_too)
{
    struct run r;
    run_python("fused_multi", WITH_SHIM, "repair = on", fused_call, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(count(r.out, "wrapped"), 0);
    ck_assert_int_eq(count(r.out, "int8(b)"), 3);
    ck_assert_int_eq(count(r.log, "a batch stride does not fit 32 bits"), 1);
    run_python("fused_multi", WITHOUT_SHIM, "", fused_call, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(count(r.out, "wrapped"), 4);
}
END_TEST

/* _fused is watched through repair_modules like the other extensions. */
START_TEST(fused_not_in_repair_modules_is_left_alone)
{
    struct run r;
    run_python("fused", WITH_SHIM, "repair_modules = sageattention._qattn_sm90", fused_call, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(count(r.out, "wrapped"), 4);
    ck_assert_int_eq(count(r.log, "batch stride"), 0);
}
END_TEST

static Suite *repair_suite(void)
{
    Suite *s = suite_create("repair");
    TCase *tc = tcase_create("python");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, broken_with_shim_runs_the_op);
    tcase_add_test(tc, broken_with_shim_binds_the_op_and_keeps_the_fake);
    tcase_add_test(tc, broken_without_shim_runs_the_fake);
    tcase_add_test(tc, healthy_with_shim_is_unchanged);
    tcase_add_test(tc, healthy_without_shim_runs_the_op);
    tcase_add_test(tc, repair_off_leaves_broken_broken);
    tcase_add_test(tc, repair_off_leaves_register_fake_alone);
    tcase_add_test(tc, already_shadowed_name_is_rebound);
    tcase_add_test(tc, already_shadowed_name_without_shim_runs_the_fake);
    tcase_add_test(tc, no_names_left_in_main_or_builtins);
    tcase_add_test(tc, other_register_fake_calls_pass_through);
    tcase_add_test(tc, error_in_repair_is_logged_and_import_goes_on);
    tcase_add_test(tc, keyboard_interrupt_in_the_repair_reaches_the_import);
    tcase_add_test(tc, keyboard_interrupt_in_the_repair_of_a_multi_phase_module);
    tcase_add_test(tc, system_exit_in_the_repair_reaches_the_import);
    tcase_add_test(tc, watched_extension_is_wrapped);
    tcase_add_test(tc, extension_of_another_package_is_not_wrapped);
    tcase_add_test(tc, python_without_the_package_is_unaffected);
    tcase_add_test(tc, process_without_python_is_unaffected);
    tcase_add_test(tc, register_fake_keeps_the_callers_location);
    tcase_add_test(tc, repair_py_passes_its_own_tests);
    tcase_add_test(tc, wide_batch_stride_is_split_under_the_shim);
    tcase_add_test(tc, wide_batch_stride_is_wrong_without_the_shim);
    tcase_add_test(tc, multi_phase_fused_is_split_too);
    tcase_add_test(tc, fused_not_in_repair_modules_is_left_alone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(repair_suite());
}
