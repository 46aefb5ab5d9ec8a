#!/usr/bin/env bash
# The step cache follows the secret: a RUN that mounts a secret re-runs when the value changes
# and is a hit when it does not (its key holds an HMAC of the value under the store's own
# random key, never the value).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

busybox_context "$T/ctx"
random_secret "$T/tok"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok > /hash
RUN --mount=type=secret,id=tok,env=TOK sh -c 'printf %s "$TOK" | wc -c > /len'
RUN --mount=type=secret,id=opt (test -e /run/secrets/opt && echo yes || echo no) > /opt
RUN echo after > /after
USER app
DF
} >"$T/ctx/Dockerfile"

jb() { # LOG ARGS...
  local log=$1
  shift
  "$KILN" build --root "$ROOT" --progress json "$@" "$T/ctx" >"$log.digest" 2>"$log" ||
    { cat "$log" >&2; fail "build $*"; }
}

jb "$T/l1" --secret "id=tok,src=$T/tok"
[ "$(json_steps "$T/l1")" = "|COPY,RUN,RUN,RUN,RUN" ] || fail "cold: $(json_steps "$T/l1")"
[ -f "$ROOT/cache/secret.key" ] && [ "$(stat -c '%a %s' "$ROOT/cache/secret.key")" = "600 32" ] ||
  fail "the store's secret key: $(stat -c '%a %s' "$ROOT/cache/secret.key" 2>&1)"
ok "a cold build runs every step and creates ROOT/cache/secret.key (32 bytes, 0600)"

jb "$T/l2" --secret "id=tok,src=$T/tok"
[ "$(json_steps "$T/l2")" = "COPY,RUN,RUN,RUN,RUN|" ] || fail "unchanged: $(json_steps "$T/l2")"
cmp -s "$T/l1.digest" "$T/l2.digest" || fail "an unchanged rebuild gives another image"
ok "the same secret value: every step is a cache hit"

random_secret "$T/tok"
jb "$T/l3" --secret "id=tok,src=$T/tok"
[ "$(json_steps "$T/l3")" = "COPY|RUN,RUN,RUN,RUN" ] || fail "changed: $(json_steps "$T/l3")"
ok "a changed value re-runs the steps that mount it (file and env=), and what follows"

TOKVAR=$(cat "$T/tok") jb "$T/l4" --secret "id=tok,env=TOKVAR"
[ "$(json_steps "$T/l4")" = "COPY,RUN,RUN,RUN,RUN|" ] || fail "same value from env: $(json_steps "$T/l4")"
ok "the same value from another source is still a hit (the key is the value's, not the source's)"

echo -n optional-now-given >"$T/opt"
jb "$T/l5" --secret "id=tok,src=$T/tok" --secret "id=opt,src=$T/opt"
[ "$(json_steps "$T/l5")" = "COPY,RUN,RUN|RUN,RUN" ] || fail "optional given: $(json_steps "$T/l5")"
ok "an optional secret that appears re-runs its step"

# a new store has a new key: the same value gives other keys there, and nothing in the step
# cache records or the store names the value
grep -rqF "$(cat "$T/tok")" "$ROOT/cache" && fail "the value is in the cache directory"
ROOT2=$T/root2
"$KILN" build --root "$ROOT2" --progress quiet --secret "id=tok,src=$T/tok" "$T/ctx" >/dev/null 2>&1 || fail "second store"
cmp -s "$ROOT/cache/secret.key" "$ROOT2/cache/secret.key" && fail "two stores share a key"
ok "each store has its own random key"
