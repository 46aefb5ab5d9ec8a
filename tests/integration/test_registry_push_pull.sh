#!/usr/bin/env bash
# Push images built by kiln to a loopback docker-registry and pull them back with skopeo and with
# kiln (FROM 127.0.0.1:PORT/repo:tag and @digest): digests agree end to end, base layers are
# shared by digest (not fetched again, mounted across repositories), multi-arch indexes resolve
# to linux/amd64, Docker schema 2 images work, kiln push uploads chunked or in one PUT.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
registry_require

registry_start plain
P=$REG_PORT
R=127.0.0.1:$P

# a multi-layer base: three COPY layers
mkdir -p "$T/base/etc" "$T/base/data"
printf 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' >"$T/base/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$T/base/etc/group"
head -c 300000 /dev/urandom >"$T/base/data/big.bin"
echo one >"$T/base/data/one.txt"
cat >"$T/base/Dockerfile" <<'DF'
FROM scratch
COPY etc /etc
COPY data/big.bin /opt/big.bin
COPY data/one.txt /opt/one.txt
ENV BASE=yes
USER app
DF
base_digest=$(kbuild --output "type=registry,name=$R/base:1" "$T/base")
[[ $base_digest == sha256:* ]] || fail "kiln build did not print a digest: $base_digest"
remote=$(skopeo inspect --tls-verify=false --raw "docker://$R/base:1" | sha256sum | cut -d' ' -f1)
[ "sha256:$remote" = "$base_digest" ] || fail "registry has sha256:$remote, kiln built $base_digest"
skopeo copy -q --all --src-tls-verify=false "docker://$R/base:1" "oci:$T/sk-base:1" >/dev/null
[ "$(top_digest "$T/sk-base")" = "$base_digest" ] || fail "skopeo pulled a different manifest"
check_layout "$T/sk-base" 1
nlayers=$(skopeo inspect --tls-verify=false "docker://$R/base:1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Layers"]))')
[ "$nlayers" = 3 ] || fail "expected 3 layers, got $nlayers"
ok "build --output type=registry: the registry serves the manifest kiln built; skopeo pulls it"

# kiln pulls it back: FROM by tag, in a fresh store
mkdir -p "$T/app"
echo app >"$T/app/app.txt"
printf 'FROM %s/base:1\nCOPY app.txt /srv/app.txt\n' "$R" >"$T/app/Dockerfile"
"$KILN" build --root "$T/root2" --progress quiet --output "type=oci,dest=$T/app-out,tar=false" "$T/app" >/dev/null
check_layout "$T/app-out"
py - "$T/sk-base" "$T/app-out" <<'PY'
import json, sys, oci
manifest = oci.image_manifest
b, a = manifest(sys.argv[1]), manifest(sys.argv[2])
bl = [l["digest"] for l in b["layers"]]
al = [l["digest"] for l in a["layers"]]
assert al[:3] == bl and len(al) == 4, (al, bl)
cfg = json.load(open(sys.argv[2] + "/blobs/sha256/" + a["config"]["digest"][7:]))
assert "BASE=yes" in cfg["config"]["Env"] and cfg["config"]["User"] == "app", cfg
PY
for l in $(py -c 'import oci,sys; print(" ".join(x["digest"] for x in oci.image_manifest(sys.argv[1])["layers"]))' "$T/sk-base"); do
  [ -f "$T/root2/blobs/sha256/${l#sha256:}" ] || fail "base layer $l not in the store"
done
ok "FROM $R/base:1 pulls every layer into a fresh store; the base is reused byte for byte"

# shared by digest: a second pull through a logging proxy fetches the manifest only
proxy_start log "$P"
printf 'FROM 127.0.0.1:%s/base:1\nCOPY app.txt /srv/app.txt\n' "$PROXY_PORT" >"$T/app/Dockerfile.proxy"
"$KILN" build --root "$T/root2" --progress quiet -f "$T/app/Dockerfile.proxy" "$T/app" >/dev/null
grep -q "GET /v2/base/manifests/1 -> 200" "$T/proxy-log.log" || { cat "$T/proxy-log.log"; fail "no manifest GET"; }
! grep -q "/blobs/" "$T/proxy-log.log" || { cat "$T/proxy-log.log"; fail "blobs fetched again"; }
ok "blobs already in the store are not fetched again"

