#!/usr/bin/env bash
# Every way a step can put a secret into the image fails the build (exit 1, KILN_ELEAK) before
# anything is written: no output, and the layers of the build are gone from the store.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

busybox_context "$T/ctx"
random_secret "$T/tok"

# store_clean: no copy of the secret in the store, cache mounts aside (a step stashed it there
# on purpose in one case below: they are the operator's state, outside every layer)
store_clean() {
  [ -d "$ROOT/cache/mounts" ] && mv "$ROOT/cache/mounts" "$T/mounts.keep"
  secret_grep "$T/tok" "$ROOT"
  [ -d "$T/mounts.keep" ] && mv "$T/mounts.keep" "$ROOT/cache/mounts"
  return 0
}

# leak NAME PATH-REGEX DOCKERFILE-LINES...: the build must fail naming the secret, the layer
# and the path, write no output, leave no copy of the secret in the store, and not print it.
leak() {
  local name=$1 path=$2
  shift 2
  { busybox_dockerfile; printf '%s\n' "$@"; } >"$T/ctx/Dockerfile"
  rm -rf "$T/out"
  expect_fail 1 "secret 'tok' found in layer [0-9]+ \(path $path\)" \
    "$KILN" build --root "$ROOT" --progress plain --allow-root-user --secret "id=tok,src=$T/tok" \
    --output "type=oci,dest=$T/out,tar=false" "$T/ctx"
  no_output "$T/out"
  store_clean
  secret_grep "$T/tok" "$T/out.log"
  ok "leak: $name"
}

leak "cp of the secret into the rootfs" "app/tok" \
  'FROM base' 'RUN --mount=type=secret,id=tok mkdir /app && cp /run/secrets/tok /app/tok'
leak "its base64 in a file" "b64.txt" \
  'FROM base' 'RUN --mount=type=secret,id=tok base64 /run/secrets/tok > /b64.txt'
leak "its base64 at byte offset 1" "b64-1.txt" \
  'FROM base' 'RUN --mount=type=secret,id=tok sh -c "(printf x; cat /run/secrets/tok) | base64 > /b64-1.txt"'
leak "its base64url at byte offset 2" "b64-2.txt" \
  'FROM base' "RUN --mount=type=secret,id=tok sh -c \"(printf xy; cat /run/secrets/tok; printf z) | base64 | tr '+/' '-_' > /b64-2.txt\""
leak "its hex, wrapped over lines (xxd -p)" "hex.txt" \
  'FROM base' 'RUN --mount=type=secret,id=tok xxd -p /run/secrets/tok > /hex.txt'
leak "its uppercase hex" "HEX.txt" \
  'FROM base' "RUN --mount=type=secret,id=tok sh -c \"od -An -tx1 /run/secrets/tok | tr -d ' \\\\n' | tr a-f A-F > /HEX.txt\""
leak "an env= secret dumped with env" "env.txt" \
  'FROM base' 'RUN --mount=type=secret,id=tok,env=TOKEN env > /env.txt'
leak "the secret as a file name (masked in the message)" "names/\\*\\*\\*\\*" \
  'FROM base' 'RUN --mount=type=secret,id=tok mkdir /names && touch "/names/$(cat /run/secrets/tok)"'
leak "the secret as a symlink target" "lnk" \
  'FROM base' 'RUN --mount=type=secret,id=tok ln -s "/x/$(cat /run/secrets/tok)" /lnk'
leak "copied in one stage, COPY --from into the final one" "from-a" \
  'FROM base AS a' 'RUN --mount=type=secret,id=tok cp /run/secrets/tok /from-a' \
  'FROM base' 'COPY --from=a /from-a /from-a'
leak "stashed in a cache mount, copied out by a later step" "stash" \
  'FROM base' 'RUN --mount=type=secret,id=tok --mount=type=cache,target=/cache cp /run/secrets/tok /cache/t' \
  'RUN --mount=type=cache,target=/cache cp /cache/t /stash'

# the layer index counts every layer of the image (1-based): here the third
leak "a later layer is named by its place" "late" \
  'FROM base' 'RUN echo a > /a' 'RUN --mount=type=secret,id=tok cat /run/secrets/tok > /late'
grep -q "found in layer 3 (path late)" "$T/out.log" || fail "layer index: $(tail -1 "$T/out.log")"
ok "the message names the layer by its place in the image"

# a cached leaking layer is found again on the next build, and so is the hit in a cache record
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=secret,id=tok cp /run/secrets/tok /x\n'; } >"$T/ctx/Dockerfile"
for i in 1 2; do
  expect_fail 1 "secret 'tok' found in layer 2 \(path x\)" "$KILN" build --root "$ROOT" --allow-root-user \
    --secret "id=tok,src=$T/tok" --output "type=oci,dest=$T/out,tar=false" "$T/ctx"
  no_output "$T/out"
done
ok "a rebuild finds the leak again (no cache hit hides it)"

# a secret given but never mounted is scanned for too; a clean build passes
{ busybox_dockerfile; printf 'FROM base\nRUN echo clean > /clean\n'; } >"$T/ctx/Dockerfile"
kbuild --allow-root-user --secret "id=tok,src=$T/tok" --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >/dev/null
[ -f "$T/out/index.json" ] || fail "a clean build wrote no output"
ok "a build that does not leak writes its output"

# the attestations are scanned too: a build argument holding the secret's value reaches the
# provenance (in-toto statement), which must not be written
{ busybox_dockerfile; printf 'FROM base\nRUN echo clean > /clean\nUSER app\n'; } >"$T/ctx/Dockerfile"
rm -rf "$T/out"
expect_fail 1 "secret 'tok' found in the attestation https://slsa.dev/provenance/v1" \
  "$KILN" build --root "$ROOT" --secret "id=tok,src=$T/tok" --build-arg "UNUSED=$(cat "$T/tok")" \
  --output "type=oci,dest=$T/out,tar=false" "$T/ctx"
no_output "$T/out"
store_clean
"$KILN" build --root "$ROOT" --progress quiet --no-provenance --secret "id=tok,src=$T/tok" \
  --build-arg "UNUSED=$(cat "$T/tok")" --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >/dev/null 2>&1 ||
  fail "without provenance the argument goes nowhere"
ok "a secret in an attestation (here the provenance's arguments) fails the build, nothing written"
