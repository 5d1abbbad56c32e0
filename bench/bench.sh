#!/bin/sh
# bench.sh: what the preload library costs, on a machine with a GPU.
#
#   sh bench/bench.sh [RESULTS.md]      (`make bench` runs it)
#
# Writes a markdown report to the path given, else $OUT/RESULTS.md when $OUT
# is set, else bench/RESULTS.md, and prints it.  Uses the prebuilt
# $BUILD/libsageshim.so; builds its own programs (bench/build.sh) into
# $BUILD/gpu/bench.  Measures:
#   1. launches/s of an empty kernel (cudaLaunchKernel) in a watched and an
#      unwatched module: bare, and with the shim in each mode;
#   2. start-up of python3 -c "import torch; torch.zeros(1).cuda()" and of a
#      first cuBLAS matmul, bare vs shim (median of BENCH_STARTUP_RUNS);
#   3. the first cuLibraryLoadData of the watched module's image (where the
#      shim parses and merges) and the first kernel lookup after it;
#   4. VmRSS / VmHWM at exit, bare vs shim;
#   5. the corrected _fused kernels vs their 32-bit stand-in at the long
#      shapes of issue 13 (tests/gpu/hotfix/bench_hotfix.py);
#   6. SHA-256 throughput of each implementation the CPU has, and the time
#      to open the shipped hotfix bundle with each ($BUILD/bench/sha256_bench,
#      built by `make`; it needs no GPU and runs alone on any machine).
# Exits 1 when a measurement could not be made; targets missed are reported
# in the table, not in the exit status.
#
# Environment: BUILD, CUDA_HOME, PYTHON (python3 with torch), BENCH_LAUNCHES
# (default 1000000), BENCH_RUNS (timed runs per launch-rate process, default
# 1), BENCH_ROUNDS (interleaved rounds of launch-rate processes, default 5),
# BENCH_STARTUP_RUNS (default 7).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
export CUDA_HOME
PYTHON=${PYTHON:-python3}
LAUNCHES=${BENCH_LAUNCHES:-1000000}
RUNS=${BENCH_RUNS:-1}
ROUNDS=${BENCH_ROUNDS:-5}
# One CPU for every launch-rate process: the rate is bound by one thread's
# time in the driver, and moving between CPUs is most of the noise.
if command -v taskset >/dev/null 2>&1; then
    PIN="taskset -c 3"
    PIN_CMD="taskset -c 3"
else
    PIN="not pinned: no taskset"
    PIN_CMD=""
fi
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-7}
SHIM=$BUILD/libsageshim.so
B=$BUILD/gpu/bench
LOGS=$B/logs
if [ $# -ge 1 ]; then
    REPORT=$1
elif [ -n "${OUT:-}" ]; then
    REPORT=$OUT/RESULTS.md
else
    REPORT=$ROOT/bench/RESULTS.md
fi
WATCHED=$B/site/sageattention/_qattn_sm90.cpython-312-x86_64-linux-gnu.so
UNWATCHED=$B/site/other/_empty.cpython-312-x86_64-linux-gnu.so
IMAGE=$B/site/sageattention/_qattn_sm90_image.so

unset LD_PRELOAD SAGESHIM_CONF SAGESHIM_MODE SAGESHIM_LOG SAGESHIM_LOG_LEVEL \
    SAGESHIM_BUNDLE SAGESHIM_REPAIR SAGESHIM_DRY_RUN SAGESHIM_ARCHS CUDA_MODULE_LOADING

errors=0
started=$(date +%s)

die() {
    echo "bench: $*" >&2
    exit 1
}

[ -f "$SHIM" ] || die "missing $SHIM: build it on the development machine (make) and carry $BUILD/ along"
command -v nvidia-smi >/dev/null || die "nvidia-smi not found: no NVIDIA driver on this machine?"
command -v timeout >/dev/null || die "coreutils timeout not found"
DEVICE=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1)
[ -n "$DEVICE" ] || die "nvidia-smi lists no GPU"
sh bench/build.sh || die "build of the benchmark programs failed (see $B/build.log)"
rm -rf "$LOGS"
mkdir -p "$LOGS" "$(dirname "$REPORT")" || die "cannot create $LOGS or the report's directory"
BODY=$LOGS/report.body
: >"$BODY"

