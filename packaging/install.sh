#!/bin/sh
# packaging/install.sh ROOT: install the files listed on stdin under ROOT
# ($(DESTDIR)$(PREFIX)) and write ROOT/share/sageshim/installed-files, the
# list `make uninstall` removes.  Called by `make install` (tools/module.mk),
# which builds the list; the wheel (packaging/sageshim_backend.py) packs the
# same tree.
#
# Each input line: MODE SOURCE DEST, DEST relative to ROOT.  MODE "conf"
# marks the configuration: the user may have edited it, so an upgrade never
# overwrites it (see install_conf).
#
# The manifest, one entry a line, relative to ROOT:
#   FILE                  a file installed
#   FILE sha256=HEX       the configuration as shipped (uninstall removes it
#                         only while unedited)
#   DIR/                  a directory this install created (removed when empty)
set -eu
root=${1:?usage: install.sh ROOT < list}
manifest_rel=share/sageshim/installed-files
manifest=$root/$manifest_rel
INSTALL=${INSTALL:-install}

new=$(mktemp "${TMPDIR:-/tmp}/sageshim-install.XXXXXX")
trap 'rm -f "$new"' EXIT

sha() { sha256sum "$1" | cut -d' ' -f1; }

# Create DIR's missing ancestors one by one, so that each one we create is
# recorded (and only those: /usr/local/lib existed before us and stays).
make_dir() {
    case $1 in */*) make_dir "${1%/*}" ;; esac
    if [ ! -d "$root/$1" ]; then
        $INSTALL -d "$root/$1"
        echo "$1/" >>"$new"
    fi
}
mkdir -p "$root"

# Directories created by an earlier install stay ours.
[ -f "$manifest" ] && grep '/$' "$manifest" >>"$new" || true

# The configuration: installed when absent, or when it is still the default
# an earlier install shipped (then it is ours to upgrade).  An edited one is
# kept and the new default goes beside it as <name>.default.
install_conf() {
    src=$1 dest=$2
    shipped=$(sha "$src")
    if [ -f "$root/$dest" ]; then
        have=$(sha "$root/$dest")
        before=$( [ -f "$manifest" ] && sed -n "s|^$dest sha256=\\([0-9a-f]*\\)\$|\\1|p" "$manifest" || true)
        if [ "$have" != "$shipped" ] && [ "$have" != "$before" ]; then
            $INSTALL -m 644 "$src" "$root/$dest.default"
            echo "$dest.default" >>"$new"
            echo "install: kept your $root/$dest (edited); the new default is $root/$dest.default"
            return
        fi
    fi
    $INSTALL -m 644 "$src" "$root/$dest"
    echo "$dest sha256=$shipped" >>"$new"
}

while read -r mode src dest; do
    [ -n "$mode" ] || continue
    case $dest in */*) make_dir "${dest%/*}" ;; esac
    if [ "$mode" = conf ]; then
        install_conf "$src" "$dest"
    else
        $INSTALL -m "$mode" "$src" "$root/$dest"
        echo "$dest" >>"$new"
    fi
done

# Files an earlier version installed that this one does not (renamed or
# dropped) would be left behind forever: remove them now.  Never the
# configuration (a line with sha256=): the user may have edited it since.
if [ -f "$manifest" ]; then
    grep -v '/$' "$manifest" | grep -v ' sha256=' | while read -r f; do
        [ "$f" = "$manifest_rel" ] && continue
        cut -d' ' -f1 "$new" | grep -qxF "$f" || rm -f "$root/$f"
    done
fi

make_dir "${manifest_rel%/*}"
echo "$manifest_rel" >>"$new"
# Files first, directories deepest first: the order uninstall.sh removes them.
{ grep -v '/$' "$new" | sort -u; grep '/$' "$new" | sort -u | sort -r; } >"$manifest.tmp"
mv "$manifest.tmp" "$manifest"
chmod 644 "$manifest"
