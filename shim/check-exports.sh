#!/bin/sh
# check-exports.sh LIBRARY SYMBOL...: fail unless the dynamic symbols LIBRARY
# defines are exactly the SYMBOLs given (a preloaded library's exports
# override those names in the whole process, so an extra one is a bug).
lib=$1
shift
want=$(printf '%s\n' "$@" | sort -u)
have=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)
if [ "$want" != "$have" ]; then
    echo "check-exports: $lib exports differ from the intended list" >&2
    echo "$want" > "$lib.want"
    echo "$have" > "$lib.have"
    diff "$lib.want" "$lib.have" | sed -n 's/^[<>]/&/p' >&2
    rm -f "$lib.want" "$lib.have"
    echo "(< intended but missing, > exported but not intended)" >&2
    exit 1
fi