# The shim as the benchmarks run it: the default mode (redirect) with the
# benchmark bundle, a config file of its own, the log in a file.
SHIM_ENV="LD_PRELOAD=$SHIM"
SHIM_CONF="SAGESHIM_CONF=$B/empty.conf"
SHIM_BUNDLE="SAGESHIM_BUNDLE=$B/bundle"

emit() {
    printf '%s\n' "$*" >>"$BODY"
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else print v[int((NR + 1) / 2)] }'
}

# ratio A B [DIGITS]: A / B, or "-" when either is missing.
ratio() {
    awk -v a="${1:-}" -v b="${2:-}" -v d="${3:-3}" \
        'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.*f\n", d, a / b }'
}

# meets VALUE OP LIMIT: "meets" / "MISSES" / "" (no value).
meets() {
    awk -v v="${1:-}" -v op="$2" -v l="$3" 'BEGIN {
        if (v == "" || v == "-") { print ""; exit }
        ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
        print ok ? "meets" : "MISSES" }'
}

# field NAME FILE: the value of NAME=value on the program's result line.
field() {
    sed -n "s/.*$1=\\([0-9.]*\\).*/\\1/p" "$2" | tail -n 1
}

# failed WHAT LOGFILE RC: note an unusable measurement.
failed() {
    errors=$((errors + 1))
    echo "bench: $1 failed (exit $3); see $2:" >&2
    tail -n 5 "$2" | sed 's/^/    /' >&2
}

# ---- 1. Launch rate -----------------------------------------------------------

# launch_run TAG MODULE [VAR=VALUE ...]: sets rate, rss, hwm (empty on failure).
launch_run() {
    lr_tag=$1 lr_module=$2
    shift 2
    lr_out=$LOGS/launch-$lr_tag.out
    timeout -k 5 300 env "$@" $PIN_CMD "$B/launch_rate" "$lr_module" "$LAUNCHES" "$RUNS" >"$lr_out" 2>&1
    lr_rc=$?
    rate=$(field rate "$lr_out")
    enq=$(field enqueue_ns "$lr_out")
    rss=$(field vmrss_kb "$lr_out")
    hwm=$(field vmhwm_kb "$lr_out")
    if [ "$lr_rc" -ne 0 ] || [ -z "$rate" ]; then
        failed "launch rate ($lr_tag)" "$lr_out" "$lr_rc"
    fi
}

# spread < VALUES: (max - min) / median, or nothing for no values.
spread() {
    sort -n | awk 'NF { v[++n] = $1 }
        END { if (n == 0) exit; m = v[int((n + 1) / 2)]; printf "%.3f", (v[n] - v[1]) / m }'
}

# describe CFG: its table label and target (sets label, op, limit).
describe() {
    case $1 in
    bare) label="bare" op="" limit="" ;;
    redirect) label="shim, redirect (default)" op=">=" limit=0.99 ;;
    diagnose) label="shim, diagnose" op=">=" limit=0.90 ;;
    diagnose-warn) label="shim, diagnose, log_level=warn" op="" limit="" ;;
    off) label="shim, off" op=">=" limit=0.99 ;;
    esac
}

