/* check_tool_hostile.c: the command line on hostile input (issue 15):
 *   case 1   a FIFO given to inspect, abi, bundle --from, or in the bundle
 *            doctor checks: refused at once, never waited on
 *   case 7   abi on a small image claiming 2 GiB of payloads: budget
 *            spent, "not comparable", exit 2 (not "compatible")
 *   case 8   bundle --from a wheel whose members claim 1.2 GiB: the
 *            archive's extraction budget stops it
 *   case 9   run refuses a library path LD_PRELOAD would split
 *   case 10  names with escape sequences are printed escaped
 * Each command that could hang runs under `timeout 10` (status 124). */
#include "hardening/bombs.h"
#include "testutil.h"
#include "toolrun.h"

static char *tmp;

static void setup(void)
{
    tmp = make_temp_dir();
    setenv("T", tmp, 1);
}

static void teardown(void)
{
    remove_temp_dir(tmp);
}

START_TEST(fifo_inputs_are_refused_without_blocking)
{
    struct tool_result r = run_shell(
        "mkfifo \"$T/f\" && mkdir \"$T/b\" && mkfifo \"$T/b/x.fatbin\" && "
        "printf 'fatbin x.fatbin module=_qattn_sm90 archs=90 kernels=1 sha256=%064d\\n' 0 "
        "  > \"$T/b/MANIFEST\" && "
        "timeout 10 \"$SAGESHIM\" inspect \"$T/f\"; echo \"inspect=$?\"; "
        "timeout 10 \"$SAGESHIM\" abi \"$T/f\" \"$T/f\"; echo \"abi=$?\"; "
        "timeout 10 \"$SAGESHIM\" bundle --from \"$T/f\" --out \"$T/out\"; echo \"bundle=$?\"; "
        "SAGESHIM_BUNDLE=\"$T/b\" timeout 10 \"$SAGESHIM\" doctor \"$T\"; echo \"doctor=$?\"");
    ck_assert_msg(strstr(r.out, "inspect=2\n") && strstr(r.out, "abi=2\n")
                      && strstr(r.out, "bundle=2\n"),
                  "%s%s", r.out, r.err);
    /* doctor finds problems (1) but does not hang (124). */
    ck_assert_msg(strstr(r.out, "doctor=1\n"), "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.err, "not a regular file (a FIFO)"), "%s", r.err);
    ck_assert_msg(strstr(r.out, "x.fatbin: not a regular file (a FIFO)"), "%s", r.out);
    tool_result_free(&r);
}
END_TEST

START_TEST(abi_on_a_decompression_bomb_is_not_comparable)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bomb.fatbin", tmp);
    ck_assert_int_eq(bomb_write(path, 8), 0);
    struct tool_result r = run_shell("timeout 60 \"$SAGESHIM\" abi \"$T/bomb.fatbin\" "
                                     "\"$T/bomb.fatbin\" --sm 90");
    ck_assert_msg(r.status == 2, "status %d\n%s%s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "not comparable"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "compatible\n") == NULL, "%s", r.out);
    ck_assert_msg(strstr(r.err, "image's decompression budget of 512 MiB"), "%s", r.err);
    tool_result_free(&r);
}
END_TEST

/* Two central directory entries naming one member of 600 MiB of zeros
 * (deflated once, about 600 KiB): 1.2 GiB to extract in total. */
static const char wheel_bomb_py[] =
    "import struct, sys, zlib\n"
    "n = 600 << 20\n"
    "co = zlib.compressobj(1, zlib.DEFLATED, -15)\n"
    "zero = bytes(1 << 20)\n"
    "parts, crc = [], 0\n"
    "for _ in range(600):\n"
    "    parts.append(co.compress(zero)); crc = zlib.crc32(zero, crc)\n"
    "parts.append(co.flush())\n"
    "data = b''.join(parts)\n"
    "name = b'sageattention/_qattn_sm90.so'\n"
    "local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 8, 0, 0, crc, len(data), n,"
    " len(name), 0) + name\n"
    "body = local + data\n"
    "cd = b''\n"
    "for nm in (name, b'sageattention/_qattn_sm89.so'):\n"
    "    cd += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, 8, 0, 0, crc, len(data),"
    " n, len(nm), 0, 0, 0, 0, 0, 0) + nm\n"
    "eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 2, 2, len(cd), len(body), 0)\n"
    "open(sys.argv[1], 'wb').write(body + cd + eocd)\n";

START_TEST(wheel_extraction_stops_at_the_archive_budget)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bomb.py", tmp);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(wheel_bomb_py, f);
    fclose(f);
    struct tool_result r = run_shell(
        "python3 \"$T/bomb.py\" \"$T/sa.whl\" && "
        "timeout 60 \"$SAGESHIM\" bundle --from \"$T/sa.whl\" --out \"$T/b\" --sm 90");
    ck_assert_msg(r.status == 2, "status %d\n%s%s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.err, "sageattention/_qattn_sm89.so: 629145600 more bytes would pass "
                                "the archive's extraction budget of 1024 MiB (600 MiB extracted)"),
                  "%s", r.err);
    tool_result_free(&r);
}
END_TEST

START_TEST(run_refuses_a_library_path_with_a_space_or_colon)
{
    const char *dirs[] = { "my tools", "a:b" };
    for (int i = 0; i < 2; i++) {
        setenv("D", dirs[i], 1);
        struct tool_result r = run_shell(
            "mkdir -p \"$T/$D\" && : > \"$T/$D/libsageshim.so\" && "
            "SAGESHIM_LIBRARY=\"$T/$D/libsageshim.so\" \"$SAGESHIM\" run -- true");
        ck_assert_msg(r.status == 2, "%s: status %d\n%s", dirs[i], r.status, r.err);
        ck_assert_msg(strstr(r.err, "contains a space or a colon"), "%s", r.err);
        tool_result_free(&r);
    }
    unsetenv("D");
}
END_TEST

START_TEST(names_with_escape_sequences_are_printed_escaped)
{
    struct tool_result r = run_shell(
        "n=$(printf 'x\\033]0;owned\\007\\033[2J.fatbin') && "
        "cp \"$SS_FIXTURES/kernels_none.fatbin\" \"$T/$n\" && "
        "\"$SAGESHIM\" inspect \"$T/$n\" && "
        "\"$SAGESHIM\" inspect \"$T/$n.missing\"; "
        "\"$SAGESHIM\" abi \"$T/$n\" \"$T/$n.missing\"; true");
    ck_assert_msg(strchr(r.out, '\033') == NULL && strchr(r.err, '\033') == NULL
                      && strchr(r.out, '\007') == NULL && strchr(r.err, '\007') == NULL,
                  "raw control bytes printed:\n%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "x\\x1b]0;owned\\x07\\x1b[2J.fatbin"), "%s", r.out);
    ck_assert_msg(strstr(r.err, "x\\x1b]0;owned\\x07\\x1b[2J.fatbin.missing"), "%s", r.err);
    tool_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tool_hostile");
    TCase *tc = tcase_create("hostile");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fifo_inputs_are_refused_without_blocking);
    tcase_add_test(tc, abi_on_a_decompression_bomb_is_not_comparable);
    tcase_add_test(tc, wheel_extraction_stops_at_the_archive_budget);
    tcase_add_test(tc, run_refuses_a_library_path_with_a_space_or_colon);
    tcase_add_test(tc, names_with_escape_sequences_are_printed_escaped);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
