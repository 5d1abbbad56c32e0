#!/bin/sh
# gpucheck.sh: the GPU suite.  Runs on a machine with a compute capability
# 9.0 GPU (H100, H200, GH200), CUDA 13 in $CUDA_HOME and python3 with torch.
#
#   sh tests/gpu/gpucheck.sh          (from anywhere; `make gpucheck` runs it)
#
# Uses the prebuilt $BUILD/libsageshim.so (made on the development machine
# and carried along); builds only the CUDA test programs (tests/gpu/build.sh,
# into $BUILD/gpu).  Then runs the repair suite (tests/gpu/repair/run.sh) and
# the hotfix suite (tests/gpu/hotfix/run.sh; its host libraries are best
# built on the development machine by tests/gpu/hotfix/build.sh and carried
# in $BUILD/gpu/hotfix, else it builds them here).  Prints "PASS name" / "FAIL name (details)" per
# assertion and "gpucheck: N passed, M failed"; exits 1 on any failure.
# Writes the same lines to $BUILD/gpu/gpucheck.log and, when $OUT is set, a
# report to $OUT/gpucheck.md with every log in $OUT/gpucheck-logs.tar.gz.
#
# Environment: BUILD (default build), CUDA_HOME, PYTHON (python3 with torch),
# CASE_TIMEOUT (seconds per program, default 60), SUITE_BUDGET (seconds after
# which remaining cases fail unrun, default 540).
# The case_* functions are called through matrix() by name.
# shellcheck disable=SC2317
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
export CUDA_HOME
PYTHON=${PYTHON:-python3}
CASE_TIMEOUT=${CASE_TIMEOUT:-60}
TORCH_TIMEOUT=${TORCH_TIMEOUT:-240}
SUITE_BUDGET=${SUITE_BUDGET:-540}
SHIM=$BUILD/libsageshim.so
G=$BUILD/gpu
LOGDIR=$G/logs
RESULTS=$G/gpucheck.log
LIB_SHARED=$G/site/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so
LIB_STATIC=$G/site-static/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so
PROGRAMS="launch cluster smem graph threads"

# What the shim logs (shim/decide.c, registry.c, summary.c, state.c).
REDIRECTED='redirect _qattn_sm90[^ ]* \([^)]*\): sm_90 -> bundle'
ABI_REFUSED='keep original _qattn_sm90[^ ]* \([^)]*\): ABI mismatch'
NO_TARGET_DEVICE='keep original _qattn_sm90[^ ]* \([^)]*\): no device of archs 12\.0'
MODE_OFF='mode off: passing everything through'
LAUNCH_LINE='launch (dev=|FAILED)'
SUMMARY_LINE='summary: [0-9]+ images seen, [0-9]+ watched'

# A case must not inherit the caller's shim settings.
unset LD_PRELOAD SAGESHIM_CONF SAGESHIM_MODE SAGESHIM_LOG SAGESHIM_LOG_LEVEL \
    SAGESHIM_BUNDLE SAGESHIM_REPAIR SAGESHIM_DRY_RUN SAGESHIM_ARCHS CUDA_MODULE_LOADING

passed=0
failed=0
details_shown=0
started=$(date +%s)
mkdir -p "$G"
: >"$RESULTS"

say() {
    printf '%s\n' "$*" | tee -a "$RESULTS"
}

pass() {
    passed=$((passed + 1))
    say "PASS $1"
}

