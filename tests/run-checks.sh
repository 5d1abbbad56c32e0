#!/bin/sh
# Run every Check program given, from the repository root, and print two
# closing lines "suites: N passed, M failed" and "checks: K passed, F failed"
# (a suite is one program, a check one test inside it).
# Fixtures are found through SS_FIXTURES (default $BUILD/fixtures).
: "${BUILD:=build}"
: "${SS_FIXTURES:=$BUILD/fixtures}"
export SS_FIXTURES BUILD
passed=0
failed=0
checks=0
check_failures=0
failed_names=
log=$(mktemp "${TMPDIR:-/tmp}/run-checks.XXXXXX") || exit 2
for prog in "$@"; do
    echo "== $prog"
    # Check prints "NN%: Checks: C, Failures: F, Errors: E" per suite.
    if "$prog" >"$log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failed_names="$failed_names $prog"
    fi
    cat "$log"
    counts=$(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$log" | tail -n 1)
    if [ -n "$counts" ]; then
        read -r c f e <<EOT
$counts
EOT
        checks=$((checks + c))
        check_failures=$((check_failures + f + e))
    fi
done
rm -f "$log"
[ -n "$failed_names" ] && echo "failed:$failed_names"
# Two closing lines in the plain "N passed, M failed" form that CI reads:
# programs (suites), then the Check tests inside them.
echo "suites: $passed passed, $failed failed"
echo "checks: $((checks - check_failures)) passed, $check_failures failed"
[ "$failed" -eq 0 ]
