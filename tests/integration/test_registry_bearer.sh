#!/usr/bin/env bash
# Bearer tokens (the Docker token protocol): a proxy in front of a loopback registry answers
# with a Bearer challenge, issues tokens for Basic credentials per repository scope and checks
# them; kiln gets tokens with the right scopes (pull, pull+push, pull on a mount source), fails
# clearly with wrong credentials, and leaks no credential or token.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
registry_require

USER=tok-user
PASS='T0ken-Pass-xyz'
registry_start backend
proxy_start bearer "$REG_PORT" --bearer "$USER:$PASS"
R=127.0.0.1:$PROXY_PORT
LOG=$T/proxy-bearer.log
mkdir -p "$T/cfg" "$T/badcfg" "$T/nocfg" "$T/ctx"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$R" "$(printf '%s:%s' "$USER" "$PASS" | base64 -w0)" >"$T/cfg/config.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$R" "$(printf '%s:%s' "$USER" nope | base64 -w0)" >"$T/badcfg/config.json"
echo '{}' >"$T/nocfg/config.json"
unset REGISTRY_AUTH_FILE
export DOCKER_CONFIG=$T/cfg

echo base >"$T/ctx/base.txt"
echo app >"$T/ctx/app.txt"
printf 'FROM scratch\nCOPY base.txt /base.txt\nUSER 10001\n' >"$T/ctx/Dockerfile.base"
base=$(kbuild -f "$T/ctx/Dockerfile.base" --output "type=registry,name=$R/team/base:1" "$T/ctx")
grep -q "GET /token scopes=repository:team/base:pull,push -> 200" "$LOG" || { cat "$LOG"; fail "push token scope"; }
remote=$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$REG_PORT/team/base:1" | sha256sum | cut -d' ' -f1)
[ "sha256:$remote" = "$base" ] || fail "pushed digest"
ok "push with a Bearer token scoped repository:team/base:pull,push"

printf 'FROM %s/team/base:1\nCOPY app.txt /app.txt\n' "$R" >"$T/ctx/Dockerfile.app"
: >"$LOG"
"$KILN" build --root "$T/root2" --progress plain -f "$T/ctx/Dockerfile.app" \
  --output "type=registry,name=$R/team/app:1" "$T/ctx" >"$T/app.digest" 2>"$T/app.log" ||
  { cat "$T/app.log"; fail "pull then push through bearer auth"; }
grep -q "GET /token scopes=repository:team/base:pull -> 200" "$LOG" || { cat "$LOG"; fail "pull scope"; }
grep -q "GET /token scopes=repository:team/app:pull,push,repository:team/base:pull -> 200" "$LOG" ||
  { cat "$LOG"; fail "push scope with the mount source"; }
grep -q "POST /v2/team/app/blobs/uploads/?mount -> 201" "$LOG" || { cat "$LOG"; fail "no mount"; }
grep -q "2 mounted" "$T/app.log" || { cat "$T/app.log"; fail "mount count"; }
ok "FROM through a pull token; the push token also covers the mount source; the layer is mounted"

DOCKER_CONFIG=$T/badcfg expect_fail 1 "pull $R/team/base:1: registry 127.0.0.1:$PROXY_PORT: GET token: 401 Unauthorized" \
  "$KILN" build --root "$T/root3" --progress quiet -f "$T/ctx/Dockerfile.app" "$T/ctx"
cp "$T/out.log" "$T/bad.log"
kbuild -f "$T/ctx/Dockerfile.base" --output "type=oci,dest=$T/layout,tar=false" "$T/ctx" >/dev/null
DOCKER_CONFIG=$T/nocfg expect_fail 1 "push $R/team/x:1: registry 127.0.0.1:$PROXY_PORT: GET token: 401 Unauthorized \(no credentials for $R\)" \
  "$KILN" push --root "$ROOT" "$T/layout" "$R/team/x:1"
cp "$T/out.log" "$T/none.log"
[ -z "$(find "$T/root3/blobs" -type f 2>/dev/null)" ] || fail "something was stored"
ok "wrong or missing credentials: the token endpoint's 401, clearly"

# anonymous tokens (as Docker Hub gives for public images): pull works, push is refused
proxy_start anon "$REG_PORT" --bearer "$USER:$PASS" --anonymous
A=127.0.0.1:$PROXY_PORT
printf 'FROM %s/team/base:1\nCOPY app.txt /app.txt\n' "$A" >"$T/ctx/Dockerfile.anon"
DOCKER_CONFIG=$T/nocfg "$KILN" build --root "$T/root4" --progress quiet -f "$T/ctx/Dockerfile.anon" "$T/ctx" \
  >/dev/null 2>"$T/anon.log" || { cat "$T/anon.log"; fail "anonymous pull"; }
grep -q "GET /token anonymous" "$T/proxy-anon.log" || fail "no anonymous token"
DOCKER_CONFIG=$T/nocfg expect_fail 1 "push $A/team/y:1: POST blob upload: 401 Unauthorized: UNAUTHORIZED: authentication required \(no credentials for $A\)" \
  "$KILN" push --root "$ROOT" "$T/layout" "$A/team/y:1"
ok "anonymous Bearer tokens: pull works, push is a clear 401"

# an identity token (docker login with a token): the OAuth2 refresh-token grant
RT='refresh-Tok-3141'
proxy_start oauth "$REG_PORT" --bearer "$USER:$PASS" --refresh-token "$RT"
O=127.0.0.1:$PROXY_PORT
mkdir -p "$T/rtcfg"
printf '{"auths":{"%s":{"identitytoken":"%s"}}}\n' "$O" "$RT" >"$T/rtcfg/config.json"
got=$(DOCKER_CONFIG=$T/rtcfg "$KILN" push --root "$ROOT" "$T/layout" "$O/team/rt:1" 2>"$T/rt.log") ||
  { cat "$T/rt.log" "$T/proxy-oauth.log"; fail "push with an identity token"; }
grep -q "POST /token scope=repository:team/rt:pull,push -> 200" "$T/proxy-oauth.log" || { cat "$T/proxy-oauth.log"; fail "refresh grant"; }
ok "identity tokens: the refresh-token grant"

# tokens that expire in the middle of a push: kiln gets a new one and goes on
proxy_start expiring "$REG_PORT" --bearer "$USER:$PASS" --expire 3
X=127.0.0.1:$PROXY_PORT
mkdir -p "$T/xcfg"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$X" "$(printf '%s:%s' "$USER" "$PASS" | base64 -w0)" >"$T/xcfg/config.json"
got=$(DOCKER_CONFIG=$T/xcfg "$KILN" push --root "$ROOT" "$T/layout" "$X/team/exp:1" 2>"$T/exp.log") ||
  { cat "$T/exp.log" "$T/proxy-expiring.log"; fail "push with expiring tokens"; }
[ "$(grep -c "GET /token scopes" "$T/proxy-expiring.log")" -ge 2 ] || { cat "$T/proxy-expiring.log"; fail "no new token"; }
ok "an expired token (invalid_token) is replaced"

for secret in "$RT" "$PASS" "$(printf '%s:%s' "$USER" "$PASS" | base64 -w0)" "tok-"; do
  if grep -rqaF -- "$secret" "$T/app.log" "$T/bad.log" "$T/none.log" "$T/rt.log" "$T/exp.log" "$T/app.digest" "$ROOT" "$T/root2" "$T/root3"; then
    fail "a credential or token leaked: $secret"
  fi
done
ok "no credential or token in output or the stores"
