# hostbin_rootfs DIR BIN...: adds host programs and the shared libraries they load (ldd) to the
# rootfs DIR (made by busybox_context), so a step can run real tools (git, ssh) without a
# network or a distribution base. Paths are kept (/usr/bin/git, /lib/x86_64-linux-gnu/...).
hostbin_rootfs() {
  local r=$1 b lib
  shift
  for b in "$@"; do
    b=$(readlink -f "$(command -v "$b")")
    mkdir -p "$r$(dirname "$b")"
    cp -a "$b" "$r$b"
    for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
      mkdir -p "$r$(dirname "$lib")"
      [ -e "$r$lib" ] || cp -aL "$lib" "$r$lib"
    done
  done
  # the dynamic loader at the path the binaries name
  for lib in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do
    [ -e "$lib" ] && { mkdir -p "$r$(dirname "$lib")"; cp -aL "$lib" "$r$lib"; }
  done
  return 0
}
