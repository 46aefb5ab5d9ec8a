#!/usr/bin/env bash
# FROM a named context (an OCI layout written by kiln itself), COPY --from a stage and a
# directory context; base layers reused as they are.
source "$(dirname "$0")/lib/common.sh"

mkdir -p "$T/base/etc" "$T/app" "$T/extra"
printf 'root:x:0:0::/root:/bin/sh\nsvc:x:4242:4343::/home/svc:/bin/sh\n' >"$T/base/etc/passwd"
printf 'root:x:0:\nsvc:x:4343:\n' >"$T/base/etc/group"
head -c 100000 /dev/urandom >"$T/base/blob.bin"
cat >"$T/base/Dockerfile" <<'DF'
FROM scratch
COPY etc /etc
COPY blob.bin /opt/blob.bin
ENV BASE=1
USER svc
ONBUILD LABEL from.onbuild=yes
DF
kbuild -t base:v1 --output "type=oci,dest=$T/base-layout,tar=false" "$T/base" >/dev/null
check_layout "$T/base-layout" v1

echo app >"$T/app/app.txt"
echo extra >"$T/extra/e.txt"
cat >"$T/app/Dockerfile" <<'DF'
ARG BASE_IMAGE=base
FROM scratch AS build
COPY app.txt /out/app.txt
FROM ${BASE_IMAGE}:v1
COPY --from=build /out/ /srv/
COPY --from=extra e.txt /srv/
COPY --from=0 /out/app.txt /srv/again.txt
COPY --chown=svc app.txt /home/svc/
DF
kbuild -t app:1 --build-context base=oci-layout://"$T/base-layout":v1 \
  --build-context extra="$T/extra" --output "type=oci,dest=$T/out,tar=false" "$T/app" >/dev/null
check_layout "$T/out" 1
ok "FROM oci-layout named context, COPY --from stage/index/dir context"

py - "$T/base-layout" "$T/out" <<'PY'
import json, sys, oci
manifest = oci.image_manifest
b, a = manifest(sys.argv[1]), manifest(sys.argv[2])
bl = [l["digest"] for l in b["layers"]]
al = [l["digest"] for l in a["layers"]]
assert al[:len(bl)] == bl, "base layers must be reused unchanged"
assert len(al) == len(bl) + 4, al
cfg = json.load(open(sys.argv[2] + "/blobs/sha256/" + a["config"]["digest"].split(":")[1]))
c = cfg["config"]
assert c["User"] == "svc", c
assert "BASE=1" in c["Env"], c
assert c["Labels"]["from.onbuild"] == "yes", "ONBUILD trigger of the base ran"
assert "OnBuild" not in c or not c["OnBuild"], "triggers are not inherited"
PY
ok "base layers reused byte for byte; config inherited; ONBUILD trigger ran"

unpack_tree "$T/out" 1 "$T/u" >"$T/tree"
grep -qx "srv/app.txt file 644 0:0 $(sha256sum <"$T/app/app.txt" | cut -c1-12)" "$T/tree" || fail "srv/app.txt"
grep -qx "srv/e.txt file 644 0:0 .*" "$T/tree" || fail "srv/e.txt"
grep -qx "srv/again.txt file 644 0:0 .*" "$T/tree" || fail "srv/again.txt"
grep -qx "home/svc/app.txt file 644 4242:4242 .*" "$T/tree" || { cat "$T/tree"; fail "--chown=svc resolved through the image's /etc/passwd"; }
grep -qx "opt/blob.bin file 644 0:0 .*" "$T/tree" || fail "base content present"
ok "unpacked result has base, stage and context files with the right owners"

# a layout with a tampered blob, and one with a missing blob
cp -a "$T/base-layout" "$T/bad1"
layer=$(py -c 'import oci,sys; print(oci.image_manifest(sys.argv[1])["layers"][-1]["digest"][7:])' "$T/bad1")
chmod u+w "$T/bad1/blobs/sha256/$layer"
printf 'X' | dd of="$T/bad1/blobs/sha256/$layer" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_fail 2 "digest" "$KILN" build --root "$T/root-bad" --progress quiet \
  --build-context base=oci-layout://"$T/bad1":v1 --build-context extra="$T/extra" "$T/app"
cp -a "$T/base-layout" "$T/bad2"
rm -f "$T/bad2/blobs/sha256/$layer"
expect_fail 2 "blob sha256:$layer" "$KILN" build --root "$T/root-bad" --progress quiet \
  --build-context base=oci-layout://"$T/bad2":v1 --build-context extra="$T/extra" "$T/app"
expect_fail 2 "no image named 'v2'" "$KILN" build --root "$T/root-bad" --progress quiet \
  --build-context base=oci-layout://"$T/base-layout":v2 --build-context extra="$T/extra" "$T/app"
[ -z "$(find "$T/root-bad/blobs" -type f -name "$layer")" ] || fail "a corrupt blob entered the store"
ok "a tampered blob, a missing blob, an unknown tag: clear errors, nothing corrupt stored"

# COPY --from an image in a layout named context; a named context overrides a stage of its name
cat >"$T/app/Dockerfile.img" <<'DF'
FROM scratch AS base
COPY app.txt /from-stage.txt
FROM scratch
COPY --from=base /etc/passwd /copied-passwd
COPY --from=base /opt/blob.bin /blob.bin
USER 1000
DF
kbuild -t img:1 -f "$T/app/Dockerfile.img" --build-context base=oci-layout://"$T/base-layout":v1 \
  --output "type=oci,dest=$T/img-out,tar=false" "$T/app" >/dev/null || fail "COPY --from a layout context"
unpack_tree "$T/img-out" 1 "$T/iu" >"$T/itree"
grep -q "^copied-passwd file" "$T/itree" && grep -q "^blob.bin file" "$T/itree" || { cat "$T/itree"; fail "files from the image"; }
ok "COPY --from an image (layout context); the named context overrides the stage 'base'"