# fail NAME DETAILS [OUTPUT-FILE LOG-FILE]: the first failures also show
# the program's last lines and the shim's log, for a remote reader.
fail() {
    failed=$((failed + 1))
    say "FAIL $1 ($2)"
    if [ $# -ge 4 ] && [ "$details_shown" -lt 8 ]; then
        details_shown=$((details_shown + 1))
        [ -s "$3" ] && tail -n 6 "$3" | sed 's/^/      out: /' | tee -a "$RESULTS"
        [ -s "$4" ] && tail -n 8 "$4" | sed 's/^/      log: /' | tee -a "$RESULTS"
    fi
}

write_report() {
    [ -n "${OUT:-}" ] || return 0
    mkdir -p "$OUT" || return 0
    {
        echo "# GPU suite: tests/gpu/gpucheck.sh"
        echo
        echo "- device: $(nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader 2>/dev/null | head -n 1)"
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- preload library: $SHIM ($(sha256sum "$SHIM" 2>/dev/null | cut -c1-16))"
        echo "- python: $PYTHON ($("$PYTHON" -c 'import torch; print("torch", torch.__version__)' 2>/dev/null || echo "no torch"))"
        echo "- duration: $(($(date +%s) - started)) s"
        echo
        echo '```'
        cat "$RESULTS"
        echo '```'
    } >"$OUT/gpucheck.md"
    tar -czf "$OUT/gpucheck-logs.tar.gz" -C "$G" logs build.log gpucheck.log 2>/dev/null || true
}

finish() {
    say "gpucheck: $passed passed, $failed failed"
    write_report
    [ "$failed" -eq 0 ]
    exit $?
}

# die REASON: the suite cannot run at all.
die() {
    fail "gpucheck setup" "$1"
    finish
}

over_budget() {
    [ $(($(date +%s) - started)) -ge "$SUITE_BUDGET" ]
}

# ---- Preconditions ---------------------------------------------------------

[ -f "$SHIM" ] || die "missing $SHIM: build it on the development machine (make) and carry $BUILD/ along"
command -v timeout >/dev/null || die "coreutils timeout not found"
command -v nvidia-smi >/dev/null || die "nvidia-smi not found: no NVIDIA driver on this machine?"
[ -x "$CUDA_HOME/bin/nvcc" ] || die "no nvcc at $CUDA_HOME/bin/nvcc (set CUDA_HOME)"
cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d ' ')
[ -n "$cc" ] || die "nvidia-smi lists no GPU"
[ "$cc" = "9.0" ] || die "this suite needs a compute capability 9.0 GPU (H100/H200/GH200) as device 0; found $cc"

say "gpucheck: device $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -n 1), shim $SHIM"
if ! sh tests/gpu/build.sh >"$G/build.out" 2>&1; then
    cat "$G/build.out"
    die "build of the GPU programs failed (see above and $G/build.log)"
fi
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

# ---- Running one program -----------------------------------------------------

# verdict RC: what a host program's exit status means (host_common.h).
verdict() {
    case $1 in
    0) echo RIGHT ;;
    3) echo WRONG ;;
    4) echo GARBAGE ;;
    5) echo "torch results wrong" ;;
    1) echo "CUDA or load error" ;;
    2) echo "usage error" ;;
    124 | 137) echo "timed out" ;;
    *) if [ "$1" -gt 128 ]; then echo "crashed: signal $(($1 - 128))"; else echo "exit $1"; fi ;;
    esac
}

# run_host CASE PROGRAM CUDART LOADING [VAR=VALUE ...]: one host program
# (static cudart host with the static-cudart library, shared with shared).
# Sets rc, out (its output) and shimlog.
run_host() {
    rh_case=$1 rh_prog=$2 rh_cudart=$3 rh_loading=$4
    shift 4
    rh_lib=$LIB_SHARED
    [ "$rh_cudart" = static ] && rh_lib=$LIB_STATIC
    out=$LOGDIR/$rh_case-$rh_prog-$rh_cudart-$rh_loading.out
    shimlog=$LOGDIR/$rh_case-$rh_prog-$rh_cudart-$rh_loading.shim.log
    : >"$shimlog"
    timeout -k 5 "$CASE_TIMEOUT" env CUDA_MODULE_LOADING="$rh_loading" SAGESHIM_LOG="$shimlog" \
        "$@" "$G/host_${rh_prog}_$rh_cudart" "$rh_lib" >"$out" 2>&1
    rc=$?
}

# check NAME EXPECTED-RC [LOG-PATTERN]: one assertion on the last run.
check() {
    ck_name=$1 ck_expect=$2 ck_pattern=${3:-}
    if [ "$rc" -ne "$ck_expect" ]; then
        fail "$ck_name" "expected $(verdict "$ck_expect"), got $(verdict "$rc")" "$out" "$shimlog"
    elif [ -n "$ck_pattern" ] && ! grep -Eq -- "$ck_pattern" "$shimlog"; then
        fail "$ck_name" "$(verdict "$rc") as expected, but the shim log lacks /$ck_pattern/" \
            "$out" "$shimlog"
    else
        pass "$ck_name"
    fi
}

# matrix TITLE FUNCTION: FUNCTION PROGRAM CUDART LOADING for every host
# program, both cudart flavours and both module-loading modes.
matrix() {
    mx_title=$1 mx_fn=$2
    for mx_prog in $PROGRAMS; do
        for mx_cudart in static shared; do
            for mx_loading in LAZY EAGER; do
                id="$mx_title: $mx_prog/$mx_cudart/$mx_loading"
                if over_budget; then
                    fail "$id" "not run: the suite passed its ${SUITE_BUDGET}s budget"
                    continue
                fi
                "$mx_fn" "$mx_prog" "$mx_cudart" "$mx_loading"
            done
        done
    done
}

