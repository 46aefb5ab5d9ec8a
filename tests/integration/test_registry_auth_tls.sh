#!/usr/bin/env bash
# A registry behind TLS (a CA made at test time) and htpasswd basic auth: TLS is verified unless
# --registry-ca or --insecure-registry says otherwise; credentials come from the Docker config
# (auths), REGISTRY_AUTH_FILE and credential helpers; wrong or missing credentials are clear
# 401 errors; no credential ever shows up in output, logs or the store.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
registry_require

USER=kiln-user
PASS='S3cret-Pa55-word!'
htpasswd_make "$T/htpasswd" "$USER" "$PASS"
registry_start secure --tls --htpasswd "$T/htpasswd"
R=127.0.0.1:$REG_PORT
CA=$REG_DIR/tls/ca.pem
B64=$(printf '%s:%s' "$USER" "$PASS" | base64 -w0)
BADB64=$(printf '%s:%s' "$USER" 'wrong-Pa55' | base64 -w0)

mkdir -p "$T/ctx" "$T/empty-cfg" "$T/good-cfg" "$T/bad-cfg" "$T/helper-cfg" "$T/bin"
echo hello >"$T/ctx/hello.txt"
printf 'FROM scratch\nCOPY hello.txt /hello.txt\nUSER 10001\n' >"$T/ctx/Dockerfile"
kbuild -t app:1 --output "type=oci,dest=$T/layout,tar=false" "$T/ctx" >/dev/null
digest=$(top_digest "$T/layout")
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$R" "$B64" >"$T/good-cfg/config.json"
printf '{"auths":{"https://%s/v2/":{"auth":"%s"}}}\n' "$R" "$BADB64" >"$T/bad-cfg/config.json"
echo '{}' >"$T/empty-cfg/config.json"
unset REGISTRY_AUTH_FILE
export DOCKER_CONFIG=$T/empty-cfg

# TLS is verified: the test CA is not trusted by default
expect_fail 1 "push $R/app:1: GET /v2/: .*(certificate|SSL)" "$KILN" push --root "$ROOT" "$T/layout" "$R/app:1"
ok "TLS verified by default: an unknown CA is refused"

expect_fail 1 "push $R/app:1: HEAD blob sha256:[0-9a-f]+: 401 Unauthorized \(no credentials for $R\)" \
  "$KILN" push --root "$ROOT" --registry-ca "$CA" "$T/layout" "$R/app:1"
DOCKER_CONFIG=$T/bad-cfg expect_fail 1 \
  "push $R/app:1: HEAD blob sha256:[0-9a-f]+: 401 Unauthorized \(authenticated with credentials from $T/bad-cfg/config.json\)" \
  "$KILN" push --root "$ROOT" --registry-ca "$CA" "$T/layout" "$R/app:1"
cp "$T/out.log" "$T/bad-creds.log"
ok "no credentials and wrong credentials: 401 errors naming the registry and the source"

got=$(DOCKER_CONFIG=$T/good-cfg "$KILN" push --root "$ROOT" --registry-ca "$CA" "$T/layout" "$R/app:1" 2>"$T/push.log")
[ "$got" = "$digest" ] || { cat "$T/push.log"; fail "push with the docker config's auths: $got"; }
mkdir -p "$T/certs"
cp "$CA" "$T/certs/ca.crt"
remote=$(skopeo inspect --cert-dir "$T/certs" --creds "$USER:$PASS" --raw "docker://$R/app:1" | sha256sum | cut -d' ' -f1)
[ "sha256:$remote" = "$digest" ] || fail "skopeo sees sha256:$remote"
ok "Basic auth from \$DOCKER_CONFIG/config.json auths over verified TLS"

# REGISTRY_AUTH_FILE (containers-auth.json, username/password fields) takes precedence
printf '{"auths":{"%s":{"username":"%s","password":"%s"}}}\n' "$R" "$USER" "$PASS" >"$T/auth.json"
got=$(REGISTRY_AUTH_FILE=$T/auth.json DOCKER_CONFIG=$T/bad-cfg "$KILN" push --root "$ROOT" \
  --registry-ca "$CA" "$T/layout" "$R/app:2" 2>"$T/push2.log")
