#!/usr/bin/env bash
# Independent work of different stages runs at the same time (issue 12 item 7): two RUN steps
# meet through a shared cache mount, each waiting (at most 20 s) for the other's marker, so the
# build fails unless both steps run at once.
#   1. the final stage's own RUN and the RUN of a stage it copies from later (BuildKit runs them
#      together: only the COPY --from needs the other stage; kiln used to build the whole other
#      stage before the final stage's first step);
#   2. two stages the final stage copies from.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

# rendezvous ME OTHER: a RUN that leaves its marker in the shared cache and waits for the other's
meet() {
  printf 'RUN --mount=type=cache,id=%s,target=/meet,sharing=shared ' "$id"
  printf 'touch /meet/%s; i=0; while [ ! -e /meet/%s ]; do i=$((i+1)); [ $i -lt 200 ] || { echo "%s: %s never came"; exit 1; }; sleep 0.1; done\n' "$1" "$2" "$1" "$2"
}

busybox_context "$T/ctx"
id=meet-$$-$RANDOM
{
  busybox_dockerfile
  printf 'FROM base AS build\n'
  meet build final
  printf 'RUN echo built >/out\n'
  printf 'FROM base\n'
  meet final build
  printf 'COPY --from=build /out /out\nUSER app\n'
} >"$T/ctx/Dockerfile"
timeout 120 "$KILN" build --root "$ROOT" --progress plain -t ov:1 --output "type=oci,dest=$T/o1,tar=false" \
  "$T/ctx" >"$T/d1" 2>"$T/e1" || { tail -20 "$T/e1"; fail "the final stage's RUN did not run beside the build stage's"; }
unpack_tree "$T/o1" 1 "$T/u1" >/dev/null
[ "$(cat "$T/u1/rootfs/out")" = built ] || fail "COPY --from=build after the overlap"
ok "the final stage's own RUN runs while a stage it copies from later is built"

id=meet-$$-$RANDOM
{
  busybox_dockerfile
  printf 'FROM base AS a\n'
  meet a b
  printf 'RUN echo a >/a\nFROM base AS b\n'
  meet b a
  printf 'RUN echo b >/b\nFROM base\nCOPY --from=a /a /a\nCOPY --from=b /b /b\nUSER app\n'
} >"$T/ctx/Dockerfile"
timeout 120 "$KILN" build --root "$ROOT" --progress plain -t ov:1 --output "type=oci,dest=$T/o2,tar=false" \
  "$T/ctx" >"$T/d2" 2>"$T/e2" || { tail -20 "$T/e2"; fail "two independent stages did not run at once"; }
unpack_tree "$T/o2" 1 "$T/u2" >/dev/null
[ "$(cat "$T/u2/rootfs/a")$(cat "$T/u2/rootfs/b")" = ab ] || fail "the final stage misses a stage's output"
ok "two stages the final stage copies from run at the same time"

# A failing stage that the final stage waits for: its error is the one reported.
{
  busybox_dockerfile
  printf 'FROM base AS broken\nRUN sleep 1; echo broken-stage-failed; exit 3\n'
  printf 'FROM base\nRUN echo own step\nCOPY --from=broken /x /x\nUSER app\n'
} >"$T/ctx/Dockerfile"
expect_fail 1 "^kiln: Dockerfile:4: RUN sleep 1; echo broken-stage-failed; exit 3: exit code 3" \
  timeout 120 "$KILN" build --root "$ROOT" --progress plain "$T/ctx"
ok "a failed stage that a later COPY --from needed is the error reported"
