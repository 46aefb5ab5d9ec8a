#!/usr/bin/env bash
# --output compression=zstd[,compression-level=N][,force-compression=true], as BuildKit spells
# it: the layers kiln writes are zstd (media type ...tar+zstd) holding the same tar streams as
# gzip ones (same diff_ids, same files); base layers keep their gzip blobs unless
# force-compression=true converts them; the output is reproducible; skopeo reads the zstd
# layers (it decompresses every one and checks it against its digest while it converts them),
# zstd(1) decompresses them to their diff_ids, umoci unpacks what skopeo read, kiln builds on a
# zstd base. Debian 12's umoci (0.4.7) refuses zstd media types itself ("blob is not correct
# mediatype"), so it reads them through skopeo; compression=uncompressed writes plain tars.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
for t in skopeo umoci zstd; do command -v $t >/dev/null || skip "$t is not installed"; done

busybox_context "$T/ctx"
mkdir -p "$T/ctx/app"
for i in $(seq 1 40); do seq "$i" 3000 >"$T/ctx/app/f$i.txt"; done
head -c 3000000 /dev/urandom >"$T/ctx/app/random.bin"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM base
COPY app/ /app/
RUN cat /app/f1.txt /app/f2.txt > /app/joined && ln -s joined /app/link
USER app
DF
# The base as an image of its own (gzip), FROM base through a named context.
printf 'FROM scratch\nCOPY rootfs/ /\n' >"$T/ctx/Dockerfile.base"
kbuild --allow-root-user -f "$T/ctx/Dockerfile.base" --output "type=oci,dest=$T/base,tar=false" \
  "$T/ctx" >/dev/null 2>"$T/base.log" || { cat "$T/base.log"; fail "base build"; }
layers() { # LAYOUT: "mediaType digest diffid" per layer
  PYTHONPATH=$KILN_SRC/tests/integration/lib python3 - "$1" <<'PY'
import oci, sys
m, c = oci.image_manifest(sys.argv[1]), oci.image_config(sys.argv[1])
for l, d in zip(m["layers"], c["rootfs"]["diff_ids"]):
    print(l["mediaType"], l["digest"], d)
PY
}
build() { # NAME OUTPUT-OPTIONS...: builds the image into $T/NAME
  kbuild --build-context "base=oci-layout://$T/base" \
    --output "type=oci,dest=$T/$1,tar=false${2:+,$2}" "$T/ctx" >"$T/$1.digest" 2>"$T/$1.log" ||
    { cat "$T/$1.log"; fail "build $1"; }
}

build gz ""
build zs "compression=zstd"
layers "$T/gz" >"$T/gz.layers"
layers "$T/zs" >"$T/zs.layers"
[ "$(wc -l <"$T/zs.layers")" = 3 ] || fail "three layers expected: $(cat "$T/zs.layers")"
read -r mt _ _ < <(sed -n 1p "$T/zs.layers")
[ "$mt" = application/vnd.oci.image.layer.v1.tar+gzip ] || fail "the base layer was recompressed: $mt"
sed -n '2,3p' "$T/zs.layers" | while read -r mt _ _; do
  [ "$mt" = application/vnd.oci.image.layer.v1.tar+zstd ] || fail "new layer is $mt, not zstd"
done
diff <(awk '{print $3}' "$T/gz.layers") <(awk '{print $3}' "$T/zs.layers") ||
  fail "gzip and zstd layers hold different tar streams (diff_ids)"
ok "compression=zstd: new layers zstd, the base layer keeps its gzip blob, same diff_ids as gzip"

