#!/usr/bin/env bash
# RUN --mount=type=tmpfs: a fresh tmpfs for the step, with its size limit, in no layer.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

busybox_context "$T/ctx"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN --mount=type=tmpfs,target=/scratch sh -c 'dd if=/dev/zero of=/scratch/big bs=1M count=8 2>/dev/null && grep " /scratch " /proc/mounts | cut -d" " -f3 > /fstype'
RUN --mount=type=tmpfs,target=/small,size=1m sh -c 'grep " /small tmpfs " /proc/mounts | grep -o size=[0-9a-z]* > /small-mount.txt; (dd if=/dev/zero of=/small/half bs=1024 count=512 2>/dev/null && echo fits || echo full) > /small.txt; (dd if=/dev/zero of=/small/f bs=1024 count=2048 2>/dev/null && echo fits || echo full) >> /small.txt'
RUN --mount=type=tmpfs,target=/tmp/t sh -c 'test -z "$(ls -A /tmp/t)" && echo empty > /fresh'
USER app
DF
} >"$T/ctx/Dockerfile"

kbuild -t t:1 --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >/dev/null
unpack_tree "$T/out" 1 "$T/u" >"$T/tree"
r=$T/u/rootfs
[ "$(cat "$r/fstype")" = tmpfs ] || fail "not a tmpfs: $(cat "$r/fstype")"
[ "$(cat "$r/small-mount.txt")" = size=1024k ] || fail "/small is not a tmpfs of 1 MiB: $(cat "$r/small-mount.txt")"
[ "$(cat "$r/small.txt")" = "$(printf 'fits\nfull')" ] || fail "size=1m: 512 KiB then 2 MiB gave $(cat "$r/small.txt")"
[ "$(cat "$r/fresh")" = empty ] || fail "a tmpfs starts empty"
ok "tmpfs: writable, size= enforced, fresh"

all_layer_paths "$T/out" "$T/all"
grep -Eq '^(scratch|small|tmp/t)(/|$)' "$T/all" && fail "tmpfs content or stub in a layer: $(grep -E '^(scratch|small|tmp/t)' "$T/all")"
grep -Eq '^(scratch|small|tmp/t) ' "$T/tree" && fail "a tmpfs mount point in the image"
ok "nothing of a tmpfs mount is in the image"

{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=tmpfs,target=/x,size=lots true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 'invalid value for size: lots' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=bind,target=/x,size=1m true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 "unexpected key 'size' for mount type 'bind'" "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
ok "bad sizes are refused"
