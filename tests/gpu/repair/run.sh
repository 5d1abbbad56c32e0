#!/bin/sh
# GPU check of the repair (shim/repair*.c) with real torch: the fixture
# packages broken/ and healthy/ (a miniature of SageAttention's sm_90 path
# whose op writes its output with a CUDA kernel launched through torch) run
# with and without LD_PRELOAD=libsageshim.so, eagerly and under torch.compile.
# Prints one PASS/FAIL line per case; exits 1 if any case failed.
#
#   sh tests/gpu/repair/run.sh            (from the repository root)
# Environment: PYTHON (python3 with torch), SAGESHIM_LIB (default
# build/libsageshim.so), CC (for the fixture extension), REPAIR_COMPILE_BACKEND
# (torch.compile backend, default inductor).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
PYTHON=${PYTHON:-python3}
CC=${CC:-cc}
shim=${SAGESHIM_LIB:-$root/build/libsageshim.so}
failed=0

if [ ! -f "$shim" ]; then
    echo "FAIL repair: no preload library at $shim (set SAGESHIM_LIB)"
    exit 1
fi
case $shim in /*) ;; *) shim=$(pwd)/$shim ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

suffix=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
include=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
for shape in broken healthy; do
    mkdir -p "$work/$shape"
    cp -r "$here/$shape/sageattention" "$work/$shape/"
    if ! "$CC" -shared -fPIC -O2 -I "$include" "$root/tests/repair/qattn_ext.c" \
            -o "$work/$shape/sageattention/_qattn_sm90$suffix"; then
        echo "FAIL repair: cannot build the fixture extension for $PYTHON"
        exit 1
    fi
done

# run SHAPE with|without EXPECTED-LINE EXPECTED-REPAIR-LINES
run() {
    shape=$1 preload=$2 expected=$3 expected_lines=$4
    log=$work/log.$shape.$preload
    conf=$work/conf.$shape.$preload
    printf '[sageshim]\nmode = diagnose\nrepair = on\nlog = %s\n' "$log" > "$conf"
    : > "$log"
    if [ "$preload" = with ]; then
        out=$(cd "$work" && env LD_PRELOAD="$shim" SAGESHIM_CONF="$conf" \
              PYTHONPATH="$work/$shape" PYTHONDONTWRITEBYTECODE=1 \
              "$PYTHON" "$here/check.py" 2> "$work/err.$shape.$preload")
    else
        out=$(cd "$work" && env SAGESHIM_CONF="$conf" \
              PYTHONPATH="$work/$shape" PYTHONDONTWRITEBYTECODE=1 \
              "$PYTHON" "$here/check.py" 2> "$work/err.$shape.$preload")
    fi
    status=$?
    result=$(printf '%s\n' "$out" | tail -n 1)
    lines=$(grep -c 'shadowed by its fake' "$log")
    what="repair: $shape $preload shim: $result, $lines repair line(s) (exit $status)"
    if [ "$status" -eq 0 ] && [ "$result" = "$expected" ] && [ "$lines" -eq "$expected_lines" ]; then
        echo "PASS $what"
    else
        echo "FAIL $what; expected \"$expected\" and $expected_lines repair line(s)"
        tail -n 20 "$work/err.$shape.$preload" | sed 's/^/    stderr: /'
        grep 'repair' "$log" | sed 's/^/    log: /'
        failed=1
    fi
    grep 'shadowed by its fake' "$log" | sed 's/^/    log: /'
}

# The defect reproduces without the shim: the output is never written.
run broken without "eager=uninitialized compile=uninitialized bound=function" 0
# With it the op runs, eagerly and under torch.compile, and says so once.
run broken with "eager=ok compile=ok bound=CustomOpDef" 1
# A healthy package is the same either way, and nothing is logged.
run healthy without "eager=ok compile=ok bound=CustomOpDef" 0
run healthy with "eager=ok compile=ok bound=CustomOpDef" 0

exit $failed
