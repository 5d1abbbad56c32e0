/* testutil.h: small helpers shared by the Check suites. */
#ifndef SAGESHIM_TESTUTIL_H
#define SAGESHIM_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Path of a fixture built by tests/fixtures/module.mk. */
static inline const char *fixture_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("SS_FIXTURES");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "build/fixtures", name);
    return path;
}

/* Run one suite; exit status 0 when every test passed. */
static inline int run_suite(Suite *s)
{
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

#endif
