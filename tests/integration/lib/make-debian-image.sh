#!/usr/bin/env bash
# Makes (once) an OCI layout of the Debian 12 minbase tree as a base image comes from elsewhere:
# one gzip layer written by tar(1) as root with numeric owners, so it holds what debootstrap made,
# device nodes in /dev included. Prints the layout path; its tag is "12".
#
#   tests/integration/lib/make-debian-image.sh
#
# Cached in ${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}/debian-image (rebuilt when the tree is
# newer). Needs root: only root can read every file of the tree and archive device nodes.
set -euo pipefail

lib=$(cd "$(dirname "$0")" && pwd)
cache=${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}
tree=$("$lib/make-debian-rootfs.sh")
tree=$(readlink -f "$tree")
out=$cache/debian-image

exec 8>"${cache}/debian-image.lock"
flock 8
if [ ! -s "$out/index.json" ] || [ "$tree/.kiln-rootfs-complete" -nt "$out/index.json" ]; then
  tmp=$(mktemp -d "$cache/.debian-image.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # sorted names, numeric owners, fixed mtimes: the same tree gives the same layer
  tar --sort=name --numeric-owner --xattrs --xattrs-include='*' -C "$tree" \
    --exclude=./.kiln-rootfs-complete -cf "$tmp/layer.tar" .
  python3 "$lib/mklayout.py" "$tmp/layout" 12 "$tmp/layer.tar"
  rm -rf "$out"
  mv "$tmp/layout" "$out"
  touch "$out/index.json"
fi
echo "$out"
