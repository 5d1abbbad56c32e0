#!/bin/sh
# Run every Check program given, from the repository root, and print one
# closing line "checks: N passed, M failed" counting programs.
# Fixtures are found through SS_FIXTURES (default $BUILD/fixtures).
: "${BUILD:=build}"
: "${SS_FIXTURES:=$BUILD/fixtures}"
export SS_FIXTURES BUILD
# The bundle hash cache (lib/hashcache.h) of test runs stays in the build
# tree, never in the user's ~/.cache.
case $BUILD in /*) XDG_CACHE_HOME=$BUILD/test-cache ;; *) XDG_CACHE_HOME=$PWD/$BUILD/test-cache ;; esac
export XDG_CACHE_HOME
passed=0
failed=0
failed_names=
for prog in "$@"; do
    echo "== $prog"
    if "$prog"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failed_names="$failed_names $prog"
    fi
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
