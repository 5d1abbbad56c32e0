#!/bin/sh
# run.sh: the hotfix part of the GPU suite (issue 13).  Runs on a machine
# with a compute capability 9.0 GPU and python3 with torch; `make gpucheck`
# (tests/gpu/gpucheck.sh) runs it and counts its PASS/FAIL lines.
#
#   sh tests/gpu/hotfix/run.sh
#
# 1. check_hotfix.py: the 44 corrected kernels bit for bit against the spec's
#    reference model on small shapes; the long shapes of spec §0.2/§8, where
#    the 32-bit stand-in of the original is wrong exactly where the spec says
#    and the corrected kernels are right.
# 2. End to end (e2e.py): a fresh python process loads the stand-in as
#    .../site/sageattention/_fused...so with ctypes and quantizes a long
#    fused-QKV projection (260,096 tokens) with it.  With
#    LD_PRELOAD=<prefix>/lib/libsageshim.so and no configuration of ours
#    (the installed default, bundle <prefix>/share/sageshim/kernels) the
#    result must be the corrected one; without the preload, and with
#    SAGESHIM_HOTFIX=off, the 32-bit one; diagnose mode must log hotfix=yes
#    launches and count those past 32-bit offsets.
# 2b. split_e2e.py: a batch of two 200,064-token fused-QKV V views (batch
#    stride past 2^32) through a real `sageattention._fused` extension module
#    (fused_pymod.c + the stand-in): bare, LD_PRELOAD, SAGESHIM_REPAIR=off,
#    SAGESHIM_HOTFIX=off; right only with both the repair's batch split and
#    the hotfix (issue 13 part 3).
# 3. The first two e2e cases again with the stand-in linked against the CUDA
#    12.x runtime (the process then holds torch's libcudart.so.13 and the
#    module's libcudart.so.12), when build.sh found a libcudart.so.12.
#
# Host libraries: $BUILD/gpu/hotfix (tests/gpu/hotfix/build.sh, made here if
# missing or stale).  The e2e prefix: $HOTFIX_PREFIX when set (e.g. made with
# `make install PREFIX=...` on the development machine and carried along),
# else `make install PREFIX=$BUILD/gpu/hotfix/prefix`, else (the GPU machine
# has no build dependencies for make) the same files copied as the install
# rules copy them: $BUILD/libsageshim.so, sageshim.conf, $BUILD/kernels/
# {MANIFEST,sageshim_fused.fatbin}.
#
# Environment: BUILD (default build), PYTHON (python3 with torch), CUDA_HOME,
# HOTFIX_PREFIX, HOTFIX_E2E (yes, default, or no to skip the e2e cases),
# HOTFIX_E2E_TOKENS (default 260096).
# Prints "PASS name" / "FAIL name: detail"; exit 1 on any failure.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
PYTHON=${PYTHON:-python3}
H=$BUILD/gpu/hotfix
LOGS=$H/logs
CORRECTED=$H/corrected/libfused_corrected.so
STANDIN=$H/site/sageattention/_fused.cpython-312-x86_64-linux-gnu.so
HW=$H/hw/libhw_ops.so
TOKENS=${HOTFIX_E2E_TOKENS:-260096}

# What the shim logs (issue 13 fixes these words).
HOTFIX_LINE='hotfix [^ ]*_fused[^ ]* \([^)]*\): sm_90 -> .*: 44 of 44 kernels replaced'
PAST_32='launches past 32-bit offsets, all hotfixed'
FUSED_KERNEL='(QuantInt8Kernel|SubMeanKernel|TransposePadPermuteKernel|MeanScaleKernel)'

unset LD_PRELOAD SAGESHIM_CONF SAGESHIM_MODE SAGESHIM_LOG SAGESHIM_LOG_LEVEL \
    SAGESHIM_BUNDLE SAGESHIM_REPAIR SAGESHIM_DRY_RUN SAGESHIM_ARCHS SAGESHIM_HOTFIX \
    CUDA_MODULE_LOADING

passed=0
failed=0
pass() {
    passed=$((passed + 1))
    echo "PASS $1"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL $1: $2"
}
finish() {
    echo "hotfix suite: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

mkdir -p "$H"
if ! sh tests/gpu/hotfix/build.sh --if-stale >"$H/build.out" 2>&1; then
    sed 's/^/      /' "$H/build.out"
    fail "hotfix build" "tests/gpu/hotfix/build.sh failed (see $H/build.log)"
    finish
fi
rm -rf "$LOGS"
mkdir -p "$LOGS"

# ---- 1. Reference and long inputs ------------------------------------------------

timeout -k 5 400 env PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    "$PYTHON" tests/gpu/hotfix/check_hotfix.py --corrected "$CORRECTED" --standin "$STANDIN" \
    --hw "$HW" >"$LOGS/check_hotfix.out" 2>&1
rc=$?
while IFS= read -r line; do
    case $line in
    "PASS "*) passed=$((passed + 1)); echo "$line" ;;
    "FAIL "*) failed=$((failed + 1)); echo "$line" ;;
    *) echo "      $line" ;;
    esac
