/* check_tool_inspect.c: `sageshim inspect` lists every kernel of
 * tests/fixtures/kernels.cu with the parameter sizes the source declares,
 * as text and as JSON. */
#include "testutil.h"
#include "toolrun.h"

/* Kernel -> parameter sizes, from the declarations in kernels.cu. */
static const struct {
    const char *name;
    const char *sizes;   /* comma-separated, in ordinal order */
} declared[] = {
    { "add_c", "8,8,4" },                                  /* float*, const float*, int */
    { "_Z5mixedcsd3BigPi", "1,2,8,32,8" },                 /* char, short, double, Big, int* */
    { "_Z5scaleIfLi4EEvPT_S0_i", "8,4,4" },                /* float*, float, int */
    { "_Z5scaleIdLi2EEvPT_S0_i", "8,8,4" },                /* double*, double, int */
    { "_Z10tma_kernel14CUtensorMap_stPfi", "128,8,4" },    /* CUtensorMap, float*, int */
    { "_Z6palignc3A64d", "1,64,8" },                       /* char, A64, double */
    { "_Z10huge_param4HugePi", "8192,8" },                 /* Huge, int* */
    { "_Z8noparamsv", "" },
    { "_Z12unused_paramiiPf", "4,4,8" },                   /* int, int, float* */
    { "_Z12local_kernelPi", "8" },                         /* int* */
    { "_Z11smem_staticPf", "8" },                          /* float* */
};
#define NDECLARED (sizeof declared / sizeof *declared)

/* One line per kernel of the JSON's first ELF entry: "name sizes smem threads". */
static const char *summarize_json =
    "import json,sys\n"
    "d=json.load(sys.stdin)\n"
    "e=[e for c in d['files'][0]['containers'] for e in c['entries'] if e['kind']=='elf'][0]\n"
    "print(e['arch'], len(e['kernels']))\n"
    "for k in e['kernels']:\n"
    "  print(k['name'], ','.join(str(p['size']) for p in k['params']) or '-',\n"
    "        k['static_smem'], k['max_threads'][0], k['local'])\n";

START_TEST(text_lists_every_kernel_with_declared_sizes)
{
    char script[8192];
    snprintf(script, sizeof script, "\"$SAGESHIM\" inspect %s",
             fixture_path("kernels_sm90a.cubin"));
    struct tool_result r = run_shell(script);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "sm_90a"));
    for (size_t i = 0; i < NDECLARED; i++) {
        char line[256];
        snprintf(line, sizeof line, "kernel %s", declared[i].name);
        ck_assert_msg(strstr(r.out, line), "missing %s in:\n%s", line, r.out);
    }
    /* mixed(char, short, double, Big, int*): natural alignment gives these. */
    ck_assert_ptr_nonnull(strstr(r.out, "params 0:0/1 1:2/2 2:8/8 3:16/32 4:48/8"));
    ck_assert_ptr_nonnull(strstr(r.out, "params 0:0/8192 1:8192/8"));
    ck_assert_ptr_nonnull(strstr(r.out, "kernel _Z12local_kernelPi (local)"));
    ck_assert_ptr_nonnull(strstr(r.out, "params none"));
    tool_result_free(&r);
}
END_TEST

START_TEST(json_is_valid)
{
    /* fixture_path() reuses one buffer: pass the directory to the shell. */
    setenv("FIX", fixture_path(""), 1);
    struct tool_result r = run_shell(
        "\"$SAGESHIM\" inspect --json $FIX/kernels_none.fatbin $FIX/libext.so "
        "$FIX/cluster.fatbin $FIX/kernels_90a.ptx > out.json.$$ && python3 -m json.tool "
        "out.json.$$ > /dev/null; rc=$?; rm -f out.json.$$; exit $rc");
    ck_assert_msg(r.status == 0, "invalid JSON: %s", r.err);
    tool_result_free(&r);
}
END_TEST

START_TEST(json_lists_every_kernel_with_declared_sizes)
{
    char script[8192];
    snprintf(script, sizeof script, "\"$SAGESHIM\" inspect --json %s | python3 -c \"$PY\"",
             fixture_path("kernels_sm90a.cubin"));
    setenv("PY", summarize_json, 1);
    struct tool_result r = run_shell(script);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "sm_90a 11\n"));
    for (size_t i = 0; i < NDECLARED; i++) {
        char line[256];
        snprintf(line, sizeof line, "%s %s ", declared[i].name,
                 declared[i].sizes[0] ? declared[i].sizes : "-");
        ck_assert_msg(strstr(r.out, line), "missing '%s' in:\n%s", line, r.out);
    }
    /* __launch_bounds__(256, 2) */
    ck_assert_ptr_nonnull(strstr(r.out, "_Z10tma_kernel14CUtensorMap_stPfi 128,8,4 None 256 False"));
    /* static __global__ */
    ck_assert_ptr_nonnull(strstr(r.out, "_Z12local_kernelPi 8 None 0 True"));
    tool_result_free(&r);
}
END_TEST