[ "$got" = "$digest" ] || { cat "$T/push2.log"; fail "push with REGISTRY_AUTH_FILE"; }
ok "REGISTRY_AUTH_FILE"

# a credential helper (credHelpers for this host) answers "get" with the server URL on stdin
cat >"$T/bin/docker-credential-kilntest" <<SH
#!/bin/sh
read -r url
echo "\$1 \$url" >>"$T/helper.calls"
[ "\$url" = "$R" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "$R" "$USER" '$PASS'
SH
chmod +x "$T/bin/docker-credential-kilntest"
printf '{"credHelpers":{"%s":"kilntest"},"auths":{"%s":{"auth":"%s"}}}\n' "$R" "$R" "$BADB64" >"$T/helper-cfg/config.json"
got=$(PATH=$T/bin:$PATH DOCKER_CONFIG=$T/helper-cfg "$KILN" push --root "$ROOT" --registry-ca "$CA" \
  "$T/layout" "$R/app:3" 2>"$T/push3.log")
[ "$got" = "$digest" ] || { cat "$T/push3.log"; fail "push with a credential helper"; }
grep -qx "get $R" "$T/helper.calls" || fail "the helper was not asked"
ok "credHelpers: docker-credential-NAME get"

# kiln pulls it back: FROM over TLS with credentials (build flags), into a fresh store
printf 'FROM %s/app:1\nCOPY hello.txt /again.txt\n' "$R" >"$T/ctx/Dockerfile.pull"
DOCKER_CONFIG=$T/good-cfg "$KILN" build --root "$T/root2" --progress quiet --registry-ca "$CA" \
  -f "$T/ctx/Dockerfile.pull" --output "type=oci,dest=$T/pulled,tar=false" "$T/ctx" >"$T/pull.log" 2>&1 ||
  { cat "$T/pull.log"; fail "FROM over TLS with basic auth"; }
check_layout "$T/pulled"
DOCKER_CONFIG=$T/good-cfg "$KILN" build --root "$T/root3" --progress quiet \
  --insecure-registry "$R" -f "$T/ctx/Dockerfile.pull" "$T/ctx" >"$T/pull2.log" 2>&1 ||
  { cat "$T/pull2.log"; fail "--insecure-registry"; }
DOCKER_CONFIG=$T/good-cfg expect_fail 1 "GET /v2/: .*(certificate|SSL)" "$KILN" build --root "$T/root4" \
  --progress quiet -f "$T/ctx/Dockerfile.pull" "$T/ctx"
ok "FROM $R/app:1 with --registry-ca or --insecure-registry and credentials"

# wrong credentials on pull: a 401 for the manifest, nothing stored, no output
DOCKER_CONFIG=$T/bad-cfg expect_fail 1 "pull $R/app:1: GET manifest: 401 Unauthorized" \
  "$KILN" build --root "$T/root5" --progress quiet --registry-ca "$CA" -f "$T/ctx/Dockerfile.pull" \
  --output "type=oci,dest=$T/never,tar=false" "$T/ctx"
[ ! -e "$T/never" ] || fail "an output was written"
[ -z "$(find "$T/root5/blobs" -type f 2>/dev/null)" ] || fail "something was stored"
ok "wrong credentials on pull: clear error, no image"

# no credential anywhere kiln wrote
for secret in "$PASS" "$B64" "$BADB64" 'wrong-Pa55'; do
  if grep -rqaF -- "$secret" "$T"/*.log "$ROOT" "$T"/root2 "$T"/root3 "$T"/pulled 2>/dev/null; then
    grep -rlaF -- "$secret" "$T"/*.log "$ROOT" "$T"/root2 "$T"/root3 "$T"/pulled >&2
    fail "a credential leaked"
  fi
done
ok "credentials never appear in output, errors or the stores"
