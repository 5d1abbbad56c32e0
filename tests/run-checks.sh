#!/bin/sh
# Run every Check program given, from the repository root, and print one
# closing line "checks: N passed, M failed" counting programs.
# Fixtures are found through SS_FIXTURES (default $BUILD/fixtures).
: "${BUILD:=build}"
: "${SS_FIXTURES:=$BUILD/fixtures}"
export SS_FIXTURES BUILD
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
