#!/usr/bin/env bash
# Hostile gzip base images through FROM, end to end (issue 13 items 2 and 5):
#  - file capabilities: a v3 value whose root uid is 0 (host root), v2, v3 for container uid 1000,
#    v3 for a uid outside the map, a malformed value. After the unpack no file of the store may
#    carry capabilities that hold for host root; the layers kiln writes carry them as the image
#    expects (v2, or v3 with a container root uid). As root and rootless.
#  - decompression bombs: a small gzip layer that inflates past --max-layer-size, a header that
#    announces a 20 GiB file, an ADD of a local archive bomb: clear errors naming the layer or
#    archive and the limit, and nothing left in the store (no snapshot, no temp directory).
#  - paths and links out of the snapshot, gzip-compressed: refused, nothing written outside.
source "$(dirname "$0")/lib/common.sh"

deb=$("$KILN_SRC/tests/integration/lib/make-debian-image.sh") || fail "cannot make the Debian image"
deb_layer=$(py -c 'import oci,sys; print(oci.image_manifest(sys.argv[1])["layers"][0]["digest"][7:])' "$deb")
gzip -dc "$deb/blobs/sha256/$deb_layer" >"$T/deb.tar"
mkdir -p "$T/ctx"

# ---- v3 file capabilities ----
py - "$T/caps.tar" <<'PY'
import struct, sys
from rawtar import RawTar, DIR
ADMIN = 1 << 21  # CAP_SYS_ADMIN
def v2(p):
    return struct.pack("<IIIII", 0x02000001, p, 0, 0, 0)
def v3(p, rootid):
    return struct.pack("<IIIIII", 0x03000001, p, 0, 0, 0, rootid)
w = RawTar(open(sys.argv[1], "wb"))
w.entry(b"opt/", DIR)
elf = open("/bin/true", "rb").read()
for name, value in ((b"opt/v3-root0", v3(ADMIN, 0)), (b"opt/v2", v2(ADMIN)),
                    (b"opt/v3-1000", v3(ADMIN, 1000)), (b"opt/v3-outside", v3(ADMIN, 70000)),
                    (b"opt/malformed", b"\x03\x00\x00")):
    w.entry(name, data=elf, mode=0o755, xattrs={b"security.capability": value})
w.close()
PY
gzip -9n "$T/caps.tar"
python3 "$KILN_SRC/tests/integration/lib/mklayout.py" "$T/caps" 1 "$T/deb.tar" "$T/caps.tar.gz"
caps_diff=$(py -c 'import oci,sys; print(oci.image_config(sys.argv[1])["rootfs"]["diff_ids"][1][7:])' "$T/caps")
cat >"$T/ctx/Dockerfile.caps" <<'DF'
FROM caps
RUN chmod 0750 /opt/v3-root0 /opt/v2 /opt/v3-1000 /opt/v3-outside /opt/malformed
USER nobody
DF

# caps_on_disk STORE: "name hexvalue" of each file of the hostile layer's snapshot
caps_on_disk() {
  local f
  for f in v3-root0 v2 v3-1000 v3-outside malformed; do
    printf '%s %s\n' "$f" "$(getfattr --absolute-names -n security.capability -e hex \
      "$1/snapshots/$caps_diff/opt/$f" 2>/dev/null | sed -n 's/^security.capability=0x//p')"
  done
}
# le32 N: N as the 8 hex digits of a little-endian 32-bit value
le32() { printf '%08x' "$1" | sed -E 's/(..)(..)(..)(..)/\4\3\2\1/'; }
# check_layer_caps LAYOUT: the RUN layer carries the values as the image expects them
check_layer_caps() {
  py - "$1" <<'PY'
import struct, sys, tarfile, oci
lay = sys.argv[1]
m = oci.image_manifest(lay)
d = m["layers"][-1]["digest"].split(":")[1]
t = tarfile.open(lay + "/blobs/sha256/" + d, encoding="utf-8", errors="surrogateescape")
caps = {}
for x in t:
    v = x.pax_headers.get("SCHILY.xattr.security.capability")
    if v is not None:
        caps[x.name] = v.encode("utf-8", "surrogateescape")
ADMIN = 1 << 21
v2 = struct.pack("<IIIII", 0x02000001, ADMIN, 0, 0, 0)
assert caps.get("opt/v3-root0") == v2, caps
assert caps.get("opt/v2") == v2, caps
assert caps.get("opt/v3-1000") == struct.pack("<IIIIII", 0x03000001, ADMIN, 0, 0, 0, 1000), caps
assert "opt/v3-outside" not in caps and "opt/malformed" not in caps, caps
PY
}

kbuild -f "$T/ctx/Dockerfile.caps" --build-context caps=oci-layout://"$T/caps":1 \
  --output "type=oci,dest=$T/out-caps,tar=false" "$T/ctx" >/dev/null 2>"$T/caps.log" ||
  { cat "$T/caps.log" >&2; fail "build FROM the capabilities image"; }
