/* doctor_site.h: the SageAttention-shaped package the doctor suites check:
 * tests/tools/fixtures/<kind> with libext.so as its extension module, a
 * bundle built from that module, and an empty config, so nothing from the
 * machine's own setup leaks in.  $T is the temporary directory. */
#ifndef SAGESHIM_TESTS_DOCTOR_SITE_H
#define SAGESHIM_TESTS_DOCTOR_SITE_H

#include "testutil.h"
#include "toolrun.h"

static inline char *prepare(const char *kind)
{
    char *tmp = make_temp_dir();
    setenv("T", tmp, 1);
    setenv("KIND", kind, 1);
    setenv("EXT", fixture_path("libext.so"), 1);
    struct tool_result r = run_shell(
        "cp -r \"tests/tools/fixtures/$KIND\" \"$T/site\" && "
        "cp \"$EXT\" \"$T/site/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so\" && "
        "\"$SAGESHIM\" bundle --from \"$T/site/sageattention\" --out \"$T/bundle\" >/dev/null && "
        ": > \"$T/sageshim.conf\"");
    ck_assert_msg(r.status == 0, "setup failed: %s", r.err);
    tool_result_free(&r);
    setenv("SAGESHIM_CONF", "", 1);
    setenv("XDG_CONFIG_HOME", tmp, 1);
    unsetenv("SAGESHIM_MODE");
    unsetenv("SAGESHIM_REPAIR");
    unsetenv("VIRTUAL_ENV");
    unsetenv("CONDA_PREFIX");
    return tmp;
}

#endif
