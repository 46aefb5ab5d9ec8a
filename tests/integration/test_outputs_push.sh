#!/usr/bin/env bash
# buildx's push spellings against a loopback registry: --push with -t, --output
# type=image,name=...,push=true, type=registry; --iidfile and --metadata-file name what the
# registry serves.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
registry_require

registry_start plain
R=127.0.0.1:$REG_PORT
mkdir -p "$T/ctx"
printf 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' >"$T/ctx/passwd"
printf 'FROM scratch\nCOPY passwd /etc/passwd\nUSER app\n' >"$T/ctx/Dockerfile"

# remote_digest REF: the digest of the manifest (or index) the registry serves for REF
remote_digest() {
  echo "sha256:$(skopeo inspect --tls-verify=false --raw "docker://$1" | sha256sum | cut -d' ' -f1)"
}

d=$(kbuild --push -t "$R/app:1" --iidfile "$T/push.iid" --metadata-file "$T/push.md" "$T/ctx")
[ "$(remote_digest "$R/app:1")" = "$d" ] || fail "--push: the registry serves $(remote_digest "$R/app:1"), kiln printed $d"
[ "$(cat "$T/push.iid")" = "$d" ] || fail "--push iidfile $(cat "$T/push.iid"), want the index $d"
python3 - "$T/push.md" "$d" "$R/app:1" <<'PY' || fail "metadata: $(cat "$T/push.md")"
import json, sys
md = json.load(open(sys.argv[1]))
assert md["containerimage.digest"] == sys.argv[2]
assert md["image.name"] == sys.argv[3], md["image.name"]
assert md["containerimage.descriptor"]["mediaType"] == "application/vnd.oci.image.index.v1+json"
PY
ok "--push -t REF pushes; the iidfile and metadata file name the index the registry serves"

d=$(kbuild -o "type=image,name=$R/app:2,push=true" "$T/ctx")
[ "$(remote_digest "$R/app:2")" = "$d" ] || fail "type=image,push=true"
d=$(kbuild --no-sbom --no-provenance -o "type=image,name=$R/app:3" --push "$T/ctx")
[ "$(remote_digest "$R/app:3")" = "$d" ] || fail "type=image + --push"
if skopeo inspect --tls-verify=false --raw "docker://$R/app:4" >/dev/null 2>&1; then fail "app:4 exists before"; fi
kbuild -o "type=image,name=$R/app:4" "$T/ctx" >/dev/null
if skopeo inspect --tls-verify=false --raw "docker://$R/app:4" >/dev/null 2>&1; then
  fail "type=image without push=true pushed"
fi
ok "type=image,push=true and type=image with --push push; type=image alone does not"
