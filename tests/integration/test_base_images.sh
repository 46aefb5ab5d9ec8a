#!/usr/bin/env bash
# Base images as they come (issue 12 item 5): a debootstrap base whose layer holds device nodes
# (/dev/console, /dev/null...) is imported without creating a device on the host, its layer
# stays byte-identical in the output, the build warns once with a count; and
# --build-context NAME=oci-layout://DIR:TAG splits at the first ':' as buildx does (skopeo and
# umoci write tags such as busybox:1), @sha256: names an image whatever the tag.
source "$(dirname "$0")/lib/common.sh"

deb=$("$KILN_SRC/tests/integration/lib/make-debian-image.sh") || fail "cannot make the Debian image"
layer=$(py -c 'import oci,sys; print(oci.image_manifest(sys.argv[1])["layers"][0]["digest"])' "$deb")
tar -tvzf "$deb/blobs/sha256/${layer#sha256:}" >"$T/base-listing"
ndev=$(grep -c '^[cb]' "$T/base-listing")
[ "$ndev" -ge 5 ] || fail "the Debian base has no device nodes to test with ($ndev)"

mkdir -p "$T/ctx"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM deb AS one
RUN test -c /dev/null && echo ok >/dev/null && test ! -e /dev/console || test -c /dev/console
FROM deb
COPY --from=one /etc/hostname /copied-hostname
RUN ls -l /dev/null /dev/zero && head -c 4 /dev/zero | od -An -tx1
USER nobody
DF
kbuild --build-context deb=oci-layout://"$deb":12 --output "type=oci,dest=$T/out,tar=false" \
  "$T/ctx" >/dev/null 2>"$T/build.log" || { cat "$T/build.log" >&2; fail "build FROM the Debian base"; }
ok "FROM a debootstrap base with $ndev device nodes in its layer builds (two stages, RUN uses /dev)"

[ "$(grep -c "device nodes ('dev/" "$T/build.log")" = 1 ] || { cat "$T/build.log" >&2; fail "expected one warning"; }
grep -q "layer $layer: $ndev device nodes ('dev/[a-z]*'...) not created" "$T/build.log" ||
  { cat "$T/build.log" >&2; fail "the warning names the layer and the count"; }
ok "one warning names the layer and counts its $ndev device nodes"

py - "$ROOT/snapshots" <<'PY'
import os, stat, sys
bad = []
for d, dirs, files in os.walk(sys.argv[1]):
    for n in dirs + files:
        st = os.lstat(os.path.join(d, n))
        if stat.S_ISBLK(st.st_mode) or (stat.S_ISCHR(st.st_mode) and st.st_rdev != 0):
            bad.append(os.path.join(d, n))
assert not bad, bad  # a char device 0:0 is an overlay whiteout, nothing else may be there
PY
ok "no device node exists in the store (only 0:0 whiteouts are allowed)"

out_layer=$(py -c 'import oci,sys; print(oci.image_manifest(sys.argv[1])["layers"][0]["digest"])' "$T/out")
[ "$out_layer" = "$layer" ] || fail "base layer changed: $out_layer, expected $layer"
cmp "$deb/blobs/sha256/${layer#sha256:}" "$T/out/blobs/sha256/${layer#sha256:}" || fail "base layer bytes differ"
tar -tvzf "$T/out/blobs/sha256/${layer#sha256:}" >"$T/listing"
grep -q '^c.* 5,1 .*dev/console$' "$T/listing" || fail "dev/console gone from the layer"
ok "the base layer is byte-identical in the output, device nodes included"

# --build-context oci-layout://DIR:TAG with a tag that holds ':' (as skopeo writes busybox:1)
skopeo copy -q "oci:$deb:12" "oci:$T/sk:busybox:1" >/dev/null 2>"$T/skopeo.log" ||
  { cat "$T/skopeo.log" >&2; fail "skopeo copy"; }
grep -q '"org.opencontainers.image.ref.name":"busybox:1"' "$T/sk/index.json" || fail "skopeo wrote no busybox:1 tag"
printf 'FROM b\nRUN true\nUSER nobody\n' >"$T/ctx/Dockerfile.b"
kbuild -f "$T/ctx/Dockerfile.b" --build-context b=oci-layout://"$T/sk":busybox:1 "$T/ctx" >/dev/null 2>"$T/b.log" ||
  { cat "$T/b.log" >&2; fail "oci-layout://DIR:busybox:1"; }
manifest=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"])' "$T/sk")
kbuild -f "$T/ctx/Dockerfile.b" --build-context b=oci-layout://"$T/sk@$manifest" "$T/ctx" >/dev/null 2>"$T/b.log" ||
  { cat "$T/b.log" >&2; fail "oci-layout://DIR@sha256:..."; }
kbuild -f "$T/ctx/Dockerfile.b" --build-context b=oci-layout://"$T/sk:nope@$manifest" "$T/ctx" >/dev/null 2>"$T/b.log" ||
  { cat "$T/b.log" >&2; fail "oci-layout://DIR:TAG@sha256:... (the digest wins, as in buildx)"; }
expect_fail 2 "layout '$T/sk': no image named 'busybox'" \
  "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.b" --build-context b=oci-layout://"$T/sk":busybox "$T/ctx"
expect_fail 2 "expected oci-layout://DIR\[:TAG\]\[@sha256:...\]" \
  "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.b" --build-context b=oci-layout://"$T/sk@latest" "$T/ctx"
ok "oci-layout://DIR:busybox:1 splits at the first ':', @sha256: names the image, bad references are clear errors"
