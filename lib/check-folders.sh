#!/bin/sh
# check-folders.sh ROOT OBJECT...: fail unless the core library's files call
# each other only as the maps of its folders allow.
#
# ROOT (lib) holds one folder per concern; each has a header ROOT/<folder>/
# folder.h whose opening comment is its map: one line " * Calls: <folder>,
# <folder>." (or " * Calls: nothing ...") naming the folders its files may
# call, and one line per file " *   <file>  <what it owns>".  An OBJECT is
# the build of ROOT/<folder>/<file>.c: its folder and file are the last two
# parts of its path (.../<folder>/<file>.o).  From the objects (nm), a file
# "calls" another when it uses a global symbol the other defines.  Checked:
#   - every .c/.S file of every folder is in its folder's map, no source
#     lies in ROOT itself, and every object belongs to a mapped file;
#   - a file calls files of its own folder or of folders its map names,
#     never others (in particular never upward);
#   - no loop: two files never call each other, directly or through others,
#     and the folders' "Calls" lines form no loop either.
# NM names the nm to use (default nm).  VERBOSE=1 lists the calls.
set -eu
root=$1
shift
: "${NM:=nm}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# "<folder>/<file> <folder>" per mapped file, "<folder> <callee>" per allowed call.
: > "$tmp/files"
: > "$tmp/allowed"
for header in "$root"/*/folder.h; do
    [ -e "$header" ] || continue
    folder=$(basename "$(dirname "$header")")
    sed -n 's/^ \*   \([A-Za-z0-9_]*\.[cS]\) .*/\1/p' "$header" |
        awk -v d="$folder" '{ print d "/" $1, d }' >> "$tmp/files"
    calls=$(sed -n 's/^ \* Calls: \(.*\)/\1/p' "$header")
    if [ -z "$calls" ]; then
        echo "check-folders: $header has no \" * Calls: ...\" line" >&2
        status=1
    fi
    for callee in $(printf '%s\n' "$calls" | sed 's/(.*//; s/[.,]/ /g'); do
        [ "$callee" = nothing ] && continue
        [ -d "$root/$callee" ] || { echo "check-folders: $header: no folder $callee" >&2; status=1; }
        echo "$folder $callee" >> "$tmp/allowed"
    done
done
sort -o "$tmp/files" "$tmp/files"
if [ ! -s "$tmp/files" ]; then
    echo "check-folders: no \" *   <file>  <what>\" lines in $root/*/folder.h" >&2
    exit 1
fi
for source in "$root"/*.c "$root"/*.S "$root"/*/*.c "$root"/*/*.S; do
    [ -e "$source" ] || continue
    rel=${source#"$root"/}
    case $rel in
    */*) ;;
    *) echo "check-folders: $source is in no folder" >&2; status=1; continue ;;
    esac
    if ! grep -q "^$rel " "$tmp/files"; then
        echo "check-folders: $rel is not in the map in $root/${rel%%/*}/folder.h" >&2
        status=1
    fi
done

# "<folder>/<file> <symbol>" for each global symbol an object defines, and for each it uses.
: > "$tmp/defines"
: > "$tmp/uses"
for object in "$@"; do
    base=${object##*/}
    base=${base%.o}
    folder=$(basename "$(dirname "$object")")
    file=$(awk -v k="$folder/$base" '{ f = $1; sub(/\.[cS]$/, "", f); if (f == k) print $1 }' \
        "$tmp/files")
    if [ -z "$file" ]; then
        echo "check-folders: $object: no file of the maps built it" >&2
        status=1
        continue
    fi
    "$NM" -P "$object" | awk -v f="$file" -v uses="$tmp/uses" -v defs="$tmp/defines" '
        $2 == "U" || $2 == "w" { print f, $1 >> uses; next }
        $2 ~ /^[A-TV-Z]$/    { print f, $1 >> defs }'
done

# "<caller> <callee> <caller's folder> <callee's folder> <symbol>" per call between files.
sort -u "$tmp/uses" | awk '
    FILENAME == ARGV[1] { folder[$1] = $2; next }
    FILENAME == ARGV[2] { owner[$2] = $1; next }
    ($2 in owner) && owner[$2] != $1 {
        print $1, owner[$2], folder[$1], folder[owner[$2]], $2
    }' "$tmp/files" "$tmp/defines" - > "$tmp/calls"

if awk 'FILENAME == ARGV[1] { ok[$1 " " $2] = 1; next }
        $3 != $4 && !(($3 " " $4) in ok) {
            print "check-folders: " $1 " calls " $2 " (" $5 "): folder " $3 \
                  " may not call folder " $4; bad = 1
        }
        END { exit bad ? 0 : 1 }' "$tmp/allowed" "$tmp/calls" >&2; then
    status=1
fi
if ! awk '{ print $1, $2 }' "$tmp/calls" | sort -u | tsort > /dev/null 2> "$tmp/loop"; then
    echo "check-folders: the files call each other in a loop:" >&2
    sed 's/^tsort: /  /' "$tmp/loop" >&2
    status=1
fi
if ! sort -u "$tmp/allowed" | tsort > /dev/null 2> "$tmp/loop"; then
    echo "check-folders: the folders' Calls lines form a loop:" >&2
    sed 's/^tsort: /  /' "$tmp/loop" >&2
    status=1
fi
[ -n "${VERBOSE:-}" ] && awk '{ print "  " $1 " -> " $2 }' "$tmp/calls" | sort -u
if [ "$status" -eq 0 ]; then
    echo "check-folders: $(awk '{ print $1, $2 }' "$tmp/calls" | sort -u | wc -l) calls between" \
         "$(wc -l < "$tmp/files") files in $(sed 's/\/.*//' "$tmp/files" | sort -u | wc -l)" \
         "folders, each to its own folder or one its map allows, no loop"
fi
exit "$status"