while read -r mt dg id; do
  case $mt in *+zstd) ;; *) continue ;; esac
  got=$(zstd -dc "$T/zs/blobs/sha256/${dg#sha256:}" | sha256sum | cut -d' ' -f1)
  [ "sha256:$got" = "$id" ] || fail "zstd -d of $dg gives $got, not $id"
  [ "$(sha256sum <"$T/zs/blobs/sha256/${dg#sha256:}" | cut -d' ' -f1)" = "${dg#sha256:}" ] ||
    fail "blob $dg does not have its digest"
done <"$T/zs.layers"
ok "zstd(1) decompresses every zstd layer to its diff_id"

check_layout "$T/zs"
skopeo inspect "oci:$T/zs" >"$T/inspect.json" 2>"$T/skopeo.log" || { cat "$T/skopeo.log"; fail "skopeo inspect"; }
# skopeo decompresses each zstd layer (and verifies it) to write it as gzip for umoci
skopeo copy -q --dest-compress --dest-compress-format gzip "oci:$T/zs" "oci:$T/zs-gz:x" \
  2>"$T/skopeo.log" || { cat "$T/skopeo.log"; fail "skopeo copy of the zstd image"; }
layers "$T/zs-gz" | awk '{print $3}' | diff - <(awk '{print $3}' "$T/zs.layers") ||
  fail "skopeo read other tar streams out of the zstd layers"
umoci unpack --image "$T/zs-gz:x" "$T/u" >/dev/null 2>"$T/umoci.log" || { cat "$T/umoci.log"; fail "umoci unpack"; }
for i in 1 2 40; do cmp "$T/ctx/app/f$i.txt" "$T/u/rootfs/app/f$i.txt" || fail "umoci: app/f$i.txt"; done
cmp "$T/ctx/app/random.bin" "$T/u/rootfs/app/random.bin" || fail "umoci: random.bin"
cat "$T/ctx/app/f1.txt" "$T/ctx/app/f2.txt" | cmp - "$T/u/rootfs/app/joined" || fail "umoci: joined"
[ "$(readlink "$T/u/rootfs/app/link")" = joined ] || fail "umoci: the symlink"
ok "skopeo reads the zstd layers (copy, inspect) and umoci unpacks what it read: same files"

build zs2 "compression=zstd"
[ "$(cat "$T/zs.digest")" = "$(cat "$T/zs2.digest")" ] || fail "a second zstd build has another digest"
rm -rf "$T/root"
build zs3 "compression=zstd"
[ "$(cat "$T/zs.digest")" = "$(cat "$T/zs3.digest")" ] || fail "a zstd build in an empty store has another digest"
ok "zstd output is reproducible (cached and from an empty store)"

build zf "compression=zstd,force-compression=true"
layers "$T/zf" >"$T/zf.layers"
awk '{print $1}' "$T/zf.layers" | sort -u | grep -qvx 'application/vnd.oci.image.layer.v1.tar+zstd' &&
  fail "force-compression left a layer in another compression: $(cat "$T/zf.layers")"
diff <(awk '{print $3}' "$T/gz.layers") <(awk '{print $3}' "$T/zf.layers") ||
  fail "force-compression changed a tar stream"
[ "$(sed -n 1p "$T/zf.layers" | awk '{print $2}')" != "$(sed -n 1p "$T/zs.layers" | awk '{print $2}')" ] ||
  fail "the base layer's blob did not change"
got=$(zstd -dc "$T/zf/blobs/sha256/$(sed -n 1p "$T/zf.layers" | awk '{print $2}' | cut -d: -f2)" | sha256sum | cut -d' ' -f1)
[ "sha256:$got" = "$(sed -n 1p "$T/zf.layers" | awk '{print $3}')" ] || fail "converted base layer content"
build zf2 "compression=zstd,force-compression=true"
[ "$(cat "$T/zf.digest")" = "$(cat "$T/zf2.digest")" ] || fail "force-compression is not reproducible"
ok "force-compression=true converts the base layer to zstd (same diff_id), reproducibly"

build z19 "compression=zstd,compression-level=19"
layers "$T/z19" | awk '{print $3}' | diff - <(awk '{print $3}' "$T/zs.layers") || fail "level 19 diff_ids"
s3=$(stat -c %s "$T/zs/blobs/sha256/$(sed -n 2p "$T/zs.layers" | awk '{print $2}' | cut -d: -f2)")
s19=$(stat -c %s "$T/z19/blobs/sha256/$(layers "$T/z19" | sed -n 2p | awk '{print $2}' | cut -d: -f2)")
[ "$s19" -lt "$s3" ] || fail "compression-level=19 is not smaller than the default ($s19 >= $s3)"
ok "compression-level=19 writes smaller zstd layers ($s19 < $s3 bytes), same content"

build un "compression=uncompressed"
layers "$T/un" | sed -n '2,3p' | while read -r mt dg id; do
  [ "$mt" = application/vnd.oci.image.layer.v1.tar ] || fail "uncompressed layer is $mt"
  [ "$dg" = "$id" ] || fail "an uncompressed layer's digest is not its diff_id"
done
ok "compression=uncompressed writes plain tar layers"

# kiln on a zstd base: FROM the zstd image, a RUN reads its files
mkdir -p "$T/on"
printf 'FROM zbase\nUSER root\nRUN cat /app/joined /app/f40.txt > /both\nUSER app\n' >"$T/on/Dockerfile"
kbuild --build-context "zbase=oci-layout://$T/zs" --output "type=oci,dest=$T/on-out,tar=false" \
  "$T/on" >/dev/null 2>"$T/on.log" || { cat "$T/on.log"; fail "build on a zstd base"; }
skopeo copy -q "oci:$T/on-out" "oci:$T/on-gz:x" --dest-compress --dest-compress-format gzip 2>/dev/null ||
  fail "skopeo copy"
umoci unpack --image "$T/on-gz:x" "$T/u2" >/dev/null 2>"$T/umoci.log" || { cat "$T/umoci.log"; fail "umoci unpack"; }
cat "$T/ctx/app/f1.txt" "$T/ctx/app/f2.txt" "$T/ctx/app/f40.txt" | cmp - "$T/u2/rootfs/both" ||
  fail "the RUN step did not read the zstd base's files"
ok "kiln builds FROM an image with zstd layers (RUN reads its files)"

expect() { # MESSAGE OUTPUT-OPTIONS
  if kbuild --output "type=oci,dest=$T/bad,tar=false,$2" "$T/ctx" >/dev/null 2>"$T/bad.log"; then
    fail "--output $2 was accepted"
  fi
  grep -qF "$1" "$T/bad.log" || { cat "$T/bad.log"; fail "--output $2: no '$1'"; }
}
expect "unsupported compression type brotli" "compression=brotli"
expect "compression=estargz is not supported" "compression=estargz"
expect "compression-level is 0 to 9 for gzip" "compression=gzip,compression-level=12"
expect "compression-level is 0 to 9 for gzip, 0 to 22 for zstd" "compression=zstd,compression-level=23"
expect "force-compression is true or false" "force-compression=maybe"
ok "bad compression options: clear errors"