SHIM_ENV="LD_PRELOAD=$SHIM"
EMPTY_CONF="SAGESHIM_CONF=$G/conf/empty.conf"

# ---- Host-program cases ------------------------------------------------------

case_bare() {
    run_host bare "$@"
    check "$id" 3
}

case_redirect_env() {
    run_host redirect-env "$@" "$SHIM_ENV" "$EMPTY_CONF" "SAGESHIM_BUNDLE=$G/bundle"
    check "$id" 0 "$REDIRECTED"
}

case_redirect_conf() {
    run_host redirect-conf "$@" "$SHIM_ENV" "SAGESHIM_CONF=$G/conf/redirect.conf"
    check "$id" 0 "$REDIRECTED"
}

# Mode off is silent at the default log level (issue 14) and says so once
# at debug level: the run at the default level must leave the log empty.
case_off() {
    run_host off "$@" "$SHIM_ENV" "$EMPTY_CONF" "SAGESHIM_BUNDLE=$G/bundle" SAGESHIM_MODE=off
    if [ "$rc" -ne 3 ]; then
        check "$id" 3
        return
    fi
    if [ -s "$shimlog" ]; then
        fail "$id" "WRONG as expected, but mode off wrote to the log at the default level" \
            "$out" "$shimlog"
        return
    fi
    run_host off-debug "$@" "$SHIM_ENV" "$EMPTY_CONF" "SAGESHIM_BUNDLE=$G/bundle" \
        SAGESHIM_MODE=off SAGESHIM_LOG_LEVEL=debug
    check "$id" 3 "$MODE_OFF"
}

case_archs_env() {
    run_host archs-env "$@" "$SHIM_ENV" "$EMPTY_CONF" "SAGESHIM_BUNDLE=$G/bundle" SAGESHIM_ARCHS=120
    check "$id" 3 "$NO_TARGET_DEVICE"
}

case_archs_conf() {
    run_host archs-conf "$@" "$SHIM_ENV" "SAGESHIM_CONF=$G/conf/archs120.conf"
    check "$id" 3 "$NO_TARGET_DEVICE"
}

# The wrong result shows the original ran; exit 3 (not a signal) shows no crash.
case_abi() {
    run_host abi "$@" "$SHIM_ENV" "$EMPTY_CONF" "SAGESHIM_BUNDLE=$G/bundle-abi"
    check "$id" 3 "$ABI_REFUSED"
}

# Diagnose: as many launch lines as the program made launches, none failed,
# and the summary at exit.  The result itself is only reported: diagnose
# mode's decision to redirect or not is the shim's, not this suite's.
case_diagnose() {
    run_host diagnose "$@" "$SHIM_ENV" "SAGESHIM_CONF=$G/conf/diagnose.conf"
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
        fail "$id" "$(verdict "$rc")" "$out" "$shimlog"
        return
    fi
    want=$(sed -n 's/.*api_launches=\([0-9]*\).*/\1/p' "$out" | head -n 1)
    got=$(grep -Ec -- "$LAUNCH_LINE" "$shimlog")
    bad=$(grep -c -- 'launch FAILED' "$shimlog")
    if [ -z "$want" ] || [ "$got" -lt "$want" ]; then
        fail "$id" "$got launch lines logged for ${want:-?} launches" "$out" "$shimlog"
    elif [ "$bad" -ne 0 ]; then
        fail "$id" "$bad launches logged as FAILED" "$out" "$shimlog"
    elif ! grep -Eq -- "$SUMMARY_LINE" "$shimlog"; then
        fail "$id" "no summary at exit (/$SUMMARY_LINE/)" "$out" "$shimlog"
    else
        pass "$id ($got launch lines for $want launches, summary; result $(verdict "$rc"))"
    fi
}

matrix "wrong without shim" case_bare
matrix "right with shim, SAGESHIM_BUNDLE" case_redirect_env
matrix "right with shim, config file" case_redirect_conf
matrix "wrong with SAGESHIM_MODE=off" case_off
matrix "wrong with SAGESHIM_ARCHS=120" case_archs_env
matrix "wrong with archs = 12.0 in the config" case_archs_conf
matrix "wrong, ABI-incompatible bundle refused" case_abi
matrix "diagnose logs launches and summary" case_diagnose

# ---- Inside PyTorch ------------------------------------------------------------

TORCH_SITE=$G/torch_site