START_TEST(text_shows_static_shared_memory)
{
    char script[8192];
    snprintf(script, sizeof script, "\"$SAGESHIM\" inspect %s",
             fixture_path("kernels_sm80.cubin"));
    struct tool_result r = run_shell(script);
    ck_assert_int_eq(r.status, 0);
    /* smem_static: __shared__ float s[1000] (sm_80 reserves nothing extra) */
    const char *k = strstr(r.out, "kernel _Z11smem_staticPf");
    ck_assert_ptr_nonnull(k);
    const char *smem = strstr(k, "static_smem ");
    ck_assert_ptr_nonnull(smem);
    ck_assert_int_eq(atoi(smem + strlen("static_smem ")), 4000);
    tool_result_free(&r);
}
END_TEST

START_TEST(json_shows_cluster_dims)
{
    char script[8192];
    snprintf(script, sizeof script,
             "\"$SAGESHIM\" inspect --json %s | python3 -c 'import json,sys\n"
             "d=json.load(sys.stdin)\n"
             "for c in d[\"files\"][0][\"containers\"]:\n"
             "  for e in c[\"entries\"]:\n"
             "    for k in e[\"kernels\"]: print(e[\"arch\"], k[\"name\"], k[\"cluster_dims\"])'",
             fixture_path("cluster.fatbin"));
    struct tool_result r = run_shell(script);
    ck_assert_msg(r.status == 0, "%s", r.err);
    /* __cluster_dims__(2, 1, 1) */
    ck_assert_ptr_nonnull(strstr(r.out, "sm_90a _Z14cluster_kernelPf [2, 1, 1]"));
    tool_result_free(&r);
}
END_TEST

/* kernels_none.fatbin holds 13.0 cubins (OSABI 0x41) and PTX: the cubins
 * show ELF ABI 2, the PTX has none. */
START_TEST(elf_abi_is_shown_for_cubins_only)
{
    setenv("FIX", fixture_path(""), 1);
    struct tool_result r = run_shell("\"$SAGESHIM\" inspect $FIX/kernels_sm90a.cubin "
                                     "$FIX/kernels_90a.ptx");
    ck_assert_int_eq(r.status, 0);
    const char *line = strstr(r.out, "elf abi 2 (osabi 0x41)");
    ck_assert_msg(line != NULL, "no ABI line in:\n%s", r.out);
    ck_assert_msg(strstr(line + 1, "elf abi") == NULL, "an ABI line for the PTX too:\n%s", r.out);
    tool_result_free(&r);

    setenv("PY", "import json,sys\n"
                 "d=json.load(sys.stdin)\n"
                 "print(sorted(set((e['kind'], e['elf_abi']) for f in d['files']\n"
                 "  for c in f['containers'] for e in c['entries']), key=str))\n", 1);
    r = run_shell("\"$SAGESHIM\" inspect --json $FIX/kernels_none.fatbin | python3 -c \"$PY\"");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "('elf', 2)") && strstr(r.out, "('ptx', None)"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "('elf', 1)") == NULL, "%s", r.out);
    tool_result_free(&r);
}
END_TEST

START_TEST(unreadable_file_exits_2_and_names_it)
{
    struct tool_result r = run_shell("\"$SAGESHIM\" inspect /nonexistent/none.fatbin");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/none.fatbin"));
    tool_result_free(&r);
}
END_TEST

START_TEST(garbage_names_file_and_offset_and_others_still_listed)
{
    char script[8192];
    snprintf(script, sizeof script,
             "f=garbage.$$; printf 'this is not CUDA code' > $f; \"$SAGESHIM\" inspect $f %s; "
             "rc=$?; rm -f $f; exit $rc", fixture_path("kernels_sm80.cubin"));
    struct tool_result r = run_shell(script);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "garbage."));
    ck_assert_ptr_nonnull(strstr(r.err, "offset"));
    ck_assert_ptr_nonnull(strstr(r.out, "kernel add_c"));
    tool_result_free(&r);
}
END_TEST

START_TEST(no_files_is_a_usage_error)
{
    struct tool_result r = run_shell("\"$SAGESHIM\" inspect");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "usage"));
    tool_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_inspect");
    TCase *tc = tcase_create("inspect");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, text_lists_every_kernel_with_declared_sizes);
    tcase_add_test(tc, json_is_valid);
    tcase_add_test(tc, json_lists_every_kernel_with_declared_sizes);
    tcase_add_test(tc, text_shows_static_shared_memory);
    tcase_add_test(tc, json_shows_cluster_dims);
    tcase_add_test(tc, elf_abi_is_shown_for_cubins_only);
    tcase_add_test(tc, unreadable_file_exits_2_and_names_it);
    tcase_add_test(tc, garbage_names_file_and_offset_and_others_still_listed);
    tcase_add_test(tc, no_files_is_a_usage_error);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
