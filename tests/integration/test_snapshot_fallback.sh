#!/usr/bin/env bash
# The overlay -> copy snapshotter fallback, decided by the sandbox's typed error (KILN_ESNAPSHOT)
# in snapshot/: where overlay mounts are refused (a container whose policy denies them,
# simulated by lib/nooverlay.c: a seccomp filter failing mount(2) without flags, kiln's overlay
# rootfs mount and no other), the first RUN's overlay mount fails; that step runs again with the
# copy snapshotter, one warning says so, the later steps use copy straight away, and the image
# is the one a copy build makes. KILN_SNAPSHOTTER=overlay turns the fallback off (the mount
# error is the build's error); KILN_SNAPSHOTTER=copy never tries overlay.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
[ "$(id -u)" = 0 ] || skip "needs root (the store's id range without newuidmap)"
cc -O2 -o "$T/nooverlay" "$KILN_SRC/tests/integration/lib/nooverlay.c" -lseccomp ||
  fail "cannot compile lib/nooverlay.c (libseccomp-dev)"

busybox_context "$T/ctx"
{
  busybox_dockerfile
  printf 'FROM base\nRUN echo one >/one && rm /bin/true\nRUN echo two >/two\nUSER app\n'
} >"$T/ctx/Dockerfile"
fbuild() { "$KILN" build --progress plain --no-cache --output "type=oci,dest=$1,tar=false" "${@:2}" "$T/ctx"; }

# the reference: the copy snapshotter
KILN_SNAPSHOTTER=copy fbuild "$T/want" --root "$ROOT" >"$T/want.log" 2>&1 ||
  { cat "$T/want.log" >&2; fail "copy build"; }
# and overlay where it may mount: the same image
fbuild "$T/ov" --root "$T/root-ov" >"$T/ov.log" 2>&1 || { cat "$T/ov.log" >&2; fail "overlay build"; }
grep -q 'copy snapshotter' "$T/ov.log" && { cat "$T/ov.log" >&2; fail "fell back where overlay mounts"; }
[ "$(manifest_digest "$T/ov")" = "$(manifest_digest "$T/want")" ] || fail "overlay and copy images differ"

"$T/nooverlay" "$KILN" build --progress plain --no-cache --root "$T/root-got" \
  --output "type=oci,dest=$T/got,tar=false" "$T/ctx" >"$T/got.log" 2>&1 ||
  { cat "$T/got.log" >&2; fail "build where overlay mounts are refused"; }
n=$(grep -c 'mount overlay rootfs.*; using the copy snapshotter' "$T/got.log" || true)
[ "$n" = 1 ] || { cat "$T/got.log" >&2; fail "expected one fallback warning, got $n"; }
grep -q 'WARNING: Dockerfile:4: RUN echo one' "$T/got.log" ||
  { cat "$T/got.log" >&2; fail "the warning names the first RUN"; }
[ "$(manifest_digest "$T/got")" = "$(manifest_digest "$T/want")" ] ||
  fail "the fallback image differs from the copy snapshotter's"
ok "overlay mounts refused: falls back to copy once, with one warning, same image"

expect_fail 1 'Dockerfile:4: RUN echo one.*mount overlay rootfs' \
  env KILN_SNAPSHOTTER=overlay "$T/nooverlay" "$KILN" build --progress plain --no-cache \
  --root "$T/root-forced" "$T/ctx"
grep -q 'using the copy snapshotter' "$T/out.log" && fail "KILN_SNAPSHOTTER=overlay fell back"
ok "KILN_SNAPSHOTTER=overlay: no fallback, the mount error fails the build"

KILN_SNAPSHOTTER=copy "$T/nooverlay" "$KILN" build --progress plain --no-cache \
  --root "$T/root-copy" --output "type=oci,dest=$T/copy,tar=false" "$T/ctx" >"$T/copy.log" 2>&1 ||
  { cat "$T/copy.log" >&2; fail "KILN_SNAPSHOTTER=copy where overlay mounts are refused"; }
grep -q 'overlay' "$T/copy.log" && { cat "$T/copy.log" >&2; fail "KILN_SNAPSHOTTER=copy tried overlay"; }
[ "$(manifest_digest "$T/copy")" = "$(manifest_digest "$T/want")" ] || fail "copy image differs"
ok "KILN_SNAPSHOTTER=copy never tries overlay"