emit "## 1. Launch rate: empty kernel, cudaLaunchKernel"
emit
emit "$LAUNCHES launches per timed run after 10000 warm-up launches, one process per"
emit "measurement, pinned to one CPU ($PIN).  The configurations run interleaved, $ROUNDS"
emit "rounds; each cell is the median over the rounds and its ratio is against the"
emit "median of the bare runs of the same module; 'spread' is (max - min) / median of"
emit "that configuration's rounds, the noise to read the ratios against.  'paired'"
emit "is the median over the rounds of (this configuration / bare of the same round),"
emit "which cancels drift between rounds; the verdict uses 'vs bare'.  Diagnose"
emit "mode logs one line per launch (to /dev/null here)."
emit
emit "| module | configuration | launches/s | vs bare | paired | spread | target | |"
emit "|---|---|---:|---:|---:|---:|---|---|"
CONFIGS="bare redirect diagnose diagnose-warn off"
for module in watched unwatched; do
    path=$WATCHED
    [ "$module" = unwatched ] && path=$UNWATCHED
    for cfg in $CONFIGS; do : >"$LOGS/rates-$module-$cfg"; : >"$LOGS/enqueue-$module-$cfg"; done
    round=0
    while [ "$round" -lt "$ROUNDS" ]; do
        for cfg in $CONFIGS; do
            case $cfg in
            bare) launch_run "$module-$cfg" "$path" ;;
            redirect)
                launch_run "$module-$cfg" "$path" "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" \
                    "SAGESHIM_LOG=$LOGS/launch-$module-$cfg.log" ;;
            diagnose)
                launch_run "$module-$cfg" "$path" "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" \
                    SAGESHIM_MODE=diagnose SAGESHIM_LOG=/dev/null ;;
            diagnose-warn)
                launch_run "$module-$cfg" "$path" "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" \
                    SAGESHIM_MODE=diagnose SAGESHIM_LOG=/dev/null SAGESHIM_LOG_LEVEL=warn ;;
            off)
                launch_run "$module-$cfg" "$path" "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" \
                    SAGESHIM_MODE=off "SAGESHIM_LOG=$LOGS/launch-$module-$cfg.log" ;;
            esac
            [ -n "$rate" ] && echo "$rate" >>"$LOGS/rates-$module-$cfg"
            [ -n "$enq" ] && echo "$enq" >>"$LOGS/enqueue-$module-$cfg"
            if [ "$module" = watched ] && [ "$round" -eq 0 ]; then
                [ "$cfg" = bare ] && { bare_rss=$rss bare_hwm=$hwm; }
                [ "$cfg" = redirect ] && { shim_rss=$rss shim_hwm=$hwm; }
            fi
        done
        round=$((round + 1))
    done
    bare=$(median <"$LOGS/rates-$module-bare")
    for cfg in $CONFIGS; do
        rate=$(median <"$LOGS/rates-$module-$cfg")
        spread=$(spread <"$LOGS/rates-$module-$cfg")
        describe "$cfg"
        r=$(ratio "$rate" "$bare")
        # Round by round: line i of each file is round i (a failed run
        # leaves its line out, so pair only when both files are complete).
        paired=-
        if [ "$(wc -l <"$LOGS/rates-$module-$cfg")" -eq "$(wc -l <"$LOGS/rates-$module-bare")" ]; then
            paired=$(paste "$LOGS/rates-$module-$cfg" "$LOGS/rates-$module-bare" |
                awk 'NF == 2 && $2 > 0 { printf "%.6f\n", $1 / $2 }' | median)
            paired=$(awk -v p="$paired" 'BEGIN { if (p == "") print "-"; else printf "%.3f", p }')
        fi
        if [ -n "$op" ]; then
            emit "| $module | $label | ${rate:-FAILED} | $r | $paired | ${spread:-} | $op $limit | $(meets "$r" "$op" "$limit") |"
        else
            emit "| $module | $label | ${rate:-FAILED} | $r | $paired | ${spread:-} | | |"
        fi
    done
done
emit
emit "### 1b. Host cost of one launch (the same processes)"
emit
emit "Each process also queues 400 batches of 256 launches, timing each batch while"
emit "it is queued (nothing waits for the GPU: the queue is far from full) and"
emit "synchronizing after it; its value is the median batch per launch.  Each cell"
emit "is the median over the $ROUNDS rounds; 'as a rate' is bare ns / this ns, the"
emit "launch rate the host path alone would allow, relative to bare."
emit
emit "| module | configuration | ns per launch | as a rate, vs bare | spread | target | |"
emit "|---|---|---:|---:|---:|---|---|"
for module in watched unwatched; do
    bare_ns=$(median <"$LOGS/enqueue-$module-bare")
    for cfg in $CONFIGS; do
        ns=$(median <"$LOGS/enqueue-$module-$cfg")
        spread=$(spread <"$LOGS/enqueue-$module-$cfg")
        describe "$cfg"
        r=$(ratio "$bare_ns" "$ns")
        if [ -n "$op" ]; then
            emit "| $module | $label | ${ns:-FAILED} | $r | ${spread:-} | $op $limit | $(meets "$r" "$op" "$limit") |"
        else
            emit "| $module | $label | ${ns:-FAILED} | $r | ${spread:-} | | |"
        fi
    done