# FROM by digest; with everything stored, no network at all (the port is closed)
printf 'FROM %s/base@%s\nCOPY app.txt /x\n' "$R" "$base_digest" >"$T/app/Dockerfile.digest"
"$KILN" build --root "$T/root2" --progress quiet -f "$T/app/Dockerfile.digest" "$T/app" >/dev/null
printf 'FROM 127.0.0.1:1/base@%s\nCOPY app.txt /x\n' "$base_digest" >"$T/app/Dockerfile.offline"
"$KILN" build --root "$T/root2" --progress quiet -f "$T/app/Dockerfile.offline" "$T/app" >/dev/null
ok "FROM repo@sha256:...; a stored digest reference needs no registry"

# a docker-image:// named context, and COPY --from a registry image
printf 'FROM mybase\nCOPY --from=%s/base:1 /opt/one.txt /again.txt\n' "$R" >"$T/app/Dockerfile.ctx"
"$KILN" build --root "$T/root5" --progress quiet -f "$T/app/Dockerfile.ctx" -t ctx:1 \
  --build-context mybase=docker-image://"$R/base:1" --output "type=oci,dest=$T/ctx-out,tar=false" "$T/app" >/dev/null ||
  fail "docker-image:// context"
unpack_tree "$T/ctx-out" 1 "$T/cu" >"$T/ctree"
grep -q "^again.txt file" "$T/ctree" && grep -q "^opt/big.bin file" "$T/ctree" || { cat "$T/ctree"; fail "docker-image context content"; }
ok "--build-context NAME=docker-image://REF and COPY --from=REG/REPO:TAG"

# push the app to another repository: the base layers are mounted, not uploaded
"$KILN" build --root "$T/root2" --progress plain --output "type=registry,name=$R/app:1" "$T/app" \
  >"$T/app.digest" 2>"$T/app.log"
# the base's 3 layers and the empty config of the attestation manifest are mounted; the new
# layer, the config, the manifest's statements and the attestation manifest are uploaded
grep -q "pushed $R/app:1 (5 blobs uploaded, 4 mounted, 0 present)" "$T/app.log" || { cat "$T/app.log"; fail "mounts"; }
remote=$(skopeo inspect --tls-verify=false --raw "docker://$R/app:1" | sha256sum | cut -d' ' -f1)
[ "sha256:$remote" = "$(cat "$T/app.digest")" ] || fail "app digest differs"
ok "push mounts the base layers from the base repository"

# without name=, the -t names are the destinations; the second one mounts from the first
"$KILN" build --root "$T/root2" --progress plain -t "$R/tagged/a:1" -t "$R/tagged/b:2" \
  --output type=registry "$T/app" >"$T/tags.digest" 2>"$T/tags.log"
grep -q "pushed $R/tagged/b:2 (0 blobs uploaded, 9 mounted, 0 present)" "$T/tags.log" || { cat "$T/tags.log"; fail "-t names"; }
for ref in tagged/a:1 tagged/b:2; do
  remote=$(skopeo inspect --tls-verify=false --raw "docker://$R/$ref" | sha256sum | cut -d' ' -f1)
  [ "sha256:$remote" = "$(cat "$T/tags.digest")" ] || fail "$ref"
done
expect_fail 2 "tag is needed when pushing to registry" "$KILN" build --root "$T/root2" --output type=registry "$T/app"
ok "--output type=registry pushes to every -t name"

# kiln push from a layout: one PUT, then chunked (through the logging proxy, which sees the
# PATCHes); a second push uploads nothing
# (a plain image: the push mechanics are what is tested here)
layout_digest=$(kbuild --no-sbom --no-provenance -t multi:1 --output "type=oci,dest=$T/base-layout,tar=false" "$T/base")
d1=$("$KILN" push --root "$ROOT" "$T/base-layout:1" "$R/pushed/one:1" 2>"$T/push1.log")
d2=$("$KILN" push --root "$ROOT" --chunk-size 64k "$T/base-layout" \
  "127.0.0.1:$PROXY_PORT/pushed/chunked:1" 2>"$T/push2.log")
