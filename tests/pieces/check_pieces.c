/* check_pieces: long inputs made right by the repair, against real torch.
 *
 * Each test runs python3 on tests/pieces/scenario.py in a fixture tree
 * ($(BUILD)/tests/pieces/<tree>/sageattention: one of v2.2.0's, 68de379's or
 * a no-fake import order, with the stand-in extension modules that
 * build_standin.py built the way torch 2.11 builds SageAttention's: pybind11
 * 3.x, multi-phase init), with and without LD_PRELOAD=libsageshim.so, and
 * reads what the scenario prints and what the shim logged.  The offset
 * limits are lowered to 2^14 (SAGESHIM_OFFSET_BITS, which the stand-ins
 * honour too) and CPU tensors count as a device of arch 90
 * (SAGESHIM_TEST_CPU_ARCH), so small tensors go wrong as long ones do on a
 * GPU.
 *
 * Paths come from the build: PIECES_PYTHON, PIECES_SOURCE_DIR (tests/pieces),
 * PIECES_FIXTURE_DIR, PIECES_SHIM and PIECES_PRELOAD_FIRST (the sanitizer
 * runtime when the shim has one). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

struct run {
    int status;              /* exit status, or 128 + signal */
    char out[16384];         /* stdout */
    char log[65536];         /* the shim's log */
};

enum preload { BARE, WITH_SHIM };

static void read_fd(int fd, char *buf, size_t len)
{
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used >= len - 1)
            break;
    }
    buf[used] = '\0';
}

static void read_path(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        read_fd(fd, buf, len);
        close(fd);
    }
}

/* python3 scenario.py <scenario> in fixture tree `tree`, with `config`
 * lines in the shim's config and the CPU counted as arch `cpu_arch`. */