done
emit
if grep -q 'redirect _qattn_sm90' "$LOGS/launch-watched-redirect.log" 2>/dev/null; then
    emit "The watched module was redirected to the bundle in the shim runs (shim log)."
else
    emit "Note: the shim log does not show the watched module redirected; see launch-watched-redirect.log."
fi
emit

# ---- 2. Start-up ----------------------------------------------------------------

STARTUP_CUDA='import torch; torch.zeros(1).cuda()'
STARTUP_MATMUL='import torch; a = torch.ones(256, 256, device="cuda"); (a @ a).sum().item()'

# time_ms VAR=VALUE... -- CODE: wall time of one python run in ms, or "" on failure.
time_ms() {
    tm_log=$LOGS/startup.out
    t0=$(date +%s%N)
    timeout -k 5 120 env "$@" >>"$tm_log" 2>&1
    tm_rc=$?
    t1=$(date +%s%N)
    if [ "$tm_rc" -ne 0 ]; then
        failed "start-up run ($*)" "$tm_log" "$tm_rc"
        echo ""
    else
        echo $(((t1 - t0) / 1000000))
    fi
}

emit "## 2. Start-up (wall time of the whole process, median of $STARTUP_RUNS, runs interleaved)"
emit
if "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
    emit "| command | bare ms | shim ms | shim / bare | target | |"
    emit "|---|---:|---:|---:|---|---|"
    for what in cuda matmul; do
        code=$STARTUP_CUDA
        [ "$what" = matmul ] && code=$STARTUP_MATMUL
        # One unmeasured run each: file cache, driver state.
        time_ms "$PYTHON" -c "$code" >/dev/null
        time_ms "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" "SAGESHIM_LOG=$LOGS/startup.log" \
            "$PYTHON" -c "$code" >/dev/null
        : >"$LOGS/bare.ms"
        : >"$LOGS/shim.ms"
        i=0
        while [ "$i" -lt "$STARTUP_RUNS" ]; do
            time_ms "$PYTHON" -c "$code" >>"$LOGS/bare.ms"
            time_ms "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" "SAGESHIM_LOG=$LOGS/startup.log" \
                "$PYTHON" -c "$code" >>"$LOGS/shim.ms"
            i=$((i + 1))
        done
        b=$(grep . "$LOGS/bare.ms" | median)
        s=$(grep . "$LOGS/shim.ms" | median)
        r=$(ratio "$s" "$b")
        emit "| \`$code\` | ${b:-FAILED} | ${s:-FAILED} | $r | <= 1.02 | $(meets "$r" "<=" 1.02) |"
    done
else
    emit "Not measured: $PYTHON cannot import torch (set PYTHON=/path/to/venv/bin/python)."
    errors=$((errors + 1))
fi
emit

# ---- 3. Load and merge -------------------------------------------------------------

emit "## 3. First load of the watched module's image (driver API, cuLibraryLoadData)"
emit
emit "bench/empty.cu: $(wc -c <"$B/empty.fatbin") bytes of fatbin, 64 kernels for sm_80/89/90a/120;"
emit "the shim parses it, checks it against the bundle and merges the sm_90 entry in the"
emit "load call.  Median of 5 processes, microseconds."
emit
emit "| CUDA_MODULE_LOADING | configuration | cuLibraryLoadData µs | first cuLibraryGetKernel + cuKernelGetFunction µs | load vs bare |"
emit "|---|---|---:|---:|---:|"
for loading in LAZY EAGER; do
    for cfg in bare redirect off; do
        : >"$LOGS/load.us"
        : >"$LOGS/kernel.us"
        i=0
        while [ "$i" -lt 5 ]; do
            out=$LOGS/load-$loading-$cfg-$i.out
            case $cfg in
            bare) set -- ;;
            redirect) set -- "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" "SAGESHIM_LOG=$LOGS/load-$loading-$cfg.log" ;;
            off) set -- "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" SAGESHIM_MODE=off "SAGESHIM_LOG=$LOGS/load-$loading-$cfg.log" ;;
            esac
            timeout -k 5 60 env CUDA_MODULE_LOADING="$loading" "$@" "$B/load_time" "$IMAGE" >"$out" 2>&1
            rc=$?
            if [ "$rc" -eq 0 ]; then
                field load_us "$out" >>"$LOGS/load.us"
                field first_kernel_us "$out" >>"$LOGS/kernel.us"
            else
                failed "load time ($loading, $cfg)" "$out" "$rc"
            fi
            i=$((i + 1))
        done
        load=$(median <"$LOGS/load.us")
        kernel=$(median <"$LOGS/kernel.us")
        [ "$cfg" = bare ] && bare_load=$load
        emit "| $loading | $cfg | ${load:-FAILED} | ${kernel:-FAILED} | $(ratio "$load" "$bare_load" 2) |"
    done