done <"$LOGS/check_hotfix.out"
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$LOGS/check_hotfix.out"; then
    fail "check_hotfix.py" "exit $rc without a FAIL line (crash or timeout; see $LOGS/check_hotfix.out)"
fi

# ---- 2. End to end under the preload -------------------------------------------

if [ "${HOTFIX_E2E:-yes}" = no ]; then
    echo "NOTE hotfix end to end not run (HOTFIX_E2E=no)"
    finish
fi

# The installed layout.
if [ -n "${HOTFIX_PREFIX:-}" ]; then
    P=$HOTFIX_PREFIX
    echo "      e2e prefix: $P (HOTFIX_PREFIX)"
else
    P=$H/prefix
    rm -rf "$P"
    if make --no-print-directory BUILD="${BUILD#"$ROOT"/}" PREFIX="$P" install \
        >"$LOGS/install.out" 2>&1; then
        echo "      e2e prefix: $P (make install)"
    else
        # What the install rules (tools/module.mk, kernels/module.mk) copy.
        rm -rf "$P"
        mkdir -p "$P/lib" "$P/etc" "$P/share/sageshim/kernels"
        cp "$BUILD/libsageshim.so" "$P/lib/" 2>/dev/null
        cp sageshim.conf "$P/etc/" 2>/dev/null
        cp "$BUILD/kernels/MANIFEST" "$BUILD/kernels/sageshim_fused.fatbin" \
            "$P/share/sageshim/kernels/" 2>/dev/null
        echo "      e2e prefix: $P (files copied as make install copies them: no make install here)"
    fi
fi
# Bundle files must not be writable by others (the shim's trust check).
chmod -R go-w "$P" 2>/dev/null
SHIM=$P/lib/libsageshim.so
if [ ! -f "$SHIM" ]; then
    fail "hotfix end to end" "no $SHIM (build libsageshim.so with make and carry $BUILD)"
    finish
fi
if ! grep -q '^hotfix sageshim_fused.fatbin ' "$P/share/sageshim/kernels/MANIFEST" 2>/dev/null; then
    fail "hotfix end to end" "no hotfix line in $P/share/sageshim/kernels/MANIFEST (make builds build/kernels)"
    finish
fi

# e2e TAG [VAR=VALUE ...]: one fresh process; sets rc, out, log.  HOME and
# XDG_CONFIG_HOME point at an empty directory: no user configuration.
mkdir -p "$H/home"
e2e() {
    tag=$1
    shift
    out=$LOGS/e2e-$tag.out
    log=$LOGS/e2e-$tag.shim.log
    : >"$log"
    timeout -k 5 180 env HOME="$H/home" XDG_CONFIG_HOME="$H/home/.config" SAGESHIM_LOG="$log" \
        PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT/tests/gpu/hotfix" "$@" \
        "$PYTHON" tests/gpu/hotfix/e2e.py --standin "$STANDIN" --corrected "$CORRECTED" \
        --n "$TOKENS" >"$out" 2>&1
    rc=$?
}

verdict() {
    case $1 in
    0) echo RIGHT ;;
    3) echo "WRONG (32-bit result)" ;;
    4) echo GARBAGE ;;
    124 | 137) echo "timed out" ;;
    *) echo "exit $1" ;;
    esac
}

# expect NAME WANT: the last e2e run's verdict.
expect() {
    if [ "$rc" -eq "$2" ]; then
        pass "$1"
        return 0
    fi
    fail "$1" "$(verdict "$rc"), want $(verdict "$2"): $(tail -n 3 "$out" | tr '\n' ' ')$(tail -n 3 "$log" | tr '\n' ' ')"
    return 1
}

