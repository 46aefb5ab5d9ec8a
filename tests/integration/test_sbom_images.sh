#!/usr/bin/env bash
# The SBOM of images kiln builds from the fixtures of testdata/sbom (apk, distroless dpkg,
# Python, npm), from a jar made at test time and from a real Go binary: the attached SPDX
# lists exactly the expected packages, and both documents pass validate-sbom.
source "$(dirname "$0")/lib/common.sh"

spdx_purls() { # LAYOUT: the package purls of the attached SPDX statement, sorted
  py - "$1" <<'PY' | LC_ALL=C sort
import oci, sys
doc = oci.attestations(sys.argv[1])["https://spdx.dev/Document"]["predicate"]
for p in doc["packages"]:
    for r in p.get("externalRefs", []):
        if r["referenceType"] == "purl" and not r["referenceLocator"].startswith("pkg:oci/"):
            print(r["referenceLocator"])
PY
}

validate() { # LAYOUT
  py - "$1" "$T" <<'PY'
import json, oci, sys
a = oci.attestations(sys.argv[1])
json.dump(a["https://spdx.dev/Document"], open(sys.argv[2] + "/s.json", "w"))
json.dump(a["https://cyclonedx.org/bom"], open(sys.argv[2] + "/c.json", "w"))
PY
  validate_sbom spdx-strict "$T/s.json"
  validate_sbom cdx "$T/c.json"
}

for fx in alpine distroless npm python; do
  mkdir -p "$T/$fx"
  cp -a "$KILN_SRC/testdata/sbom/$fx/rootfs" "$T/$fx/rootfs"
  printf 'FROM scratch\nCOPY rootfs/ /\nUSER 1000\n' >"$T/$fx/Dockerfile"
  kbuild -t "$fx:1" --output "type=oci,dest=$T/$fx/out,tar=false" "$T/$fx" >/dev/null || fail "build $fx"
  spdx_purls "$T/$fx/out" >"$T/$fx/got"
  LC_ALL=C sort "$KILN_SRC/testdata/sbom/$fx/expected-purls.txt" | grep -v '^$' >"$T/$fx/want"
  diff -u "$T/$fx/want" "$T/$fx/got" || fail "$fx: the SBOM differs from expected-purls.txt"
  validate "$T/$fx/out"
  ok "$fx image: the SBOM lists exactly the expected packages; both documents are valid"
done

# Java: a jar with a Maven pom.properties; Go: a real Go binary of this machine (umoci)
mkdir -p "$T/jg/app" "$T/jg/usr/bin"
python3 - "$T/jg/app/demo-1.2.3.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: demo\r\nImplementation-Version: 1.2.3\r\n\r\n")
    z.writestr("META-INF/maven/org.example/demo/pom.properties", "groupId=org.example\nartifactId=demo\nversion=1.2.3\n")
PY
cp "$(command -v umoci)" "$T/jg/usr/bin/umoci"
printf 'FROM scratch\nCOPY app /app\nCOPY usr /usr\nUSER 1000\n' >"$T/jg/Dockerfile"
kbuild -t jg:1 --output "type=oci,dest=$T/jg/out,tar=false" "$T/jg" >/dev/null || fail "build java/go"
spdx_purls "$T/jg/out" >"$T/jg/got"
grep -qx "pkg:maven/org.example/demo@1.2.3" "$T/jg/got" || { cat "$T/jg/got"; fail "the jar"; }
grep -q "^pkg:golang/stdlib@" "$T/jg/got" || { cat "$T/jg/got"; fail "the Go binary"; }
validate "$T/jg/out"
"$KILN" inspect "$T/jg/out:1" | grep -q "^SBOM packages: .*maven=1" || fail "inspect counts maven"
ok "a jar and a Go binary in an image: Maven and Go packages in the SBOM"