done
if [ -f "$LOGS/load-LAZY-redirect.log" ] && ! grep -q 'redirect _qattn_sm90_image' "$LOGS/load-LAZY-redirect.log"; then
    emit
    emit "Note: the shim did not log a redirect of the image; see load-LAZY-redirect.log."
fi
emit

# ---- 4. Resident memory ---------------------------------------------------------------

STATUS_CODE='import torch; a = torch.ones(256, 256, device="cuda"); (a @ a).sum().item()
for line in open("/proc/self/status"):
    if line.startswith(("VmRSS:", "VmHWM:")):
        print(line.split()[0][:-1].lower() + "_kb=" + line.split()[1])'

# python_status TAG VAR=VALUE...: sets rss, hwm.
python_status() {
    ps_out=$LOGS/rss-$1.out
    shift
    timeout -k 5 120 env "$@" "$PYTHON" -c "$STATUS_CODE" >"$ps_out" 2>&1
    ps_rc=$?
    rss=$(field vmrss_kb "$ps_out")
    hwm=$(field vmhwm_kb "$ps_out")
    if [ "$ps_rc" -ne 0 ] || [ -z "$rss" ]; then
        failed "resident memory ($ps_out)" "$ps_out" "$ps_rc"
    fi
}

emit "## 4. Resident memory at exit (kB, /proc/self/status)"
emit
emit "| process | bare VmRSS | shim VmRSS | added | bare VmHWM | shim VmHWM | added |"
emit "|---|---:|---:|---:|---:|---:|---:|"
added() {
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "") print "-"; else print b - a }'
}
emit "| launch_rate, watched module (redirect) | ${bare_rss:-} | ${shim_rss:-} | $(added "${bare_rss:-}" "${shim_rss:-}") | ${bare_hwm:-} | ${shim_hwm:-} | $(added "${bare_hwm:-}" "${shim_hwm:-}") |"
if "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
    python_status bare
    p_rss=$rss p_hwm=$hwm
    python_status shim "$SHIM_ENV" "$SHIM_CONF" "$SHIM_BUNDLE" "SAGESHIM_LOG=$LOGS/rss.log"
    emit "| python, torch + cuBLAS matmul | $p_rss | $rss | $(added "$p_rss" "$rss") | $p_hwm | $hwm | $(added "$p_hwm" "$hwm") |"
fi
emit

# ---- 5. Hotfix kernels ---------------------------------------------------------------

H=$BUILD/gpu/hotfix
emit '## 5. Corrected `_fused` kernels (64-bit offsets) vs the 32-bit original (stand-in)'
emit
emit "tests/gpu/hotfix/bench_hotfix.py: each kernel launched as SageAttention's host code"
emit "launches it, corrected and 32-bit builds of kernels/sageshim_fused.cu alternating, median"
emit "of 100 CUDA-event timings each.  Speed ratio = 32-bit time / corrected time (target >= 0.97);"
emit "GB moved = each input element read once and each output element written once."
emit
if sh tests/gpu/hotfix/build.sh --if-stale >"$LOGS/hotfix-build.out" 2>&1 &&
    timeout -k 5 300 "$PYTHON" tests/gpu/hotfix/bench_hotfix.py \
        --corrected "$H/corrected/libfused_corrected.so" \
        --standin "$H/site/sageattention/_fused.cpython-312-x86_64-linux-gnu.so" \
        >"$LOGS/hotfix.out" 2>"$LOGS/hotfix.err"; then
    grep '^|' "$LOGS/hotfix.out" >>"$BODY"
    emit
    emit "$(grep '^worst speed ratio' "$LOGS/hotfix.out")"
