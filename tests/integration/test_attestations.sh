#!/usr/bin/env bash
# SBOM (SPDX 2.3 + CycloneDX 1.6) and SLSA provenance attached to every image, BuildKit-style:
# checked on a Debian 12 minbase image made offline, through the whole build.
# ctest-labels: network
source "$(dirname "$0")/lib/common.sh"

tree=$(debian_rootfs)
ctx=$(dirname "$(readlink -f "$tree")")
name=$(basename "$(readlink -f "$tree")")
printf 'FROM scratch\nCOPY %s/ /\nUSER nobody\n' "$name" >"$T/Dockerfile"
printf '%s/dev\n%s/proc\n%s/sys\n' "$name" "$name" "$name" >"$T/Dockerfile.dockerignore"
mkdir -p "$T/sbom-out"
d=$(kbuild -f "$T/Dockerfile" -t debian-min:1 --build-arg UNUSED=x --sbom-out "$T/sbom-out" \
  --output "type=oci,dest=$T/out,tar=false" "$ctx") || fail "build of the Debian image"
check_layout "$T/out" 1
ok "the Debian image with attestations passes check-oci-layout (attestation subjects included)"

py - "$T/out" "$T" <<'PY'
import json, sys, oci
lay, t = sys.argv[1], sys.argv[2]
att = oci.attestations(lay)
assert set(att) == {"https://spdx.dev/Document", "https://cyclonedx.org/bom",
                    "https://slsa.dev/provenance/v1"}, set(att)
img = oci.image_descriptor(lay)["digest"]
for st in att.values():
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["subject"][0]["digest"]["sha256"] == img[7:], "statement subject is the image"
json.dump(att["https://spdx.dev/Document"], open(t + "/spdx.json", "w"))
json.dump(att["https://cyclonedx.org/bom"], open(t + "/cdx.json", "w"))
json.dump(att["https://slsa.dev/provenance/v1"], open(t + "/prov.json", "w"))
PY
for f in spdx cdx; do
  mode=$([ $f = spdx ] && echo spdx-strict || echo cdx)
  validate_sbom "$mode" "$T/$f.json"
done
validate_sbom spdx-strict "$T/sbom-out/sbom.spdx.json"
validate_sbom cdx "$T/sbom-out/sbom.cdx.json"
ok "both SBOMs pass validate-sbom, as statements and as --sbom-out files"

dpkg-query --admindir="$tree/var/lib/dpkg" -W -f '${Package} ${Version} ${Architecture}\n' | sort >"$T/dpkg.txt"
python3 - "$T/spdx.json" <<'PY' | sort >"$T/sbom.txt"
import json, sys, urllib.parse
doc = json.load(open(sys.argv[1]))["predicate"]
for p in doc["packages"]:
    for r in p.get("externalRefs", []):
        loc = r["referenceLocator"]
        if r["referenceType"] == "purl" and loc.startswith("pkg:deb/"):
            path, _, q = loc.partition("?")
            arch = dict(kv.split("=", 1) for kv in q.split("&"))["arch"]
            print(p["name"], urllib.parse.unquote(path.rsplit("@", 1)[1]), arch)
PY
diff -u "$T/dpkg.txt" "$T/sbom.txt" || fail "the SBOM and dpkg-query disagree"
[ "$(wc -l <"$T/dpkg.txt")" -ge 80 ] || fail "too few packages: $(wc -l <"$T/dpkg.txt")"
ok "the SBOM lists exactly the packages dpkg-query lists ($(wc -l <"$T/dpkg.txt")), same versions and architectures"

python3 - "$T/prov.json" "$T/Dockerfile" <<'PY'
import hashlib, json, sys
st = json.load(open(sys.argv[1]))
pred = st["predicate"]
assert pred["buildDefinition"]["buildType"] == "https://kiln.dev/build/v1"
text = json.dumps(pred)
assert hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest() in text, "Dockerfile digest"
assert "UNUSED" in text, "build args recorded"
assert "kiln" in pred["runDetails"]["builder"]["id"]
PY
ok "provenance: buildType, the Dockerfile's digest, build args, builder id"

"$KILN" inspect "$T/out:1" >"$T/inspect.txt"
grep -q "^SBOM packages: $(wc -l <"$T/dpkg.txt") .*deb=$(wc -l <"$T/dpkg.txt")" "$T/inspect.txt" || { cat "$T/inspect.txt"; fail "inspect package counts"; }
ok "kiln inspect shows the package count by type"

d2=$(kbuild -f "$T/Dockerfile" -t debian-min:1 --build-arg UNUSED=x "$ctx")
[ "$d" = "$d2" ] || fail "attestations are not reproducible: $d vs $d2"
ok "the same build gives the same index digest (attestations are deterministic)"

# the switches
mkdir -p "$T/small"
echo x >"$T/small/x"
printf 'FROM scratch\nCOPY x /x\nUSER 1\n' >"$T/small/Dockerfile"
kbuild --no-sbom --output "type=oci,dest=$T/p,tar=false" "$T/small" >/dev/null
py -c 'import oci,sys; a=oci.attestations(sys.argv[1]); assert list(a)==["https://slsa.dev/provenance/v1"], list(a)' "$T/p" || fail "--no-sbom"
kbuild --no-provenance --output "type=oci,dest=$T/s,tar=false" "$T/small" >/dev/null
py -c 'import oci,sys; a=oci.attestations(sys.argv[1]); assert "https://slsa.dev/provenance/v1" not in a and len(a)==2' "$T/s" || fail "--no-provenance"
dp=$(kbuild --no-sbom --no-provenance --output "type=oci,dest=$T/n,tar=false" "$T/small")
[ "$(top_digest "$T/n")" = "$dp" ] && [ "$(manifest_digest "$T/n")" = "$dp" ] || fail "--no-sbom --no-provenance still wrote an index"
check_layout "$T/p"; check_layout "$T/s"; check_layout "$T/n"
ok "--no-sbom, --no-provenance, and both: only what was asked for"
