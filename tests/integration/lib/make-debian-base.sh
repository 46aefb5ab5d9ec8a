#!/usr/bin/env bash
# Makes (once) the base image of the realistic Dockerfile suite from the Debian 12 minbase tree
# (make-debian-rootfs.sh): an OCI layout whose tag "bookworm" is one gzip layer, the tar of the
# debootstrap tree made as root with numeric owners, so it holds what a debootstrap base holds,
# device nodes in /dev included (as images made by `debootstrap | tar | docker import` do).
# Prints the layout's path. Cached in ${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}/debian-oci,
# rebuilt when the tree is newer; concurrent callers wait on one lock.
# Exit status 77 when the tree cannot be made here (not root).
set -euo pipefail
lib=$(cd "$(dirname "$0")" && pwd)
cache=${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}
layout=$cache/debian-oci

tree=$("$lib/make-debian-rootfs.sh" "$cache/debian-rootfs")
mkdir -p "$cache"
exec 8>"$cache/debian-oci.lock"
flock 8
if [ -e "$layout/.complete" ] && [ "$layout/.complete" -nt "$tree/.kiln-rootfs-complete" ]; then
  echo "$layout"
  exit 0
fi
tmp=$(mktemp -d "$cache/.debian-oci.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# the layer: every entry of the tree, owners as numbers, sorted; without the stamp of ours
(cd "$tree" && find . -mindepth 1 -maxdepth 1 ! -name .kiln-rootfs-complete -printf '%P\n' |
  LC_ALL=C sort | tar --numeric-owner --xattrs --xattrs-include='*' --sort=name --format=pax \
    --pax-option=delete=atime,delete=ctime -cf "$tmp/layer.tar" -T -)
tar -tvf "$tmp/layer.tar" >"$tmp/list"
grep -q '^c.* dev/null$' "$tmp/list" || { echo "make-debian-base: no dev/null in the layer" >&2; exit 1; }
umoci init --layout "$tmp/oci"
umoci new --image "$tmp/oci:bookworm"
umoci raw add-layer --image "$tmp/oci:bookworm" "$tmp/layer.tar"
umoci config --image "$tmp/oci:bookworm" --config.cmd /bin/bash --architecture amd64 --os linux \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umoci gc --layout "$tmp/oci"
touch "$tmp/oci/.complete"
rm -rf "$layout"
mv "$tmp/oci" "$layout"
echo "$layout"
