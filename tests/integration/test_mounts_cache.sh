#!/usr/bin/env bash
# RUN --mount=type=cache: kept in the store across builds, never in a layer, not in the step's
# cache key; id, mode/uid/gid, ro, from=, sharing=locked and private.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

busybox_context "$T/ctx"
mkdir -p "$T/ctx/rootfs/seed" && echo seeded >"$T/ctx/rootfs/seed/s.txt"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN --mount=type=cache,target=/var/cache/app sh -c 'echo run >> /var/cache/app/log; wc -l < /var/cache/app/log > /count'
RUN --mount=type=cache,id=shared-id,target=/a sh -c 'echo from-a > /a/f'
RUN --mount=type=cache,id=shared-id,target=/b,ro sh -c 'cat /b/f > /b.txt; (touch /b/g 2>/dev/null && echo rw || echo ro) > /ro.txt'
RUN --mount=type=cache,id=owned,target=/o,uid=10001,gid=10001,mode=0750 stat -c '%a %u %g' /o > /owned.txt
RUN --mount=type=cache,target=/seeded,from=base,source=/seed cat /seeded/s.txt > /seeded.txt
ARG CDIR=/var/cache/arg
RUN --mount=type=cache,target=${CDIR},id=${CDIR}-id sh -c 'echo v > /var/cache/arg/v && echo "$CDIR" > /arg.txt'
USER app
RUN --mount=type=cache,id=owned,target=/o,uid=10001,gid=10001 sh -c 'echo app > /o/app && echo ok > /tmp/app-wrote'
DF
} >"$T/ctx/Dockerfile"

kbuild -t c:1 --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >/dev/null
unpack_tree "$T/out" 1 "$T/u1" >"$T/tree"
r=$T/u1/rootfs
[ "$(cat "$r/count")" = 1 ] || fail "first build count $(cat "$r/count")"
[ "$(cat "$r/b.txt")" = from-a ] || fail "the same id under another target"
[ "$(cat "$r/ro.txt")" = ro ] || fail "ro cache mount was writable"
[ "$(cat "$r/owned.txt")" = "750 10001 10001" ] || fail "mode/uid/gid: $(cat "$r/owned.txt")"
[ "$(cat "$r/seeded.txt")" = seeded ] || fail "from= seed"
[ "$(cat "$r/tmp/app-wrote")" = ok ] || fail "USER app writes the cache it owns"
[ -f "$ROOT/cache/mounts/$(printf %s /var/cache/arg-id | sha256sum | cut -d' ' -f1)/v" ] || fail "variables in mount options"
ok "cache mounts: id shared across targets, ro, mode/uid/gid, from= seed, a non-root user, \${VAR} in options"

for n in $(seq 1 "$(layer_count "$T/out")"); do layer_list "$T/out" "$n"; done >"$T/all"
grep -Eq '^(var/cache|a|b|o|seeded)/' "$T/all" && fail "cache content in a layer: $(grep -E '^(var/cache|a/|b/|o/|seeded/)' "$T/all")"
grep -Eq '^(var/cache|a|b|o|seeded)( |/)' "$T/tree" && fail "a cache mount point in the image"
ok "nothing of a cache mount (content or mount point) is in any layer"

id_dir="$ROOT/cache/mounts/$(printf %s /var/cache/app | sha256sum | cut -d' ' -f1)"
[ "$(cat "$id_dir/log")" = run ] || fail "cache directory $id_dir"
ok "the cache lives in ROOT/cache/mounts/<sha256 of id> (the id defaults to the target)"

echo extra >>"$id_dir/log"
"$KILN" build --root "$ROOT" --progress json "$T/ctx" >/dev/null 2>"$T/l2" || { cat "$T/l2" >&2; fail "rebuild"; }
[ "$(json_steps "$T/l2")" = "COPY,RUN,RUN,RUN,RUN,RUN,RUN,RUN|" ] || fail "cache content changed the key: $(json_steps "$T/l2")"
ok "a cache mount's content is not in the step's cache key"

kbuild -t c:1 --no-cache --output "type=oci,dest=$T/out2,tar=false" "$T/ctx" >/dev/null
unpack_tree "$T/out2" 1 "$T/u2" >/dev/null
[ "$(cat "$T/u2/rootfs/count")" = 3 ] || fail "second build count $(cat "$T/u2/rootfs/count")"
ok "a cache mount survives between builds"

# locked: two parallel stages take turns (each fails if it sees the other inside)
# private: a busy cache gives the second user a fresh directory
{
  busybox_dockerfile
  cat <<'DF'
FROM base AS one
RUN --mount=type=cache,id=lk,target=/c,sharing=locked sh -c 'mkdir /c/inside && sleep 1 && rmdir /c/inside && echo one >> /c/order'
FROM base AS two
RUN --mount=type=cache,id=lk,target=/c,sharing=locked sh -c 'mkdir /c/inside && sleep 1 && rmdir /c/inside && echo two >> /c/order'
FROM base
COPY --from=one /etc/passwd /one
COPY --from=two /etc/passwd /two
USER app
DF
} >"$T/ctx/Dockerfile.locked"
kbuild -f "$T/ctx/Dockerfile.locked" "$T/ctx" >/dev/null
lk="$ROOT/cache/mounts/$(printf %s lk | sha256sum | cut -d' ' -f1)"
[ "$(sort "$lk/order" | tr '\n' ' ')" = "one two " ] || fail "locked: $(cat "$lk/order")"
ok "sharing=locked: parallel steps on one cache take turns"

private_test() {
  {
    busybox_dockerfile
    cat <<'DF'
FROM base AS one
RUN --mount=type=cache,id=pv,target=/c,sharing=private sh -c 'echo one > /c/mark; sleep 2; ls /c > /seen'
FROM base AS two
RUN --mount=type=cache,id=pv,target=/c,sharing=private sh -c 'sleep 0.5; echo two > /c/mark2; sleep 2; ls /c > /seen'
FROM base
COPY --from=one /seen /one
COPY --from=two /seen /two
USER app
DF
  } >"$T/ctx/Dockerfile.private"
  kbuild -t p:1 -f "$T/ctx/Dockerfile.private" --output "type=oci,dest=$T/outp,tar=false" "$T/ctx" >/dev/null
  unpack_tree "$T/outp" 1 "$T/up" >/dev/null
  local seen
  seen="$(cat "$T/up/rootfs/one") / $(cat "$T/up/rootfs/two")"
  case "$seen" in
    "mark / mark2" | "mark2 / mark") ;;
    *) fail "private: each step should see only its own file: $seen" ;;
  esac
  ok "sharing=private: a busy cache gives the other step a directory of its own"
}
if [ "$(nproc)" -ge 2 ]; then
  private_test
else
  ok "sharing=private: skipped (one core: stages do not run at the same time)"
fi

{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=cache,target=/c,sharing=bogus true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 'unsupported sharing value "bogus"' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=cache true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 'requires a target' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
ok "bad cache mounts are refused"

"$KILN" prune --root "$ROOT" --all >/dev/null 2>&1 || fail "prune --all"
[ -z "$(ls -A "$ROOT/cache/mounts" 2>/dev/null)" ] || fail "prune --all left cache mounts: $(ls "$ROOT/cache/mounts")"
ok "kiln prune --all removes the cache mounts"
