#!/usr/bin/env bash
# Secrets and registries: nothing holding a secret leaves the machine. A layer of an
# intermediate stage (not in the image) would be pushed by --cache-to: it is scanned when it is
# written, and a leak pushes nothing; a leaking image is not pushed by --output type=registry; a clean build with
# a secret pushes an image and a cache in which the secret is nowhere.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"
registry_require
registry_start secrets
R=127.0.0.1:$REG_PORT

busybox_context "$T/ctx"
random_secret "$T/tok"
{ busybox_dockerfile; cat <<'DF'; } >"$T/ctx/Dockerfile"
FROM base AS build
RUN --mount=type=secret,id=tok cp /run/secrets/tok /tmp/oops
RUN echo artefact > /artefact
FROM base
COPY --from=build /artefact /artefact
USER app
DF

# the image itself would be clean, but the intermediate layer is scanned when it is written: the
# build fails and the layer never reaches the store (issue 13 item 4)
expect_fail 1 "Dockerfile:4: RUN.*secret 'tok' found in layer 2 \(path tmp/oops\)" \
  "$KILN" build --root "$ROOT" --secret "id=tok,src=$T/tok" --output "type=oci,dest=$T/local,tar=false" "$T/ctx"
no_output "$T/local"
secret_grep "$T/tok" "$ROOT"
ok "an intermediate stage's layer holding the secret fails the build, though the image would not hold it"

expect_fail 1 "Dockerfile:4: RUN.*secret 'tok' found in layer 2 \(path tmp/oops\)" \
  "$KILN" build --root "$ROOT" --secret "id=tok,src=$T/tok" \
  --cache-to "type=registry,ref=$R/app:cache,mode=max" --output "type=oci,dest=$T/out,tar=false" "$T/ctx"
no_output "$T/out"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$R/v2/app/manifests/cache")
[ "$code" = 404 ] || fail "the cache was pushed anyway (HTTP $code)"
secret_grep "$T/tok" "$REG_DIR/data"
ok "--cache-to: the intermediate layer is scanned, the leak fails the build, nothing is pushed"

{ busybox_dockerfile; cat <<'DF'; } >"$T/ctx/Dockerfile"
FROM base
RUN --mount=type=secret,id=tok cp /run/secrets/tok /oops
USER app
DF
expect_fail 1 "secret 'tok' found in layer 2 \(path oops\)" \
  "$KILN" build --root "$ROOT" --secret "id=tok,src=$T/tok" -t "$R/app:leak" --output type=registry "$T/ctx"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$R/v2/app/manifests/leak")
[ "$code" = 404 ] || fail "the leaking image was pushed (HTTP $code)"
secret_grep "$T/tok" "$REG_DIR/data"
ok "--output type=registry: a leaking image is not pushed"

{ busybox_dockerfile; cat <<'DF'; } >"$T/ctx/Dockerfile"
FROM base
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok > /hash
USER app
DF
"$KILN" build --root "$ROOT" --progress quiet --secret "id=tok,src=$T/tok" -t "$R/app:ok" --output type=registry \
  --cache-to "type=registry,ref=$R/app:cache2,mode=max" "$T/ctx" >/dev/null 2>"$T/push.log" ||
  { cat "$T/push.log"; fail "a clean push"; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$R/v2/app/manifests/ok")
[ "$code" = 200 ] || fail "the clean image is not in the registry (HTTP $code)"
secret_grep "$T/tok" "$REG_DIR/data" "$T/push.log"
ok "a clean build with a secret pushes its image and cache, and the secret is nowhere in the registry"
