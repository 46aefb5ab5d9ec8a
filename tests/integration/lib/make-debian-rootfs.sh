#!/usr/bin/env bash
# Makes (once) a Debian 12 minbase root filesystem for the SBOM tests and benchmark, and prints
# its path on stdout. Idempotent: the tree is cached under ${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}
# and rebuilt only when missing or incomplete. Needs root (debootstrap) and network the first time.
#
#   tests/integration/lib/make-debian-rootfs.sh [DEST]
#
# DEST defaults to $KILN_DEBIAN_ROOTFS, else /var/tmp/kiln-debian-rootfs (where the SBOM tests
# look). The tree itself is built once in $KILN_TEST_CACHE/debian-rootfs; a DEST elsewhere becomes
# a symlink to it (KILN_DEBIAN_COPY=1: a copy), so several checkouts share one download.
# Tests that need the tree call this script themselves (never rely on test order); concurrent
# callers wait on one lock, so only one of them runs debootstrap. Exit status 77 (ctest's skip
# code) when the tree is missing and this machine cannot make it (not root).
# KILN_DEBOOTSTRAP: the debootstrap command (tests of this script give a fake one).
set -euo pipefail

cache=${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}
cached=$cache/debian-rootfs
dest=${1:-${KILN_DEBIAN_ROOTFS:-/var/tmp/kiln-debian-rootfs}}
suite=${KILN_DEBIAN_SUITE:-bookworm}

mirror() {
  local m=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources || true)
  fi
  echo "${KILN_DEBIAN_MIRROR:-${m:-http://deb.debian.org/debian}}"
}

complete() { # a finished debootstrap leaves a dpkg database and a stamp of ours
  [ -s "$1/var/lib/dpkg/status" ] && [ -e "$1/.kiln-rootfs-complete" ]
}

tmp=""
build() {
  local target=$1
  local debootstrap=${KILN_DEBOOTSTRAP:-debootstrap}
  command -v "$debootstrap" >/dev/null || {
    echo "make-debian-rootfs: installing debootstrap" >&2
    apt-get install -y --no-install-recommends debootstrap >&2
  }
  mkdir -p "$(dirname "$target")"
  tmp=$(mktemp -d "$(dirname "$target")/.debian-rootfs.XXXXXX")
  trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
  chmod 755 "$tmp"
  "$debootstrap" --variant=minbase "$suite" "$tmp" "$(mirror)" >&2
  # keep the tree small and the package database exactly as installed
  rm -f "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/cache/apt/*.bin
  [ ! -d "$tmp/var/lib/apt/lists" ] || find "$tmp/var/lib/apt/lists" -maxdepth 1 -type f -delete
  touch "$tmp/.kiln-rootfs-complete"
  rm -rf "$target"
  mv "$tmp" "$target"
  trap - EXIT
}

mkdir -p "$(dirname "$cache")"
exec 9>"${cache}.lock"
flock 9
if ! complete "$cached"; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "make-debian-rootfs: no Debian tree in $cached, and debootstrap needs root" >&2
    exit 77
  fi
  mkdir -p "$cache"
  build "$cached"
fi
if [ "$dest" != "$cached" ] && ! complete "$dest"; then
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  if [ "${KILN_DEBIAN_COPY:-0}" = 1 ]; then
    cp -a "$cached" "$dest"
  else
    ln -s "$cached" "$dest"
  fi
fi
echo "$dest"
