#!/usr/bin/env bash
# A build that uses a random secret every way a step legitimately can (file, env=, hashing it,
# even printing it) leaves it nowhere: not in any blob of the output (layers looked into
# uncompressed), not in any file of the --root store (blobs, snapshots, cache records, the
# hash index), not in the log of plain or json progress (step output masks it as ****).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

busybox_context "$T/ctx"
random_secret "$T/tok"
printf 'ignored\n' >"$T/ctx/.dockerignore"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
ARG PUBLIC=1
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -c1-16 > /digest.txt
RUN --mount=type=secret,id=tok,env=TOKEN,target=/etc/tok --mount=type=cache,target=/var/cache/app \
    sh -c 'echo "the token is $TOKEN"; cat /etc/tok; echo; base64 /etc/tok; xxd -p /etc/tok; printf "%s" "$TOKEN" | wc -c > /len.txt; date > /var/cache/app/last'
RUN --mount=type=secret,id=tok,required=true sh -c 'xxd -p /run/secrets/tok; (printf ab; cat /run/secrets/tok) | base64 | tr "+/" "-_"'
FROM base AS other
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /dev/null && echo used > /other.txt
FROM base
COPY --from=1 /digest.txt /len.txt /
COPY --from=other /other.txt /
USER app
DF
} >"$T/ctx/Dockerfile"
cp "$T/ctx/Dockerfile" "$T/Dockerfile"

# the helper itself finds what it looks for
cp "$T/tok" "$T/probe" && { base64 "$T/tok" >>"$T/probe"; }
if python3 "$KILN_SRC/testdata/secrets/secret_grep.py" "$T/tok" "$T/probe" >/dev/null; then
  fail "secret_grep misses a planted secret"
fi
rm "$T/probe"

"$KILN" build --root "$ROOT" --progress plain --secret "id=tok,src=$T/tok" -t app:1 \
  --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/plain.log" 2>&1 || { cat "$T/plain.log" >&2; fail "build"; }
grep -q '#[0-9]* the token is \*\*\*\*' "$T/plain.log" || fail "the echoed secret is not masked: $(grep 'token is' "$T/plain.log")"
ok "a build using a secret succeeds; echoed secrets read **** in the log"

"$KILN" build --root "$ROOT" --progress json --no-cache --secret "id=tok,src=$T/tok" -t app:1 \
  --output "type=oci,dest=$T/out.tar" "$T/ctx" >"$T/json.log" 2>&1 || { cat "$T/json.log" >&2; fail "json build"; }
check_layout "$T/out" 1
ok "the same build with json progress and a tar output"

secret_grep "$T/tok" "$T/out" "$T/out.tar"
ok "no output blob holds the secret (raw, hex, base64 at any alignment; layers uncompressed)"
secret_grep "$T/tok" "$ROOT"
[ "$(stat -c %a "$ROOT/cache/secret.key")" = 600 ] || fail "secret.key mode"
ok "no file of the store holds it (blobs, snapshots, cache records, cache mounts, hash index)"
secret_grep "$T/tok" "$T/plain.log" "$T/json.log"
ok "no log holds it (plain and json progress)"

image_config "$T/out" >"$T/config.json"
grep -q 'run/secrets\|TOKEN=' "$T/config.json" && fail "the config mentions the secret's mount or variable"
unpack_tree "$T/out" 1 "$T/unpacked" >"$T/tree"
[ "$(cat "$T/unpacked/rootfs/len.txt")" = 32 ] || fail "env= value length"
ok "the image works: the steps saw the secret"
