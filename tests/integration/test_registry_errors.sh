#!/usr/bin/env bash
# Failures: a blob tampered on the registry's disk or in transit is KILN_ECORRUPT (exit 2) and
# nothing unverified is named in the store; a connection cut mid-blob resumes with a Range
# request; 503s are retried; an unreachable registry and unknown tags are clear errors with no
# image written.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
registry_require

registry_start errs
R=127.0.0.1:$REG_PORT
mkdir -p "$T/ctx"
head -c 200000 /dev/urandom >"$T/ctx/big.bin"
echo app >"$T/ctx/app.txt"
printf 'FROM scratch\nCOPY big.bin /big.bin\nUSER 10001\n' >"$T/ctx/Dockerfile.base"
kbuild -f "$T/ctx/Dockerfile.base" --output "type=registry,name=$R/base:1" "$T/ctx" >/dev/null
layer=$(skopeo inspect --tls-verify=false "docker://$R/base:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Layers"][0])')
printf 'FROM %s/base:1\nCOPY app.txt /app.txt\n' "$R" >"$T/ctx/Dockerfile"

# a connection cut halfway through each blob: the download resumes where it stopped
proxy_start cut "$REG_PORT" --cut-blobs
printf 'FROM 127.0.0.1:%s/base:1\nCOPY app.txt /app.txt\n' "$PROXY_PORT" >"$T/ctx/Dockerfile.cut"
"$KILN" build --root "$T/root-cut" --progress quiet -f "$T/ctx/Dockerfile.cut" "$T/ctx" >/dev/null 2>"$T/cut.log" ||
  { cat "$T/cut.log" "$T/proxy-cut.log"; fail "no resume after a cut"; }
grep -q "^CUT /v2/base/blobs/$layer" "$T/proxy-cut.log" || { cat "$T/proxy-cut.log"; fail "the proxy did not cut"; }
grep -Eq "^GET /v2/base/blobs/$layer range=bytes=[1-9][0-9]*- -> 206" "$T/proxy-cut.log" ||
  { cat "$T/proxy-cut.log"; fail "no Range request"; }
[ -f "$T/root-cut/blobs/sha256/${layer#sha256:}" ] || fail "the resumed layer is not stored"
ok "a download cut halfway resumes with a Range request and verifies"

# 503s are retried with backoff
proxy_start flaky "$REG_PORT" --fail 2
printf 'FROM 127.0.0.1:%s/base:1\n' "$PROXY_PORT" >"$T/ctx/Dockerfile.flaky"
"$KILN" build --root "$T/root-flaky" --progress quiet -f "$T/ctx/Dockerfile.flaky" "$T/ctx" >/dev/null 2>"$T/flaky.log" ||
  { cat "$T/flaky.log"; fail "503 not retried"; }
[ "$(grep -c -- '-> 503 (injected)' "$T/proxy-flaky.log")" = 2 ] || { cat "$T/proxy-flaky.log"; fail "503s"; }
ok "503 Service Unavailable is retried"

# a byte flipped in transit
proxy_start flip "$REG_PORT" --flip-blobs
printf 'FROM 127.0.0.1:%s/base:1\nCOPY app.txt /app.txt\n' "$PROXY_PORT" >"$T/ctx/Dockerfile.flip"
expect_fail 2 "pull 127.0.0.1:$PROXY_PORT/base:1: blob sha256:[0-9a-f]{64} has digest sha256:" \
  "$KILN" build --root "$T/root-flip" --progress quiet -f "$T/ctx/Dockerfile.flip" \
  --output "type=oci,dest=$T/out-flip,tar=false" "$T/ctx"
