#!/bin/sh
# packaging/uninstall.sh ROOT: remove what packaging/install.sh installed
# under ROOT, as its manifest ROOT/share/sageshim/installed-files lists it:
# the files, the configuration only while it is the shipped default, then
# the directories that install created, where empty.
set -eu
root=${1:?usage: uninstall.sh ROOT}
manifest=$root/share/sageshim/installed-files
if [ ! -f "$manifest" ]; then
    echo "uninstall: no $manifest: nothing installed by make install here" >&2
    exit 1
fi
list=$(cat "$manifest")
printf '%s\n' "$list" | while read -r path hash; do
    case $path in
    */) rmdir "$root/$path" 2>/dev/null || true ;;
    *)
        if [ -n "$hash" ] && [ -f "$root/$path" ] &&
            [ "sha256=$(sha256sum "$root/$path" | cut -d' ' -f1)" != "$hash" ]; then
            echo "uninstall: kept $root/$path (edited)"
        else
            rm -f "$root/$path"
        fi ;;
    esac
done
# The configuration kept by install.sh (edited before an upgrade) is not in
# the manifest; say that it stays.
if [ -f "$root/etc/sageshim.conf" ] && ! printf '%s\n' "$list" | grep -q '^etc/sageshim.conf '; then
    echo "uninstall: kept $root/etc/sageshim.conf (edited)"
fi
