#!/bin/sh
# check-exports.sh LIBRARY MAP: fail unless the dynamic symbols LIBRARY
# defines are exactly the global names of the version script MAP (a
# preloaded library's exports override those names in the whole process, so
# an extra one is a bug, and a missing one a hole).
lib=$1
map=$2
want=$(sed -n 's/^    \([A-Za-z_][A-Za-z0-9_]*\);$/\1/p' "$map" | sort -u)
have=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)
if [ -z "$want" ]; then
    echo "check-exports: no names in $map" >&2
    exit 1
fi
if [ "$want" != "$have" ]; then
    echo "check-exports: $lib exports differ from $map" >&2
    echo "$want" > "$lib.want"
    echo "$have" > "$lib.have"
    diff "$lib.want" "$lib.have" | sed -n 's/^[<>]/&/p' >&2
    rm -f "$lib.want" "$lib.have"
    echo "(< intended but missing, > exported but not intended)" >&2
    exit 1
fi
