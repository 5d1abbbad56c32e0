#!/bin/sh
# Run libFuzzer targets built by `make fuzz-build` for a fixed time each and
# print one summary line per target; exit 1 when any target crashed.
#
#   sh tests/fuzz/run-fuzz.sh <fuzz dir> <seconds> <target>...
#
# <fuzz dir> is $(BUILD)/fuzz: bin/fuzz_<t>, seeds/<t>/ (read only),
# corpus/<t>/ (grows across runs), artifacts/<t>/ (crashing inputs) and
# logs/<t>.log.
set -u
dir=$1
seconds=$2
shift 2

# Longest input per target: whole fatbins for the walker and the merge,
# one cubin or PTX file for their readers, a small text for the configs.
max_len_of() {
    case $1 in
        image|merge|loaded) echo 262144 ;;
        cubin) echo 65536 ;;
        ptx) echo 16384 ;;
        *) echo 8192 ;;
    esac
}

# The last value of `key:` in a libFuzzer status line, e.g. "cov: 1234".
field() {
    sed -n "s/.*[ 	]$1 *\([^ 	]*\).*/\1/p" | tail -n 1
}

failed=
for t in "$@"; do
    bin=$dir/bin/fuzz_$t
    log=$dir/logs/$t.log
    mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t" "$dir/logs"
    dict=
    [ -f "tests/fuzz/dict/$t.dict" ] && dict=-dict=tests/fuzz/dict/$t.dict
    "$bin" -max_total_time="$seconds" -max_len="$(max_len_of "$t")" -timeout=20 \
        -rss_limit_mb=2048 -print_final_stats=1 $dict \
        -artifact_prefix="$dir/artifacts/$t/" \
        "$dir/corpus/$t" "$dir/seeds/$t" >"$log" 2>&1
    rc=$?
    status=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(echo "$status" | field cov:)
    ft=$(echo "$status" | field ft:)
    corp=$(echo "$status" | field corp:)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc, log $log, inputs in $dir/artifacts/$t/)"
        failed="$failed $t"
    fi
    echo "fuzz_$t: ${execs:-?} execs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}: $result"
    if [ "$rc" -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|^    #[0-9]' "$log" | head -n 20 | sed 's/^/    /'
    fi
done
[ -n "$failed" ] && { echo "fuzz: crashed:$failed"; exit 1; }
echo "fuzz: ${seconds}s each, no crash"
exit 0
