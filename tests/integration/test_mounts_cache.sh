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

all_layer_paths "$T/out" "$T/all"
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

# sharing=locked and sharing=private, between two builds on one store (whether kiln runs stages
# in parallel or not). Build A's step holds the cache for 4 s; build B starts only once A's step
# is inside (the test sees A's mark in the cache directory on the host) and while A still runs,
# so the two steps would overlap if nothing kept them apart.
# two_builds ID SHARING STEP-A STEP-B: the steps' /seen files in $T/ID-a and $T/ID-b, build B's
# json progress in $T/ID-b.log
two_builds() {
  local id=$1 sharing=$2 x dir pa i
  dir="$ROOT/cache/mounts/$(printf %s "$id" | sha256sum | cut -d' ' -f1)"
  for x in a b; do
    {
      busybox_dockerfile
      printf 'FROM base\nRUN --mount=type=cache,id=%s,target=/c,sharing=%s sh -c "%s"\nUSER app\n' \
        "$id" "$sharing" "$([ $x = a ] && echo "$3" || echo "$4")"
    } >"$T/ctx/Dockerfile.$id-$x"
  done
  "$KILN" build --root "$ROOT" --progress json -t "$id-a:1" -f "$T/ctx/Dockerfile.$id-a" \
    --output "type=oci,dest=$T/o-$id-a,tar=false" "$T/ctx" >/dev/null 2>"$T/$id-a.log" &
  pa=$!
  for i in $(seq 100); do [ -e "$dir/mark-a" ] && break; sleep 0.1; done
  [ -e "$dir/mark-a" ] || { cat "$T/$id-a.log"; fail "$id: build A's step never reached the cache"; }
  "$KILN" build --root "$ROOT" --progress json -t "$id-b:1" -f "$T/ctx/Dockerfile.$id-b" \
    --output "type=oci,dest=$T/o-$id-b,tar=false" "$T/ctx" >/dev/null 2>"$T/$id-b.log" &
  kill -0 "$pa" 2>/dev/null || fail "$id: build A ended before build B started"
  wait "$pa" || { cat "$T/$id-a.log"; fail "$id: build A"; }
  wait $! || { cat "$T/$id-b.log"; fail "$id: build B"; }
  for x in a b; do
    unpack_tree "$T/o-$id-$x" 1 "$T/u-$id-$x" >/dev/null
    cp "$T/u-$id-$x/rootfs/seen" "$T/$id-$x"
  done
}
# run_seconds LOG: how long the RUN step of a json progress log took
run_seconds() {
  python3 -c 'import json,sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
run = [e["id"] for e in ev if e["event"] == "step" and "] RUN " in e["name"]]
print([e["seconds"] for e in ev if e["event"] == "done" and e["id"] in run][0])' "$1"
}

# locked: B's step waits until A's is done (it sees A's last word, and took the wait)
two_builds lk locked 'echo in > /c/mark-a; sleep 4; echo done > /c/state; echo a > /seen' \
  'cat /c/state > /seen'
[ "$(cat "$T/lk-b")" = done ] || fail "locked: B's step ran while A's held the cache: $(cat "$T/lk-b")"
python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 1.0)' "$(run_seconds "$T/lk-b.log")" ||
  fail "locked: B's step took $(run_seconds "$T/lk-b.log") s: it did not wait for the lock"
ok "sharing=locked: a step waits for the one holding the cache"

# private: B's step does not wait, and gets a directory of its own (discarded afterwards)
two_builds pv private 'echo a > /c/mark-a; sleep 4; ls /c > /seen' 'echo b > /c/mark-b; ls /c > /seen'
[ "$(cat "$T/pv-a")" = mark-a ] || fail "private: A saw $(cat "$T/pv-a")"
[ "$(cat "$T/pv-b")" = mark-b ] || fail "private: B saw $(cat "$T/pv-b"), not only its own file"
python3 -c 'import sys; sys.exit(float(sys.argv[1]) >= 3.0)' "$(run_seconds "$T/pv-b.log")" ||
  fail "private: B's step waited $(run_seconds "$T/pv-b.log") s for A's"
ok "sharing=private: a busy cache gives the other step a directory of its own, without waiting"

{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=cache,target=/c,sharing=bogus true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 'unsupported sharing value "bogus"' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=cache true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 'requires a target' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
ok "bad cache mounts are refused"

[ -n "$(ls -A "$ROOT/cache/mounts")" ] || fail "no cache mounts to prune in $ROOT/cache/mounts"
"$KILN" prune --root "$ROOT" --all >/dev/null 2>&1 || fail "prune --all"
[ -z "$(ls -A "$ROOT/cache/mounts" 2>/dev/null)" ] || fail "prune --all left cache mounts: $(ls "$ROOT/cache/mounts")"
ok "kiln prune --all removes the cache mounts"