base=$(head -1 "$ROOT/idmap" | cut -d' ' -f1)
caps_on_disk "$ROOT" >"$T/caps-disk"
# v3 revision|effective, permitted CAP_SYS_ADMIN, then the root uid: little-endian words
v3=0100000300002000000000000000000000000000
grep -qx "v3-root0 $v3$(le32 "$base")" "$T/caps-disk" || { cat "$T/caps-disk"; fail "v3 root uid 0 not rewritten to $base"; }
grep -qx "v2 $v3$(le32 "$base")" "$T/caps-disk" || { cat "$T/caps-disk"; fail "v2 not made v3 for $base"; }
grep -qx "v3-1000 $v3$(le32 $((base + 1000)))" "$T/caps-disk" || { cat "$T/caps-disk"; fail "v3 1000 not shifted"; }
grep -qx "v3-outside " "$T/caps-disk" || { cat "$T/caps-disk"; fail "v3 outside the map kept"; }
grep -qx "malformed " "$T/caps-disk" || { cat "$T/caps-disk"; fail "malformed value kept"; }
# nothing anywhere in the store holds for host root: every value is v3 with a root uid in range
getfattr -R --absolute-names -m '^security.capability$' -e hex -d "$ROOT/snapshots" 2>/dev/null |
  sed -n 's/^security.capability=0x//p' | sort -u >"$T/all-caps"