static void scenario(const char *tree, const char *name, enum preload preload,
                     const char *config, const char *cpu_arch, struct run *r)
{
    char dir[] = "/tmp/check_pieces-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char conf[256], log[256], err[256];
    snprintf(conf, sizeof conf, "%s/sageshim.conf", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(err, sizeof err, "%s/stderr", dir);
    FILE *f = fopen(conf, "w");
    ck_assert(f != NULL);
    fprintf(f, "[sageshim]\nlog = %s\n%s\n", log, config);
    fclose(f);

    char env_conf[300], env_path[4096], env_preload[4096], env_arch[64];
    snprintf(env_conf, sizeof env_conf, "SAGESHIM_CONF=%s", conf);
    snprintf(env_path, sizeof env_path, "PYTHONPATH=%s/%s", PIECES_FIXTURE_DIR, tree);
    snprintf(env_preload, sizeof env_preload, "LD_PRELOAD=%s%s%s", PIECES_PRELOAD_FIRST,
             PIECES_PRELOAD_FIRST[0] ? " " : "", PIECES_SHIM);
    snprintf(env_arch, sizeof env_arch, "SAGESHIM_TEST_CPU_ARCH=%s", cpu_arch);
    char *envp[] = {
        env_conf, env_path, env_arch,
        "SAGESHIM_OFFSET_BITS=14",
        "PYTHONDONTWRITEBYTECODE=1",
        "PYTHONNOUSERSITE=1",
        "PYTHONWARNINGS=ignore",
        "OMP_NUM_THREADS=1",
        "HOME=/tmp",
        "ASAN_OPTIONS=detect_leaks=0:alloc_dealloc_mismatch=0",
        preload == WITH_SHIM ? env_preload : NULL,
        NULL,
    };
    char script[4096];
    snprintf(script, sizeof script, "%s/scenario.py", PIECES_SOURCE_DIR);
    char *argv[] = { PIECES_PYTHON, "-B", script, (char *)name, NULL };

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
    read_fd(out_pipe[0], r->out, sizeof r->out);
    close(out_pipe[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    read_path(log, r->log, sizeof r->log);
    char err_text[8192];
    read_path(err, err_text, sizeof err_text);
    if (r->status != 0)
        fprintf(stderr, "%s %s exited %d\nstdout:\n%s\nstderr:\n%s\n", tree, name, r->status,
                r->out, err_text);
    unlink(conf);
    unlink(log);
    unlink(err);
    rmdir(dir);
}

static int has(const char *text, const char *needle)
{
    return strstr(text, needle) != NULL;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static const char *const trees[] = { "v220", "68de379", "nofake" };

/* ---- 0. the cutting logic against a model of the upstream expressions ------ */

START_TEST(cutting_logic_at_the_real_sizes)
{
    char script[4096];
    snprintf(script, sizeof script, "%s/test_pieces.py", PIECES_SOURCE_DIR);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        char *argv[] = { PIECES_PYTHON, "-B", script, NULL };
        char *envp[] = { "PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1",
                         "PYTHONWARNINGS=ignore", "HOME=/tmp", NULL };
        execve(argv[0], argv, envp);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "test_pieces.py failed (its output is above)");
}
END_TEST

/* ---- 1. what a real build gives, when it gives it ------------------------ */

START_TEST(every_module_is_wrapped_in_every_import_order)
{
    struct run r;
    scenario(trees[_i], "imports", WITH_SHIM, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(has(r.out, "wrapped _fused yes\n"), "%s: %s", trees[_i], r.out);
    ck_assert_msg(has(r.out, "wrapped _qattn_sm90 yes\n"), "%s: %s", trees[_i], r.out);
    ck_assert_msg(has(r.out, "wrapped _qattn_sm89 yes\n"), "%s: %s", trees[_i], r.out);
    ck_assert_msg(has(r.out, "wrapped _qattn_sm80 yes\n"), "%s: %s", trees[_i], r.out);
    ck_assert_msg(has(r.out, "wrapped triton yes\n"), "%s: %s", trees[_i], r.out);
    ck_assert(!has(r.out, "binds the fake"));
}
END_TEST

START_TEST(nothing_is_wrapped_without_the_shim)
{
    struct run r;
    scenario("v220", "imports", BARE, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(count(r.out, " no\n"), 5);
    ck_assert(has(r.out, "sm90_compile binds the fake\n"));
}
END_TEST

START_TEST(batch_split_engages_with_a_multi_phase_fused)
{
    struct run r;
    scenario(trees[_i], "split", WITH_SHIM, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "split equal\n");
    ck_assert_int_eq(count(r.log, "a batch stride does not fit 32 bits; running its 2 batch "
                                  "elements one at a time (logged once per process)"), 1);
}
END_TEST

START_TEST(batch_split_is_needed)
{
    struct run r;
    scenario("v220", "split", BARE, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "split differs\n");
}
END_TEST

/* ---- 2. attention in pieces ----------------------------------------------- */

START_TEST(attention_pieces_equal_the_uncut_result)
{
    struct run r;
    scenario(trees[_i], "attention", WITH_SHIM, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(has(r.out, "attention equal 14 of 14\n"), "%s", r.out);
    ck_assert_int_eq(count(r.log, "repair: attention: offsets past 2^32 elements"), 1);
}
END_TEST

START_TEST(attention_without_pieces_is_wrong)
{
    struct run r;
    scenario("68de379", "attention-one", BARE, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "attention-one differs\n");
}
END_TEST

START_TEST(attention_under_torch_compile)
{
    struct run r;
    scenario("v220", "compile", WITH_SHIM, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "compile equal\n");
}
END_TEST

/* ---- 3. the Triton quantizers ---------------------------------------------- */

START_TEST(triton_quantizer_pieces_equal_the_uncut_result)
{
    struct run r;
    scenario(trees[_i], "quant", WITH_SHIM, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "quant equal\n");
    ck_assert_int_eq(count(r.log, "repair: Triton quant_query_per_thread_int8_kernel: "
                                  "offsets past 2^31 elements"), 1);
}
END_TEST

START_TEST(triton_quantizer_without_pieces_faults)
{
    struct run r;
    scenario("v220", "quant", BARE, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "quant error CUDA error: an illegal memory access was encountered\n");
}
END_TEST

START_TEST(triton_attention_pieces_equal_the_uncut_result)
{
    struct run r;
    scenario(trees[_i], "triton-attention", WITH_SHIM, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "triton-attention equal\n");
    ck_assert_int_eq(count(r.log, "repair: Triton attention "
                                  "sageattention.triton.attn_qk_int8_per_block._attn_fwd: "
                                  "offsets past 2^31 elements"), 1);
}
END_TEST

START_TEST(triton_attention_without_pieces_faults)
{
    struct run r;
    scenario("68de379", "triton-attention", BARE, "", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "triton-attention error CUDA error: an illegal memory access was "
                            "encountered\n");
}
END_TEST

/* ---- 4. only where the design says ------------------------------------------ */

START_TEST(a_device_outside_archs_is_untouched)
{
    struct run r;
    scenario("68de379", "attention-one", WITH_SHIM, "", "86", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "attention-one differs\n");
    ck_assert_msg(!has(r.log, "pieces by"), "%s", r.log);
    scenario("v220", "split", WITH_SHIM, "", "86", &r);
    ck_assert_str_eq(r.out, "split differs\n");
}
END_TEST

START_TEST(archs_extended_to_the_device_cuts_there)
{
    struct run r;
    scenario("68de379", "attention-one", WITH_SHIM, "archs = 86", "86", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "attention-one equal\n");
}
END_TEST

START_TEST(repair_off_cuts_nothing)
{
    struct run r;
    scenario("68de379", "attention-one", WITH_SHIM, "repair = off", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "attention-one differs\n");
}
END_TEST

/* ---- 5. say it --------------------------------------------------------------- */

START_TEST(diagnose_counts_cut_calls)
{
    struct run r;
    scenario("68de379", "attention-one", WITH_SHIM, "mode = diagnose", "90", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(has(r.log, "summary: long inputs: 1 call run in pieces (attention 1)"),
                  "%s", r.log);
}
END_TEST

Suite *pieces_suite(void)
{
    Suite *s = suite_create("pieces");
    TCase *model = tcase_create("model");
    tcase_set_timeout(model, 120);
    tcase_add_test(model, cutting_logic_at_the_real_sizes);
    suite_add_tcase(s, model);

    TCase *imports = tcase_create("imports");
    tcase_set_timeout(imports, 120);
    tcase_add_loop_test(imports, every_module_is_wrapped_in_every_import_order, 0, 3);
    tcase_add_test(imports, nothing_is_wrapped_without_the_shim);
    tcase_add_loop_test(imports, batch_split_engages_with_a_multi_phase_fused, 0, 3);
    tcase_add_test(imports, batch_split_is_needed);
    suite_add_tcase(s, imports);

    TCase *attention = tcase_create("attention");
    tcase_set_timeout(attention, 600);
    tcase_add_loop_test(attention, attention_pieces_equal_the_uncut_result, 0, 1);
    tcase_add_test(attention, attention_without_pieces_is_wrong);
    tcase_add_test(attention, attention_under_torch_compile);
    suite_add_tcase(s, attention);

    TCase *triton = tcase_create("triton");
    tcase_set_timeout(triton, 120);
    tcase_add_loop_test(triton, triton_quantizer_pieces_equal_the_uncut_result, 0, 3);
    tcase_add_test(triton, triton_quantizer_without_pieces_faults);
    tcase_add_loop_test(triton, triton_attention_pieces_equal_the_uncut_result, 0, 2);
    tcase_add_test(triton, triton_attention_without_pieces_faults);
    suite_add_tcase(s, triton);

    TCase *where = tcase_create("where");
    tcase_set_timeout(where, 120);
    tcase_add_test(where, a_device_outside_archs_is_untouched);
    tcase_add_test(where, archs_extended_to_the_device_cuts_there);
    tcase_add_test(where, repair_off_cuts_nothing);
    tcase_add_test(where, diagnose_counts_cut_calls);
    suite_add_tcase(s, where);
    return s;
}

int main(void)
{
    return run_suite(pieces_suite());
}
