#!/bin/sh
# run.sh: the long-input part of the GPU suite (issue 18).  Runs on a machine
# with a compute capability 9.0 GPU and python3 with torch and Triton;
# `make gpucheck` (tests/gpu/gpucheck.sh) runs it and counts its PASS/FAIL
# lines, or run it alone:
#
#   sh tests/gpu/pieces/run.sh [CASES]     (CASES: nhd600k,hnd610k,hnd300k,
#                                           bytes,quant,triton,bench)
#
# Lays out the stand-in package (tests/gpu/pieces/site) with its
# `_qattn_sm90` built from forward_ext.c as pybind11 3 builds extensions
# (multi-phase init), then runs check.py: each case in a fresh process, with
# and without LD_PRELOAD=$BUILD/libsageshim.so (default configuration).
# Writes logs to $BUILD/gpu/pieces/logs and the bench table to
# $BUILD/gpu/pieces/bench.md (copied to $OUT when set).
# Environment: BUILD (default build), PYTHON (python3 with torch), CC.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
PYTHON=${PYTHON:-python3}
CC=${CC:-cc}
shim=$BUILD/libsageshim.so
work=$BUILD/gpu/pieces
cases=${1:-}

if [ ! -f "$shim" ]; then
    echo "FAIL pieces: no preload library at $shim"
    exit 1
fi
rm -rf "$work/site"
mkdir -p "$work/site" "$work/logs"
cp -r "$here/site/sageattention" "$work/site/"
suffix=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
include=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
if ! "$CC" -shared -fPIC -O2 -Wall -DMODULE=_qattn_sm90 -I "$include" "$here/forward_ext.c" \
        -o "$work/site/sageattention/_qattn_sm90$suffix"; then
    echo "FAIL pieces: cannot build the stand-in extension for $PYTHON"
    exit 1
fi
bench=
case ",$cases," in ,, | *,bench,*) bench="--bench $work/bench.md" ;; esac
# shellcheck disable=SC2086
"$PYTHON" "$here/check.py" --site "$work/site" --shim "$shim" --logs "$work/logs" \
    --cases "$cases" $bench
rc=$?
if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT/pieces"
    cp "$work"/logs/* "$OUT/pieces/" 2>/dev/null
    [ -f "$work/bench.md" ] && cp "$work/bench.md" "$OUT/pieces/"
fi
exit $rc