else
    failed "hotfix kernels" "$LOGS/hotfix.err" "$?"
    emit "Not measured (see hotfix.err and hotfix-build.out in the logs)."
fi
emit

# ---- 6. SHA-256 -----------------------------------------------------------------------

emit "## 6. SHA-256 and bundle open on this machine's CPU"
emit
emit "Every process that opens the bundle hashes every file in it (SECURITY.md, promise 10)."
emit "$BUILD/bench/sha256_bench on $BUILD/kernels: median of 7 hashes of 64 MiB per implementation,"
emit "and median of 15 opens (read, hash, parse) of the shipped hotfix bundle. MB = 10^6 bytes."
emit
emit "| implementation | MB/s | bundle bytes | bundle open ms |"
emit "|---|---:|---:|---:|"
if "$BUILD/bench/sha256_bench" "$BUILD/kernels" >"$LOGS/sha256.out" 2>&1; then
    for tag in $(sed -n 's/^sha256 impl=\([a-z0-9-]*\).*/\1/p' "$LOGS/sha256.out"); do
        rate=$(sed -n "s/^sha256 impl=$tag mb_per_s=\([0-9.]*\).*/\1/p" "$LOGS/sha256.out")
        bytes=$(sed -n "s/^bundle_open impl=$tag bytes=\([0-9]*\).*/\1/p" "$LOGS/sha256.out")
        ms=$(sed -n "s/^bundle_open impl=$tag .* ms=\([0-9.]*\).*/\1/p" "$LOGS/sha256.out")
        emit "| $tag | $rate | $bytes | $ms |"
    done
else
    failed "sha256_bench" "$LOGS/sha256.out" "$?"
    emit "Not measured (see sha256.out in the logs)."
fi
emit

# ---- 7. Long inputs in pieces (issue 18) -----------------------------------------------

emit "## 7. Long inputs: an uncut call with and without the shim, a cut call against an uncut one"
emit
emit "The repair's own Python per attention call on this machine's CPU (bench/pieces_overhead.py:"
emit "the wrapper around an op that does nothing, meta tensors of real shapes):"
emit
if timeout -k 5 120 "$PYTHON" bench/pieces_overhead.py >"$LOGS/pieces-overhead.out" \
        2>"$LOGS/pieces-overhead.err"; then
    grep '^|' "$LOGS/pieces-overhead.out" >>"$BODY"
else
    failed "long inputs: repair overhead" "$LOGS/pieces-overhead.err" "$?"
fi
emit
emit "tests/gpu/pieces (check.py, case bench): the sm_90 attention stand-in (upstream's 32-bit"
emit "output offsets), NHD, 56 x 128, 256 keys, median of the timed calls in fresh processes."
emit "Targets: uncut call >= 0.99 of bare; cut call's throughput per query token within 5% of"
emit "an uncut call's."
emit
if timeout -k 5 400 env BUILD="$BUILD" PYTHON="$PYTHON" sh tests/gpu/pieces/run.sh bench \
        >"$LOGS/pieces.out" 2>&1 && [ -f "$BUILD/gpu/pieces/bench.md" ]; then
    cat "$BUILD/gpu/pieces/bench.md" >>"$BODY"
else
    failed "long inputs" "$LOGS/pieces.out" "$?"
    emit "Not measured (see pieces.out in the logs)."
fi
emit

# ---- The report ------------------------------------------------------------------------

{
    echo "# sageshim benchmarks"
    echo
    echo "- device: $DEVICE"
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- preload library: $SHIM (sha256 $(sha256sum "$SHIM" | cut -c1-16))"
    echo "- python: $PYTHON ($("$PYTHON" -c 'import torch; print("torch", torch.__version__)' 2>/dev/null || echo "no torch"))"
    echo "- duration: $(($(date +%s) - started)) s; measurements that failed: $errors"
    echo "- targets: default-mode launch rate >= 0.99 of bare, diagnose >= 0.90, start-up at most 2% slower"
    echo
    cat "$BODY"
} >"$REPORT"
cat "$REPORT"
if [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ]; then
    tar -czf "$OUT/bench-logs.tar.gz" -C "$B" logs build.log 2>/dev/null || true
fi
echo "bench: report in $REPORT; $errors measurements failed"
[ "$errors" -eq 0 ]
