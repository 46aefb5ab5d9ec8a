#!/usr/bin/env bash
# RUN --mount=type=bind: the context (.dockerignore applied), a stage or a named context;
# read-only by default, rw writes discarded; sources in the step's cache key by content.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

busybox_context "$T/ctx"
mkdir -p "$T/ctx/src/sub" "$T/named"
echo alpha >"$T/ctx/src/a.txt"
echo beta >"$T/ctx/src/sub/b.txt"
chmod 600 "$T/ctx/src/a.txt"
echo 'API_KEY=do-not-ship' >"$T/ctx/src/.env"
printf 'src/.env\n' >"$T/ctx/.dockerignore"
echo named >"$T/named/n.txt"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
WORKDIR /work
RUN --mount=type=bind,source=src,target=mnt sh -c 'cat /work/mnt/a.txt /work/mnt/sub/b.txt > /copied; stat -c "%u:%g %a" /work/mnt/a.txt > /owner; (touch /work/mnt/new 2>/dev/null && echo rw || echo ro) > /ro; (test -e /work/mnt/.env && echo visible || echo hidden) > /ignored'
RUN --mount=type=bind,source=src,target=/rw,rw sh -c 'echo changed > /rw/a.txt && rm /rw/sub/b.txt && cat /rw/a.txt > /rw-copy'
RUN --mount=type=bind,from=base,source=/etc,target=/base-etc grep -c app /base-etc/passwd > /from-stage
RUN --mount=type=bind,from=named,target=/n cat /n/n.txt > /from-named
RUN --mount=type=bind,source=src/a.txt,target=/one.txt cat /one.txt > /file-source
RUN --mount=type=bind,target=/ctx ls /ctx/src > /whole
USER app
DF
} >"$T/ctx/Dockerfile"

jb() { # LOG ARGS...
  local log=$1
  shift
  "$KILN" build --root "$ROOT" --progress json --build-context "named=$T/named" "$@" "$T/ctx" \
    >"$log.digest" 2>"$log" || { cat "$log" >&2; fail "build $*"; }
}

jb "$T/l1" -t b:1 --output "type=oci,dest=$T/out,tar=false"
unpack_tree "$T/out" 1 "$T/u" >"$T/tree"
r=$T/u/rootfs
[ "$(cat "$r/copied")" = "$(printf 'alpha\nbeta')" ] || fail "context bind content"
[ "$(cat "$r/owner")" = "0:0 600" ] || fail "context files are root's, modes kept: $(cat "$r/owner")"
[ "$(cat "$r/ro")" = ro ] || fail "a bind mount is read-only by default"
[ "$(cat "$r/ignored")" = hidden ] || fail ".dockerignore'd file visible in a bind mount"
ok "context bind (relative target under WORKDIR): content, root-owned, read-only, .dockerignore applied"

[ "$(cat "$r/rw-copy")" = changed ] || fail "rw bind write"
[ "$(cat "$T/ctx/src/a.txt")" = alpha ] && [ -f "$T/ctx/src/sub/b.txt" ] || fail "rw bind changed the context"
all_layer_paths "$T/out" "$T/all"
grep -Eq '^(rw|work/mnt|base-etc|n|one\.txt|ctx)(/|$)' "$T/all" && fail "bind content or stub in a layer: $(grep -E '^(rw|work/mnt|base-etc|n/|one|ctx)' "$T/all")"
ok "rw bind: the step writes, the writes are discarded (context untouched, nothing in a layer)"

[ "$(cat "$r/from-stage")" = 1 ] || fail "from=stage"
[ "$(cat "$r/from-named")" = named ] || fail "from=named context"
[ "$(cat "$r/file-source")" = alpha ] || fail "a file source"
grep -qx a.txt "$r/whole" && ! grep -q '\.env' "$r/whole" || fail "the whole context"
ok "bind from a stage, a named context, a single file, the whole context"

jb "$T/l2"
[ "$(json_steps "$T/l2")" = "COPY,RUN,RUN,RUN,RUN,RUN,RUN|" ] || fail "unchanged: $(json_steps "$T/l2")"
touch "$T/ctx/src/sub/b.txt"
echo other >"$T/ctx/src/.env"
jb "$T/l3"
[ "$(json_steps "$T/l3")" = "COPY,RUN,RUN,RUN,RUN,RUN,RUN|" ] || fail "touch or ignored file re-ran: $(json_steps "$T/l3")"
echo gamma >"$T/ctx/src/sub/b.txt"
jb "$T/l4"
[ "$(json_steps "$T/l4")" = "COPY|RUN,RUN,RUN,RUN,RUN,RUN" ] || fail "content change: $(json_steps "$T/l4")"
ok "bind sources are in the cache key by content (a touch or an ignored file is a hit, an edit re-runs)"

{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=bind,source=nope,target=/x true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 'mount source "/nope": not found' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=bind,source=src/.env,target=/x true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 'excluded by .dockerignore' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=bind,source=src,target=/x,mode=0700 true\n'; } >"$T/ctx/Dockerfile.bad"
expect_fail 2 'mode not allowed for "bind" type mounts' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
ok "missing and ignored sources, options a bind mount does not take: refused"