[ ! -e "$T/out-flip" ] || fail "an image was written"
[ -z "$(find "$T/root-flip/blobs" -type f -name "${layer#sha256:}")" ] || fail "a corrupt blob was stored"
[ -z "$(find "$T/root-flip/tmp" -mindepth 1 2>/dev/null)" ] || fail "temporary files left"
ok "a byte flipped in transit: digest mismatch (exit 2), no image, nothing stored under the digest"

# a blob tampered on the registry's disk
data=$(blob_path "$layer")
[ -f "$data" ] || fail "no blob file at $data"
cp "$data" "$T/blob.orig"
# the byte at 1000 inverted (writing a fixed byte left the blob unchanged when it was that byte
# already: one random layer in 256)
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(1000); b = f.read(1); f.seek(1000); f.write(bytes([b[0] ^ 0xFF]))' "$data"
cmp -s "$data" "$T/blob.orig" && fail "the blob was not changed"
expect_fail 2 "pull $R/base:1: blob $layer has digest sha256:" \
  "$KILN" build --root "$T/root-tamper" --progress quiet --output "type=oci,dest=$T/out-tamper,tar=false" "$T/ctx"
[ ! -e "$T/out-tamper" ] || fail "an image was written"
for f in $(find "$T/root-tamper/blobs/sha256" -type f); do
  [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || fail "unverified content in the store: $f"
done
[ ! -e "$T/root-tamper/blobs/sha256/${layer#sha256:}" ] || fail "the tampered layer was stored"
cp "$T/blob.orig" "$data"
ok "a blob tampered on the registry's disk: digest mismatch (exit 2), no image"

# a truncated blob on disk: the registry serves fewer bytes than the descriptor says
head -c 1000 "$T/blob.orig" >"$data"
rc=0
"$KILN" build --root "$T/root-trunc" --progress quiet "$T/ctx" >"$T/trunc.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a truncated blob was accepted"
grep -Eq "pull $R/base:1: (GET blob $layer|blob $layer)" "$T/trunc.log" || { cat "$T/trunc.log"; fail "truncated blob message"; }
[ ! -e "$T/root-trunc/blobs/sha256/${layer#sha256:}" ] || fail "the truncated layer was stored"
cp "$T/blob.orig" "$data"
ok "a truncated blob is refused"

# unreachable registry, unknown repository and tag
port=$(free_port)
printf 'FROM 127.0.0.1:%s/base:1\n' "$port" >"$T/ctx/Dockerfile.down"
expect_fail 1 "Dockerfile.down:1: FROM: pull 127.0.0.1:$port/base:1: GET /v2/: .*(onnect|refused)" \
  "$KILN" build --root "$T/root-x" --progress quiet -f "$T/ctx/Dockerfile.down" --output "type=oci,dest=$T/out-down,tar=false" "$T/ctx"
[ ! -e "$T/out-down" ] || fail "an image was written"
expect_fail 1 "push 127.0.0.1:$port/app:1: GET /v2/: .*(onnect|refused)" \
  "$KILN" build --root "$T/root-x" --progress quiet -f "$T/ctx/Dockerfile.base" --output "type=registry,name=127.0.0.1:$port/app:1" "$T/ctx"
printf 'FROM %s/base:nope\n' "$R" >"$T/ctx/Dockerfile.nope"
expect_fail 1 "pull $R/base:nope: GET manifest: 404 Not Found: MANIFEST_UNKNOWN" \
  "$KILN" build --root "$T/root-x" --progress quiet -f "$T/ctx/Dockerfile.nope" "$T/ctx"
printf 'FROM %s/nobody/home:1\n' "$R" >"$T/ctx/Dockerfile.norepo"
expect_fail 1 "pull $R/nobody/home:1: GET manifest: 404 Not Found" \
  "$KILN" build --root "$T/root-x" --progress quiet -f "$T/ctx/Dockerfile.norepo" "$T/ctx"
expect_fail 2 "invalid reference format" "$KILN" push --root "$ROOT" "$T/ctx" "$R/UPPER:1"
expect_fail 2 "layout '$T/ctx'" "$KILN" push --root "$ROOT" "$T/ctx" "$R/app:1"
ok "unreachable registry, unknown tag or repository, bad reference: clear errors, no image"
