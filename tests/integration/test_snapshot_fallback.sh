#!/usr/bin/env bash
# The overlay -> copy snapshotter fallback, decided by the sandbox's typed error (KILN_ESNAPSHOT)
# in snapshot/: a store on an overlayfs (which overlayfs refuses as an upper directory) makes the
# first RUN's overlay mount fail; that step runs again with the copy snapshotter, one warning
# says so, the later steps use copy straight away, and the image is the one a copy build makes.
# KILN_SNAPSHOTTER=overlay turns the fallback off (the mount error is the build's error);
# KILN_SNAPSHOTTER=copy never tries overlay. Runs in a mount namespace of its own (root), so the
# overlayfs under $T goes away with the test whatever happens.
if [ -z "${KILN_IN_MNTNS:-}" ] && [ "$(id -u)" = 0 ] &&
  unshare -m --propagation private true 2>/dev/null; then
  KILN_IN_MNTNS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
[ -n "${KILN_IN_MNTNS:-}" ] || skip "needs root and a mount namespace of its own (unshare -m)"

ov=$T/ov
mkdir -p "$ov/lower" "$ov/upper" "$ov/work" "$ov/mnt"
mount -t overlay overlay -o "lowerdir=$ov/lower,upperdir=$ov/upper,workdir=$ov/work" "$ov/mnt" ||
  skip "cannot mount an overlayfs here"
# unmounted before common.sh's cleanup removes $T (its exit status kept)
trap 'rc=$?; umount -l "$ov/mnt"; (exit $rc); cleanup' EXIT

busybox_context "$T/ctx"
{
  busybox_dockerfile
  # no whiteout in the layers: unpacking one onto a store on overlayfs is refused (mknod of a
  # whiteout device in a user namespace), a limit of such stores apart from the snapshotter
  printf 'FROM base\nRUN echo one >/one\nRUN echo two >/two\nUSER app\n'
} >"$T/ctx/Dockerfile"
store=$ov/mnt/store
fbuild() { "$KILN" build --progress plain --no-cache --output "type=oci,dest=$1,tar=false" "${@:2}" "$T/ctx"; }

# the reference: the copy snapshotter on a store overlayfs can use
KILN_SNAPSHOTTER=copy fbuild "$T/want" --root "$ROOT" >"$T/want.log" 2>&1 ||
  { cat "$T/want.log" >&2; fail "copy build on a plain store"; }

fbuild "$T/got" --root "$store" >"$T/got.log" 2>&1 || { cat "$T/got.log" >&2; fail "build on a store on overlayfs"; }
n=$(grep -c 'mount overlay rootfs.*; using the copy snapshotter' "$T/got.log" || true)
[ "$n" = 1 ] || { cat "$T/got.log" >&2; fail "expected one fallback warning, got $n"; }
grep -q 'WARNING: Dockerfile:4: RUN echo one' "$T/got.log" ||
  { cat "$T/got.log" >&2; fail "the warning names the first RUN"; }
[ "$(manifest_digest "$T/got")" = "$(manifest_digest "$T/want")" ] ||
  fail "the fallback image differs from the copy snapshotter's"
ok "an overlay that cannot mount on the store falls back to copy once, with one warning, same image"

expect_fail 1 'Dockerfile:4: RUN echo one.*mount overlay rootfs' \
  env KILN_SNAPSHOTTER=overlay "$KILN" build --progress plain --no-cache --root "$store" "$T/ctx"
grep -q 'using the copy snapshotter' "$T/out.log" && fail "KILN_SNAPSHOTTER=overlay fell back"
ok "KILN_SNAPSHOTTER=overlay: no fallback, the mount error fails the build"

KILN_SNAPSHOTTER=copy fbuild "$T/copy" --root "$store" >"$T/copy.log" 2>&1 ||
  { cat "$T/copy.log" >&2; fail "KILN_SNAPSHOTTER=copy on the overlayfs store"; }
grep -q 'overlay' "$T/copy.log" && { cat "$T/copy.log" >&2; fail "KILN_SNAPSHOTTER=copy tried overlay"; }
[ "$(manifest_digest "$T/copy")" = "$(manifest_digest "$T/want")" ] || fail "copy image differs"
ok "KILN_SNAPSHOTTER=copy never tries overlay"