N_FMT=$(printf '%s' "$TOKENS" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
WHAT="stand-in _fused on a $N_FMT-token fused-QKV projection"

e2e bare
expect "hotfix e2e: without the preload the $WHAT gives the 32-bit result" 3

e2e default "LD_PRELOAD=$SHIM"
if expect "hotfix e2e: LD_PRELOAD, no configuration: the $WHAT gives the corrected result" 0; then
    if grep -Eq -- "$HOTFIX_LINE" "$log"; then
        pass "hotfix e2e: logged '$(grep -Eo -- "$HOTFIX_LINE" "$log" | head -n 1)'"
    else
        fail "hotfix e2e: hotfix log line" "no /$HOTFIX_LINE/ in $log: $(grep -i hotfix "$log" | head -n 3 | tr '\n' ' ')"
    fi
fi

e2e hotfix-off "LD_PRELOAD=$SHIM" SAGESHIM_HOTFIX=off
expect "hotfix e2e: SAGESHIM_HOTFIX=off: the $WHAT gives the 32-bit result" 3

e2e diagnose "LD_PRELOAD=$SHIM" SAGESHIM_MODE=diagnose
name="hotfix e2e: SAGESHIM_MODE=diagnose: corrected result, hotfix=yes launch lines, launches past 32-bit offsets counted"
launches=$(sed -n 's/.* launches=\([0-9]*\).*/\1/p' "$out" | head -n 1)
wrapping=$(sed -n 's/.* wrapping=\([0-9]*\).*/\1/p' "$out" | head -n 1)
yes_lines=$(grep -E -- 'launch ' "$log" | grep -E -- "$FUSED_KERNEL" | grep -c -- 'hotfix=yes')
no_lines=$(grep -E -- 'launch ' "$log" | grep -E -- "$FUSED_KERNEL" | grep -c -- 'hotfix=no')
counts=$(grep -Eo -- "[0-9]+ $PAST_32" "$log" | cut -d' ' -f1 | tr '\n' ' ')
largest=$(echo "$counts" | tr ' ' '\n' | grep . | sort -n | tail -n 1)
total=$(echo "$counts" | tr ' ' '\n' | grep . | awk '{ s += $1 } END { print s + 0 }')
if [ "$rc" -ne 0 ]; then
    fail "$name" "$(verdict "$rc"): $(tail -n 3 "$out" | tr '\n' ' ')"
elif [ -z "$launches" ] || [ "$yes_lines" -lt "$launches" ] || [ "$no_lines" -ne 0 ]; then
    fail "$name" "$yes_lines launch lines with hotfix=yes and $no_lines with hotfix=no for ${launches:-?} launches"
elif [ -z "$counts" ]; then
    fail "$name" "no /[0-9]+ $PAST_32/ in the summary: $(grep -E 'summary|32-bit' "$log" | head -n 3 | tr '\n' ' ')"
elif [ "$largest" != "$wrapping" ] && [ "$total" != "$wrapping" ]; then
    fail "$name" "summary counts '$counts' launches past 32-bit offsets; $wrapping were"
elif grep -E 'WARNING' "$log" | grep -q '32-bit'; then
    fail "$name" "a 32-bit offsets WARNING in the log: $(grep WARNING "$log" | grep '32-bit' | head -n 2 | tr '\n' ' ')"
else
    pass "$name ($yes_lines hotfix=yes lines, '$(grep -Eo -- "[0-9]+ $PAST_32" "$log" | head -n 1)')"
fi

# ---- 2b. Batch stride past 32 bits: the repair's split with the hotfix -------------

PYSITE=$H/pysite
if [ ! -f "$PYSITE/sageattention/_fused.cpython-312-x86_64-linux-gnu.so" ]; then
    fail "split e2e" "no $PYSITE/sageattention/_fused...so (no Python.h? see $H/build.out)"
else
    timeout -k 5 300 env PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
        "$PYTHON" tests/gpu/hotfix/split_e2e.py --pysite "$PYSITE" --corrected "$CORRECTED" \
        --shim "$SHIM" --logs "$LOGS" >"$LOGS/split_e2e.out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
        "PASS "*) passed=$((passed + 1)); echo "$line" ;;
        "FAIL "*) failed=$((failed + 1)); echo "$line" ;;
        *) echo "      $line" ;;
        esac
    done <"$LOGS/split_e2e.out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$LOGS/split_e2e.out"; then
        fail "split_e2e.py" "exit $rc without a FAIL line (crash or timeout; see $LOGS/split_e2e.out)"
    fi
fi

# ---- 3. The same under the CUDA 12.x runtime ---------------------------------------

STANDIN12=$H/cuda12/site/sageattention/_fused.cpython-312-x86_64-linux-gnu.so
if [ ! -f "$STANDIN12" ]; then
    echo "NOTE hotfix e2e on the CUDA 12.x runtime not run: no $STANDIN12 (build.sh found no libcudart.so.12: run tests/gpu/cuda12/run.sh prepare, or set CUDART12)"
    finish
fi
STANDIN=$STANDIN12
WHAT12="stand-in _fused linked against the CUDA 12.x runtime, $N_FMT tokens"

e2e cuda12-bare
expect "hotfix e2e, CUDA 12.x runtime: without the preload the $WHAT12 gives the 32-bit result" 3
if ! grep -q 'runtimes=.*libcudart.so.12' "$out"; then
    fail "hotfix e2e, CUDA 12.x runtime" "libcudart.so.12 is not loaded in the process: $(grep runtimes= "$out")"
fi

e2e cuda12-default "LD_PRELOAD=$SHIM"
if expect "hotfix e2e, CUDA 12.x runtime: LD_PRELOAD, no configuration: the $WHAT12 gives the corrected result" 0; then
    if grep -Eq -- "$HOTFIX_LINE" "$log"; then
        pass "hotfix e2e, CUDA 12.x runtime: logged '$(grep -Eo -- "$HOTFIX_LINE" "$log" | head -n 1)'"
    else
        fail "hotfix e2e, CUDA 12.x runtime: hotfix log line" "no /$HOTFIX_LINE/ in $log: $(grep -i hotfix "$log" | head -n 3 | tr '\n' ' ')"
    fi
fi

finish