d3=$("$KILN" push --root "$ROOT" "$T/base-layout@$layout_digest" "$R/pushed/one:1" 2>"$T/push3.log")
[ "$d1" = "$layout_digest" ] && [ "$d2" = "$layout_digest" ] && [ "$d3" = "$layout_digest" ] || fail "push digests $d1 $d2 $d3"
grep -q "4 blobs uploaded" "$T/push2.log" || { cat "$T/push2.log"; fail "chunked upload"; }
[ "$(grep -c "^PATCH /v2/pushed/chunked/blobs/uploads/" "$T/proxy-log.log")" -ge 5 ] || { cat "$T/proxy-log.log"; fail "no chunks"; }
grep -q "0 blobs uploaded, 0 mounted, 4 already there" "$T/push3.log" || { cat "$T/push3.log"; fail "second push"; }
for repo in one chunked; do
  skopeo copy -q --all --src-tls-verify=false "docker://$R/pushed/$repo:1" "oci:$T/sk-$repo:1" >/dev/null
  [ "$(top_digest "$T/sk-$repo")" = "$layout_digest" ] || fail "pushed/$repo"
  check_layout "$T/sk-$repo" 1
done
ok "kiln push LAYOUT REF: one PUT and chunked uploads give the same image; HEAD skips present blobs"

# a multi-arch index (amd64 + a fake arm64): kiln pushes the index and pulls linux/amd64
python3 - "$T/base-layout" "$T/multi" <<'PY'
import hashlib, json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst)
def put(obj):
    data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    d = hashlib.sha256(data).hexdigest()
    open(f"{dst}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
idx = json.load(open(dst + "/index.json"))
amd = idx["manifests"][0]
m = json.load(open(f"{dst}/blobs/sha256/{amd['digest'][7:]}"))
cfg = json.load(open(f"{dst}/blobs/sha256/{m['config']['digest'][7:]}"))
cfg["architecture"] = "arm64"; cfg["variant"] = "v8"
m["config"].update(put(cfg))
arm = put(m)
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    dict(mediaType=m["mediaType"], platform={"os": "linux", "architecture": "arm64", "variant": "v8"}, **arm),
    dict(mediaType=m["mediaType"], digest=amd["digest"], size=amd["size"], platform={"os": "linux", "architecture": "amd64"}),
]}
top = put(index)
json.dump({"schemaVersion": 2, "manifests": [dict(mediaType=index["mediaType"], annotations={"org.opencontainers.image.ref.name": "multi"}, **top)]},
          open(dst + "/index.json", "w"))

PY
idx_digest=$("$KILN" push --root "$ROOT" "$T/multi:multi" "$R/multi:1" 2>/dev/null)
skopeo inspect --tls-verify=false --raw "docker://$R/multi:1" | grep -q '"arm64"' || fail "the index was not pushed"
printf 'FROM %s/multi:1\nCOPY app.txt /x\n' "$R" >"$T/app/Dockerfile.multi"
"$KILN" build --root "$T/root3" --progress quiet -f "$T/app/Dockerfile.multi" \
  --output "type=oci,dest=$T/multi-out,tar=false" "$T/app" >/dev/null
py - "$T/multi-out" <<'PY'
import json, sys, oci
cfg = oci.image_config(sys.argv[1])
assert cfg["architecture"] == "amd64", cfg["architecture"]
PY
ok "an index is pushed whole ($idx_digest) and FROM resolves it to linux/amd64"

# Docker schema 2 (what docker push writes): skopeo converts, kiln pulls it
skopeo copy -q --dest-tls-verify=false --format v2s2 "oci:$T/base-layout:1" "docker://$R/docker-v2:1" >/dev/null
skopeo inspect --tls-verify=false --raw "docker://$R/docker-v2:1" | grep -q 'application/vnd.docker.distribution.manifest.v2+json' || fail "not v2s2"
printf 'FROM %s/docker-v2:1\nCOPY app.txt /x\n' "$R" >"$T/app/Dockerfile.v2"
"$KILN" build --root "$T/root4" --progress quiet -f "$T/app/Dockerfile.v2" "$T/app" >/dev/null
ok "Docker schema 2 manifests and their media types are pulled"