while read -r v; do
  [ "${v:6:2}" = 03 ] && [ ${#v} = 48 ] || fail "a capability value that is not v3 in the store: $v"
  r=$(printf '%d' "0x$(echo "${v:40:8}" | sed -E 's/(..)(..)(..)(..)/\4\3\2\1/')")
  [ "$r" -ge "$base" ] && [ "$r" -lt $((base + 65536)) ] || fail "root uid $r outside the store's range"
done <"$T/all-caps"
[ -s "$T/all-caps" ] || fail "no capability value found at all (the check would be empty)"
check_layer_caps "$T/out-caps"
# the copy snapshotter copies the snapshot's values into the step's rootfs: the same result
KILN_SNAPSHOTTER=copy kbuild -f "$T/ctx/Dockerfile.caps" --build-context caps=oci-layout://"$T/caps":1 \
  --no-cache --output "type=oci,dest=$T/out-caps-copy,tar=false" "$T/ctx" >/dev/null 2>"$T/caps-copy.log" ||
  { cat "$T/caps-copy.log" >&2; fail "build FROM the capabilities image, copy snapshotter"; }
check_layer_caps "$T/out-caps-copy"
ok "v3 capabilities of a hostile gzip layer are rewritten for the map (host root never), dropped when outside it; RUN's layer carries v2 / v3 1000"

user=kiln-rootless
if [ "$(id -u)" -eq 0 ] && [ "$(cat /proc/sys/user/max_user_namespaces)" != 0 ] && command -v newuidmap >/dev/null; then
  rootless_user "$user"
  chmod 0755 "$T"
  chmod -R a+rX "$T/ctx" "$T/caps"
  mkdir -p "$T/rl" && chown "$user" "$T/rl"
  su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress quiet \
    -f '$T/ctx/Dockerfile.caps' --build-context caps=oci-layout://$T/caps:1 \
    --output type=oci,dest=$T/rl/out,tar=false '$T/ctx'" >"$T/rl.log" 2>&1 ||
    { cat "$T/rl.log" >&2; fail "rootless build FROM the capabilities image"; }
  caps_on_disk "$T/rl/store" >"$T/rl-caps"
  uid=$(id -u "$user")
  grep -qx "v3-root0 $v3$(le32 "$uid")" "$T/rl-caps" || { cat "$T/rl-caps"; fail "rootless: v3 root uid 0 is not the user's"; }
  grep -qx "v3-outside " "$T/rl-caps" || { cat "$T/rl-caps"; fail "rootless: v3 outside the map kept"; }
  check_layer_caps "$T/rl/out"
  ok "rootless: the same values, rooted at the user; the layer is the same as root's"
else
  echo "ok - rootless part skipped: no user namespaces or newuidmap (the root part ran)"
fi

# ---- decompression bombs ----
nothing_left() { # nothing_left STORE DIFFID_HEX: no snapshot of it, no temp directory
  [ ! -e "$1/snapshots/$2" ] || fail "a snapshot of the bomb is in the store"
  [ -z "$(find "$1/snapshots" -maxdepth 1 -name '.tmp-*' -o -maxdepth 1 -name '.step-*' 2>/dev/null)" ] ||
    fail "temporary directories left: $(ls -a "$1/snapshots")"
  [ "$(du -sm "$1" | cut -f1)" -lt 300 ] || fail "the store grew to $(du -sh "$1")"
}
py - "$T/bomb.tar.gz" <<'PY'
import sys
from rawtar import RawTar, gzip_stream
w = RawTar(gzip_stream(sys.argv[1]))
w.entry(b"ok.txt", data=b"fine\n")
w.zeros(b"bomb", 1 << 30)  # 1 GiB of zeros: about 1 MiB of gzip
w.close()
PY
[ "$(stat -c %s "$T/bomb.tar.gz")" -lt $((4 << 20)) ] || fail "the bomb is not small"
python3 "$KILN_SRC/tests/integration/lib/mklayout.py" "$T/bomb" 1 "$T/deb.tar" "$T/bomb.tar.gz"
bomb_diff=$(py -c 'import oci,sys; print(oci.image_config(sys.argv[1])["rootfs"]["diff_ids"][1][7:])' "$T/bomb")
bomb_layer=$(py -c 'import oci,sys; print(oci.image_manifest(sys.argv[1])["layers"][1]["digest"])' "$T/bomb")
printf 'FROM bomb\nRUN true\nUSER nobody\n' >"$T/ctx/Dockerfile.bomb"
expect_fail 2 "unpack $bomb_layer: layer: more than 256 MiB of uncompressed content \(--max-layer-size\)" \
  "$KILN" build --root "$T/rb" --max-layer-size 256m -f "$T/ctx/Dockerfile.bomb" \
  --build-context bomb=oci-layout://"$T/bomb":1 "$T/ctx"
nothing_left "$T/rb" "$bomb_diff"
ok "a gzip layer inflating past --max-layer-size fails while streaming, naming the layer; nothing left in the store"

expect_fail 2 "layer entry 'bomb': 1073741824 bytes, over the limit of 512 MiB for one file \(--max-file-size\)" \
  "$KILN" build --root "$T/rf" --max-file-size 512m -f "$T/ctx/Dockerfile.bomb" \
  --build-context bomb=oci-layout://"$T/bomb":1 "$T/ctx"
nothing_left "$T/rf" "$bomb_diff"
ok "a file over --max-file-size is refused on its header"

# a header that announces 20 GiB: the defaults refuse it before anything is written
py - "$T/liar.tar.gz" <<'PY'
import sys
from rawtar import RawTar, gzip_stream
w = RawTar(gzip_stream(sys.argv[1]))
w.entry(b"huge", size=20 << 30, data=b"")
w.close()
PY
python3 "$KILN_SRC/tests/integration/lib/mklayout.py" "$T/liar" 1 "$T/liar.tar.gz"
printf 'FROM liar\nCOPY Dockerfile.bomb /x\nUSER nobody\n' >"$T/ctx/Dockerfile.liar"
expect_fail 2 "layer entry 'huge': 21474836480 bytes, over the limit of 16 GiB for one file" \
  "$KILN" build --root "$T/rl2" -f "$T/ctx/Dockerfile.liar" --build-context liar=oci-layout://"$T/liar":1 "$T/ctx"
ok "by default a header announcing a 20 GiB file is refused (16 GiB per file, 32 GiB per layer)"

# ADD of a local archive bomb
cp "$T/bomb.tar.gz" "$T/ctx/bomb.tar.gz"
printf 'FROM deb\nADD bomb.tar.gz /srv/\nUSER nobody\n' >"$T/ctx/Dockerfile.add"
expect_fail 2 "Dockerfile.add:2: ADD: extract '/bomb.tar.gz': archive entry 'bomb': 1073741824 bytes, over the limit of 512 MiB" \
  "$KILN" build --root "$T/ra" --max-file-size 512m -f "$T/ctx/Dockerfile.add" \
  --build-context deb=oci-layout://"$deb":12 "$T/ctx"
expect_fail 2 "ADD: extract '/bomb.tar.gz': more than 256 MiB of uncompressed content \(--max-layer-size\)" \
  "$KILN" build --root "$T/ra" --max-layer-size 256m -f "$T/ctx/Dockerfile.add" \
  --build-context deb=oci-layout://"$deb":12 "$T/ctx"
[ "$(du -sm "$T/ra/blobs" | cut -f1)" -lt 100 ] || fail "blobs of the ADD bomb were left: $(du -sh "$T/ra/blobs")"
[ -z "$(find "$T/ra" -name '.tmp*' -type f)" ] || fail "temporary blobs left"
ok "ADD of a local archive bomb fails on its headers, naming the archive and the limit; no blob left"

# ---- paths and links out of the snapshot, in gzip layers ----
for kind in dotdot absolute symlink-parent hardlink-outside; do
  python3 "$KILN_SRC/testdata/run/hostile_tar.py" "$kind" "$T/$kind.tar"
  gzip -9n "$T/$kind.tar"
  python3 "$KILN_SRC/tests/integration/lib/mklayout.py" "$T/$kind" 1 "$T/deb.tar" "$T/$kind.tar.gz"
  expect_fail 2 "unpack sha256:[0-9a-f]{64}: layer entry .*(unsafe path|parent|Invalid cross-device link|Too many levels)" \
    "$KILN" build --root "$T/rp" -f "$T/ctx/Dockerfile.bomb" --build-context bomb=oci-layout://"$T/$kind":1 "$T/ctx"
done
for f in /tmp/kiln-hostile-absolute.txt /tmp/kiln-hostile-through-symlink.txt "$T/escaped.txt"; do
  [ ! -e "$f" ] || fail "a hostile layer wrote $f"
done
[ -z "$(find "$T/rp/snapshots" -maxdepth 1 -name '.tmp-*')" ] || fail "a partial snapshot was left"
ok "paths and links out of the snapshot in gzip layers are refused; nothing written outside, no partial snapshot"
rm -f "$T/deb.tar"
