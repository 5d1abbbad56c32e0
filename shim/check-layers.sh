#!/bin/sh
# check-layers.sh MAP OBJECT...: fail unless the shim's files call each other
# only as MAP (shim/shim.h) allows.
#
# MAP lists every file of shim/ on a line " *   <layer> <file>  <what it does>"
# (layer 4: interposition, 3: decision, 2: state and log, 1: real functions).
# From the built objects (nm), a file "calls" another when it uses a global
# symbol the other defines.  Checked:
#   - every shim/*.c and shim/*.S file is in MAP, and every object belongs to one;
#   - no call goes up a layer;
#   - no loop: two files never call each other, directly or through others.
# NM names the nm to use (default nm).
set -eu
map=$1
shift
: "${NM:=nm}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -n 's/^ \*   \([1-4]\) \([A-Za-z0-9_]*\.[cS]\) .*/\2 \1/p' "$map" | sort > "$tmp/layers"
if [ ! -s "$tmp/layers" ]; then
    echo "check-layers: no \" *   <layer> <file>\" lines in $map" >&2
    exit 1
fi
status=0
dir=$(dirname "$map")
for source in "$dir"/*.c "$dir"/*.S; do
    [ -e "$source" ] || continue
    name=${source##*/}
    if ! grep -q "^$name " "$tmp/layers"; then
        echo "check-layers: $name is not in the map in $map" >&2
        status=1
    fi
done

# "<file> <symbol>" for each global symbol an object defines, and for each it uses.
: > "$tmp/defines"
: > "$tmp/uses"
for object in "$@"; do
    base=${object##*/}
    base=${base%.o}
    file=$(awk -v b="$base" '{ f = $1; sub(/\.[cS]$/, "", f); if (f == b) print $1 }' "$tmp/layers")
    if [ -z "$file" ]; then
        echo "check-layers: $object: no file of the map built it" >&2
        status=1
        continue
    fi
    "$NM" -P "$object" | awk -v f="$file" '
        $2 == "U" || $2 == "w" { print f, $1 >> "'"$tmp/uses"'"; next }
        $2 ~ /^[A-TV-Z]$/    { print f, $1 >> "'"$tmp/defines"'" }'
done

# "<caller> <callee>" for each pair of different files, with their layers.
sort -u "$tmp/uses" | awk '
    FILENAME == ARGV[1] { layer[$1] = $2; next }
    FILENAME == ARGV[2] { owner[$2] = $1; next }
    ($2 in owner) && owner[$2] != $1 {
        print $1, owner[$2], layer[$1], layer[owner[$2]], $2
    }' "$tmp/layers" "$tmp/defines" - > "$tmp/calls"

if awk '$4 > $3 { print "check-layers: " $1 " (layer " $3 ") calls " $2 " (layer " $4 "): " $5; bad = 1 }
        END { exit bad ? 0 : 1 }' "$tmp/calls" >&2; then
    status=1
fi
if ! awk '{ print $1, $2 }' "$tmp/calls" | sort -u | tsort > /dev/null 2> "$tmp/loop"; then
    echo "check-layers: the files call each other in a loop:" >&2
    sed 's/^tsort: /  /' "$tmp/loop" >&2
    status=1
fi
[ -n "${VERBOSE:-}" ] && sort -u -k1,2 "$tmp/calls" | awk '{ print "  " $1 " -> " $2 }' | uniq
if [ "$status" -eq 0 ]; then
    echo "check-layers: $(awk '{ print $1, $2 }' "$tmp/calls" | sort -u | wc -l) calls between" \
         "$(wc -l < "$tmp/layers") files, all downward or within a layer, no loop"
fi
exit "$status"
