#!/bin/sh
# valgrind.sh: the fake-driver clients under the preload library, each run
# under valgrind memcheck; fails on any memory error or definite leak.
#   BUILD=build sh tests/hardening/valgrind.sh
# Needs what `make check` builds under $BUILD (the shim, the fake
# libcuda.so.1, tests/shim clients, tests/hardening clients and bundle).
set -u
: "${BUILD:=build}"
root=$(pwd)
b="$root/$BUILD"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sageshim-valgrind-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for f in "$b/libsageshim.so" "$b/tests/shim/fake/libcuda.so.1" "$b/tests/shim/client_runtime" \
         "$b/tests/hardening/client_fork" "$b/tests/hardening/bundle/MANIFEST"; do
    [ -e "$f" ] || { echo "valgrind.sh: $f missing: run make BUILD=$BUILD check first" >&2; exit 2; }
done

module="$b/tests/shim/site/sageattention/_qattn_sm90.cpython-311-x86_64-linux-gnu.so"
printf '[sageshim]\nmode = redirect\nbundle = %s\n' "$b/tests/hardening/bundle" > "$tmp/redirect.conf"
printf '[sageshim]\nmode = diagnose\nbundle = %s\n' "$b/tests/hardening/bundle" > "$tmp/diagnose.conf"

runs=0
failed=0
# run NAME CONF PROGRAM ARGS...
run() {
    name=$1 conf=$2
    shift 2
    runs=$((runs + 1))
    LD_LIBRARY_PATH="$b/tests/shim/fake" LD_PRELOAD="$b/libsageshim.so" \
    SAGESHIM_CONF="$tmp/$conf.conf" SAGESHIM_LOG="$tmp/shim.log" FAKECUDA_LOG="$tmp/fake.log" \
        valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
        --log-file="$tmp/vg.%p" "$@" > "$tmp/out" 2>&1
    status=$?
    if [ "$status" -ne 0 ] || ! grep -qx ok "$tmp/out"; then
        failed=$((failed + 1))
        echo "FAIL $name (status $status)"
        cat "$tmp/out" "$tmp"/vg.* 2>/dev/null | head -60
    else
        echo "ok   $name"
    fi
    rm -f "$tmp"/vg.* "$tmp/shim.log" "$tmp/fake.log"
}

for conf in redirect diagnose; do
    for client in runtime linked dlsym; do
        for api in library module moduleex fatbinary; do
            run "$client --api $api --threads 4 ($conf)" "$conf" "$b/tests/shim/client_$client" \
                --api "$api" --threads 4 "$module" shim_scale _Z10shim_shiftILi4EEvPii
        done
    done
    run "client_fork ($conf)" "$conf" "$b/tests/hardening/client_fork" "$module" shim_scale \
        --no-background
    run "client_reload ($conf)" "$conf" "$b/tests/hardening/client_reload" "$module" shim_scale 3 \
        dlclose-first
done

# Hotfixes (tests/hotfix): the _fused fixture module with a hotfix bundle,
# each lookup path; the hotfix images are loaded and unloaded with the originals.
fused="$b/tests/hotfix/site/sageattention/_fused.cpython-312-x86_64-linux-gnu.so"
if [ -e "$fused" ] && [ -e "$b/tests/hotfix/good/MANIFEST" ]; then
    printf '[sageshim]\nmode = diagnose\nbundle = %s\n' "$b/tests/hotfix/good" > "$tmp/hotfix.conf"
    for lookup in kernel enumerate module; do
        run "runtime --lookup $lookup --threads 4 (hotfix)" hotfix "$b/tests/shim/client_runtime" \
            --lookup "$lookup" --threads 4 "$fused" shim_scale _Z10shim_shiftILi4EEvPii
    done
    run "runtime --api module --threads 4 (hotfix)" hotfix "$b/tests/shim/client_runtime" \
        --api module --threads 4 "$fused" shim_scale _Z10shim_shiftILi4EEvPii
fi

echo "valgrind: $runs runs, $failed failed"
[ "$failed" -eq 0 ]