# run_torch CASE [VAR=VALUE ...]: check_torch.py; sets rc, out, shimlog.
run_torch() {
    rt_case=$1
    shift
    out=$LOGDIR/torch-$rt_case.out
    shimlog=$LOGDIR/torch-$rt_case.shim.log
    : >"$shimlog"
    timeout -k 5 "$TORCH_TIMEOUT" env PYTHONPATH="$TORCH_SITE" PYTHONDONTWRITEBYTECODE=1 \
        SAGESHIM_LOG="$shimlog" "$@" "$PYTHON" tests/gpu/torch_ext/check_torch.py >"$out" 2>&1
    rc=$?
}

torch_cases() {
    if ! "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
        fail "torch" "$PYTHON cannot import torch: set PYTHON=/path/to/venv/bin/python"
        return
    fi
    if ! ls "$TORCH_SITE"/sageattention/_qattn_sm90*.so >/dev/null 2>&1; then
        fail "torch" "extension not built (no Python.h for $PYTHON?): see $G/build.log"
        return
    fi
    over_budget && { fail "torch" "not run: the suite passed its ${SUITE_BUDGET}s budget"; return; }

    run_torch bare
    check "torch: extension wrong without shim, cuBLAS and SDPA right" 3

    run_torch redirect "$SHIM_ENV" "$EMPTY_CONF" "SAGESHIM_BUNDLE=$G/bundle"
    check "torch: extension right with shim, cuBLAS and SDPA right" 0 "$REDIRECTED"

    # Diagnose mode prints the image counters: of all the images the process
    # loads (torch's, cuBLAS's, ...) only our one module is parsed.
    run_torch diagnose "$SHIM_ENV" "SAGESHIM_CONF=$G/conf/diagnose.conf"
    name="torch: only the watched image parsed, cuBLAS and SDPA untouched (diagnose)"
    counts=$(sed -n 's/.*summary: \([0-9]*\) images seen, \([0-9]*\) watched.*/\1 \2/p' "$shimlog" | tail -n 1)
    seen=${counts% *}
    watched=${counts#* }
    foreign=$(grep -E -- 'launch dev=' "$shimlog" | grep -Evc 'scale_kernel' || true)
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
        fail "$name" "$(verdict "$rc")" "$out" "$shimlog"
    elif [ -z "$counts" ]; then
        fail "$name" "no summary line /$SUMMARY_LINE/" "$out" "$shimlog"
    elif [ "$watched" -ne 1 ] || [ "$seen" -le 1 ]; then
        fail "$name" "$seen images seen, $watched watched; expected many seen, 1 watched" "$out" "$shimlog"
    elif [ "$foreign" -ne 0 ]; then
        fail "$name" "$foreign launch lines name kernels outside the watched module" "$out" "$shimlog"
    else
        pass "$name ($seen images seen, $watched watched; result $(verdict "$rc"))"
    fi
}
torch_cases

# ---- The suites written as scripts ------------------------------------------------

# run_suite NAME LIMIT SCRIPT [ARG]: run one suite script (its environment
# set by the caller through `env`) within LIMIT seconds; its PASS/FAIL lines
# count as ours, anything else is indented; a failure without a FAIL line is
# one of ours too.
run_suite() {
    name=$1 limit=$2 script=$3
    shift 3
    if over_budget; then
        fail "$name suite" "not run: the suite passed its ${SUITE_BUDGET}s budget"
        return
    fi
    timeout -k 5 "$limit" env SAGESHIM_LIB="$SHIM" BUILD="$BUILD" PYTHON="$PYTHON" \
        sh "$script" "$@" >"$LOGDIR/$name.out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
        "PASS "*) pass "${line#PASS }" ;;
        "FAIL "*) failed=$((failed + 1)); say "$line" ;;
        *) say "      $line" ;;
        esac
    done <"$LOGDIR/$name.out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$LOGDIR/$name.out"; then
        fail "$name suite" "$script: $(verdict "$rc")"
    fi
}

# The repair suite (tests/gpu/repair/, written separately).
if [ -f tests/gpu/repair/run.sh ]; then
    run_suite repair 300 tests/gpu/repair/run.sh
else
    say "NOTE tests/gpu/repair/run.sh not present: repair suite not run"
fi
# The hotfix suite (tests/gpu/hotfix/, issue 13).
run_suite hotfix 600 tests/gpu/hotfix/run.sh
# The long-input suite (tests/gpu/pieces/, issue 18).
run_suite pieces 600 tests/gpu/pieces/run.sh "${PIECES_CASES:-}"

finish
