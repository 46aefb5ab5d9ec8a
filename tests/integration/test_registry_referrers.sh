#!/usr/bin/env bash
# Attestation manifests (an index holding the image manifest plus an attestation manifest with a
# subject, as the SBOM work writes them) are pushed whole, and made findable as referrers: on
# distribution 2.8 (no referrers API) through the sha256-<subject hex> tag index, updated without
# duplicates; on a registry that answers OCI-Subject, without the tag.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
registry_require

registry_start refs
R=127.0.0.1:$REG_PORT
mkdir -p "$T/ctx"
echo hi >"$T/ctx/hi.txt"
printf 'FROM scratch\nCOPY hi.txt /hi.txt\nUSER 10001\n' >"$T/ctx/Dockerfile"
# a plain image: the test attaches its own attestations (kiln's are tested elsewhere)
kbuild --no-sbom --no-provenance -t app:1 --output "type=oci,dest=$T/layout,tar=false" "$T/ctx" >/dev/null
image=$(top_digest "$T/layout")

# add_attestation LAYOUT TAG PREDICATE: an index (image + attestation with a subject) tagged TAG
add_attestation() {
  python3 - "$@" <<'PY'
import hashlib, json, sys
lay, tag, pred = sys.argv[1:4]
def put(data, mt):
    d = hashlib.sha256(data).hexdigest()
    open(f"{lay}/blobs/sha256/{d}", "wb").write(data)
    return {"mediaType": mt, "digest": "sha256:" + d, "size": len(data)}
def put_json(obj, mt):
    return put(json.dumps(obj, separators=(",", ":"), sort_keys=True).encode(), mt)
idx = json.load(open(lay + "/index.json"))
img = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "1"][0]
img = {"mediaType": img["mediaType"], "digest": img["digest"], "size": img["size"]}
stmt = put_json({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": pred,
                 "subject": [{"name": "app", "digest": {"sha256": img["digest"][7:]}}],
                 "predicate": {"note": "test"}}, "application/vnd.in-toto+json")
stmt["annotations"] = {"in-toto.io/predicate-type": pred}
cfg = put(b"{}", "application/vnd.oci.empty.v1+json")
cfg["data"] = "e30="  # the empty config, embedded too, as the SBOM exporter writes it
att = put_json({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": "application/vnd.docker.attestation.manifest.v1+json",
                "config": cfg, "layers": [stmt], "subject": img,
                "annotations": {"org.example.predicate": pred}},
               "application/vnd.oci.image.manifest.v1+json")
index = put_json({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": [dict(img, platform={"os": "linux", "architecture": "amd64"}),
                                dict(att, platform={"os": "unknown", "architecture": "unknown"},
                                     annotations={"vnd.docker.reference.type": "attestation-manifest",
                                                  "vnd.docker.reference.digest": img["digest"]})]},
                 "application/vnd.oci.image.index.v1+json")
idx["manifests"].append(dict(index, annotations={"org.opencontainers.image.ref.name": tag}))
json.dump(idx, open(lay + "/index.json", "w"))
print(att["digest"])
PY
}
att1=$(add_attestation "$T/layout" with-sbom https://spdx.dev/Document)
att2=$(add_attestation "$T/layout" with-prov https://slsa.dev/provenance/v1)

referrers() { # referrers REGISTRY REPO: the referrers tag index of $image, or "" when none
  curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$1/v2/$2/manifests/sha256-${image#sha256:}" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(m["digest"]+"|"+m.get("artifactType","")+"|"+m.get("annotations",{}).get("org.example.predicate","") for m in d.get("manifests",[])))'
}

AT=application/vnd.docker.attestation.manifest.v1+json
top=$("$KILN" push --root "$ROOT" "$T/layout:with-sbom" "$R/app:1" 2>"$T/push1.log")
grep -q "referrers tagged" "$T/push1.log" || { cat "$T/push1.log"; fail "no referrers tag"; }
remote=$(skopeo inspect --tls-verify=false --raw "docker://$R/app:1" | sha256sum | cut -d' ' -f1)
[ "sha256:$remote" = "$top" ] || fail "index digest"
skopeo inspect --tls-verify=false --raw "docker://$R/app@$att1" | grep -q '"subject"' || fail "attestation not pushed"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$R/v2/app/referrers/$image")" = 404 ] ||
  fail "this registry has a referrers API after all"
[ "$(referrers "$R" app)" = "$att1|$AT|https://spdx.dev/Document" ] ||
  fail "referrers index: $(referrers "$R" app)"
ok "index and attestation pushed; distribution 2.8 gets the sha256-<hex> referrers tag"

before=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$R/v2/app/manifests/sha256-${image#sha256:}" | sha256sum)
"$KILN" push --root "$ROOT" "$T/layout:with-sbom" "$R/app:1" >/dev/null 2>&1
after=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$R/v2/app/manifests/sha256-${image#sha256:}" | sha256sum)
[ "$before" = "$after" ] || fail "a second push changed the referrers index"
"$KILN" push --root "$ROOT" "$T/layout:with-prov" "$R/app:2" >/dev/null 2>"$T/push2.log"
got=$(referrers "$R" app)
[ "$got" = "$att1|$AT|https://spdx.dev/Document $att2|$AT|https://slsa.dev/provenance/v1" ] ||
  fail "referrers index after a second attestation: $got"
ok "the referrers index is updated: no duplicates, new attestations appended"

# kiln pulls the image out of the index, skipping the attestation
printf 'FROM %s/app:1\nCOPY hi.txt /again.txt\n' "$R" >"$T/ctx/Dockerfile.pull"
"$KILN" build --root "$T/root2" --progress quiet -f "$T/ctx/Dockerfile.pull" \
  --output "type=oci,dest=$T/pulled,tar=false" "$T/ctx" >/dev/null
py - "$T/pulled" "$image" "$T/layout" <<'PY'
import json, sys, oci
l, image, src = sys.argv[1:4]
m = oci.image_manifest(l)
base = json.load(open(src + "/blobs/sha256/" + image[7:]))
assert m["layers"][:1] == base["layers"], "the base is the image, not the attestation"
PY
ok "FROM an index with attestations resolves to the image"

# a registry with the referrers API (it answers OCI-Subject): no tag fallback
proxy_start subject "$REG_PORT" --oci-subject
"$KILN" push --root "$ROOT" "$T/layout:with-sbom" "127.0.0.1:$PROXY_PORT/other:1" 2>"$T/push3.log" >/dev/null
! grep -q "referrers tagged" "$T/push3.log" || fail "tagged although the registry indexes referrers"
skopeo inspect --tls-verify=false --raw "docker://$R/other:1" >/dev/null || fail "the push to other:1 is not there"
refs=$(referrers "$R" other) || fail "cannot ask the registry for the referrers tag"
[ -z "$refs" ] || fail "a referrers tag was pushed: $refs"
ok "no referrers tag where the registry answers OCI-Subject"
