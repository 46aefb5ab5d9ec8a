#!/usr/bin/env bash
# A secret caught by any stage never reaches the store (issue 13 item 4): every layer of every
# stage is scanned while its step writes it, and a layer taken from the step cache is scanned
# when it is taken. Each attack runs through kiln build and must fail (exit 1); afterwards the
# whole store (--root: blobs decompressed, snapshots, step cache, temp files) holds neither the
# secret nor its hex or base64.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

busybox_context "$T/ctx"
random_secret "$T/tok"
cp "$T/tok" "$T/ctx/token.txt" # a context file that happens to hold the secret's value

# attack NAME PATTERN DOCKERFILE-LINES...: the build fails with PATTERN, writes nothing, leaves
# no copy of the secret in the store, never prints it
attack() {
  local name=$1 pattern=$2
  shift 2
  { busybox_dockerfile; printf '%s\n' "$@"; } >"$T/ctx/Dockerfile"
  rm -rf "$T/out"
  expect_fail 1 "$pattern" "$KILN" build --root "$ROOT" --progress plain --secret "id=tok,src=$T/tok" \
    --output "type=oci,dest=$T/out,tar=false" "$T/ctx"
  no_output "$T/out"
  secret_grep "$T/tok" "$ROOT"
  secret_grep "$T/tok" "$T/out.log"
  ok "$name"
}

attack "an intermediate stage whose leaking file the final stage does not use" \
  "Dockerfile:4: RUN.*secret 'tok' found in layer 2 \(path tmp/oops\)" \
  'FROM base AS build' 'RUN --mount=type=secret,id=tok cp /run/secrets/tok /tmp/oops' \
  'RUN echo artefact > /artefact' 'FROM base' 'COPY --from=build /artefact /artefact' 'USER app'

attack "an intermediate stage whose file the final stage copies" \
  "Dockerfile:4: RUN.*secret 'tok' found in layer 2 \(path oops\)" \
  'FROM base AS build' 'RUN --mount=type=secret,id=tok base64 /run/secrets/tok > /oops' \
  'FROM base' 'COPY --from=build /oops /oops' 'USER app'

attack "an intermediate stage that copies it from the context" \
  "Dockerfile:4: COPY.*secret 'tok' found in layer 2 \(path stash/t\)" \
  'FROM base AS build' 'COPY token.txt /stash/t' 'RUN echo artefact > /artefact' \
  'FROM base' 'COPY --from=build /artefact /artefact' 'USER app'

attack "a stage whose only trace is a file name (masked in the message)" \
  "secret 'tok' found in layer 2 \(path names/\*\*\*\*\)" \
  'FROM base AS build' 'RUN --mount=type=secret,id=tok mkdir /names && touch "/names/$(cat /run/secrets/tok)"' \
  'FROM base' 'RUN --mount=type=bind,from=build,target=/b ls /b >/dev/null' 'USER app'

# A layer made by a build that had no secret is in the store and the step cache; a build that
# has the secret takes it from the cache: it is scanned there, the build fails, and the blob,
# the snapshot and the cache record go.
{
  busybox_dockerfile
  printf 'FROM base AS build\nCOPY token.txt /t\nRUN cat /t >/dev/null && echo used > /u\n'
  printf 'FROM base\nCOPY --from=build /u /u\nUSER app\n'
} >"$T/ctx/Dockerfile"
kbuild --output "type=oci,dest=$T/first,tar=false" "$T/ctx" >/dev/null || fail "the build without a secret"
rm -rf "$T/first"
layer=$(grep -l '"diff_id"' "$ROOT"/cache/steps/* | while read -r f; do
  d=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"][7:])' "$f")
  if gzip -dc "$ROOT/blobs/sha256/$d" | tar -t 2>/dev/null | grep -qx t; then echo "$d"; fi
done)
[ -n "$layer" ] || fail "the first build did not store the COPY layer"
[ -n "$(ls "$ROOT/snapshots")" ] || fail "no snapshot after the first build"
rm -rf "$T/out"
expect_fail 1 "Dockerfile:4: COPY: step cache: secret 'tok' found in layer 2 \(path t\)" \
  "$KILN" build --root "$ROOT" --progress plain --secret "id=tok,src=$T/tok" \
  --output "type=oci,dest=$T/out,tar=false" "$T/ctx"
no_output "$T/out"
[ ! -e "$ROOT/blobs/sha256/$layer" ] || fail "the leaking cached blob is still in the store"
secret_grep "$T/tok" "$ROOT"
ok "a cached layer holding the secret is scanned when taken: the build fails, blob/snapshot/record removed"

# the scan passes clean builds, and the next build no longer finds a record to take
kbuild --secret "id=tok,src=$T/tok" --output "type=oci,dest=$T/out2,tar=false" "$T/ctx" >/dev/null 2>"$T/e" &&
  fail "the leaking COPY was taken from the cache again"
grep -q "Dockerfile:4: COPY: secret 'tok' found in layer 2 (path t)" "$T/e" ||
  { cat "$T/e"; fail "the rebuild did not catch the COPY when it wrote it"; }
secret_grep "$T/tok" "$ROOT"
{
  busybox_dockerfile
  printf 'FROM base AS build\nRUN --mount=type=secret,id=tok sha256sum /run/secrets/tok > /h\n'
  printf 'FROM base\nCOPY --from=build /h /h\nUSER app\n'
} >"$T/ctx/Dockerfile"
kbuild --secret "id=tok,src=$T/tok" --output "type=oci,dest=$T/ok,tar=false" "$T/ctx" >/dev/null ||
  fail "a clean build with a secret"
kbuild --progress json --secret "id=tok,src=$T/tok" --output "type=oci,dest=$T/ok2,tar=false" "$T/ctx" \
  >/dev/null 2>"$T/ok2.json" || fail "the cached rebuild"
steps=$(progress_steps "$T/ok2.json" kinds)
[ "$steps" = "COPY,RUN,COPY|" ] || fail "the rebuild is not cached: $steps"
secret_grep "$T/tok" "$ROOT" "$T/ok" "$T/ok2"
ok "clean builds with a secret pass, cached rebuilds too, and the secret is nowhere"
