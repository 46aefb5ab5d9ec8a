#!/usr/bin/env bash
# Hard links in COPY (issue 12 item 7): names of one inode copied by one COPY stay hard links in
# the layer (tar link entries, as BuildKit writes them), from the context and from a stage, and
# the next step and umoci see one inode. Before, every name became a full copy.
source "$(dirname "$0")/lib/common.sh"

deb=$("$KILN_SRC/tests/integration/lib/make-debian-image.sh") || fail "cannot make the Debian image"
ctx=$T/ctx
mkdir -p "$ctx/app/sub"
head -c 200000 /dev/urandom >"$ctx/app/a.bin"
ln "$ctx/app/a.bin" "$ctx/app/b.bin"
ln "$ctx/app/a.bin" "$ctx/app/sub/c.bin"
echo alone >"$ctx/app/alone.txt"
cat >"$ctx/Dockerfile" <<'DF'
FROM deb AS build
RUN mkdir /out && echo made >/out/one && ln /out/one /out/two
FROM deb
COPY app/ /app/
COPY --from=build /out/ /out/
RUN test "$(stat -c %h /app/a.bin)" = 3 && test "$(stat -c %i /app/a.bin)" = "$(stat -c %i /app/sub/c.bin)" && \
    test "$(stat -c %h /out/one)" = 2
USER nobody
DF
kbuild -t hl:1 --build-context deb=oci-layout://"$deb":12 --output "type=oci,dest=$T/out,tar=false" \
  "$ctx" >/dev/null 2>"$T/build.log" || { cat "$T/build.log" >&2; fail "build"; }
ok "COPY keeps hard links of the context and of a stage; the next step sees one inode"

py - "$T/out" <<'PY'
import sys, tarfile, oci
lay = sys.argv[1]
m = oci.image_manifest(lay)
def members(i):
    d = m["layers"][i]["digest"].split(":")[1]
    return {x.name: x for x in tarfile.open(lay + "/blobs/sha256/" + d)}
app, out = members(1), members(2)
assert app["app/a.bin"].isreg() and app["app/a.bin"].size == 200000, app["app/a.bin"]
for n in ("app/b.bin", "app/sub/c.bin"):
    assert app[n].islnk() and app[n].linkname == "app/a.bin", (n, app[n].type, app[n].linkname)
assert app["app/alone.txt"].isreg()
assert out["out/two"].islnk() and out["out/two"].linkname == "out/one", out["out/two"].linkname
PY
ok "the COPY layers hold tar hard links (app/b.bin -> app/a.bin, out/two -> out/one), content once"

skopeo copy -q "oci:$T/out:1" "oci:$T/plain:1" >/dev/null 2>&1 || fail "skopeo copy"
umoci unpack --image "$T/plain:1" "$T/u" >/dev/null 2>"$T/umoci.log" || { cat "$T/umoci.log" >&2; fail "umoci unpack"; }
[ "$(stat -c %i "$T/u/rootfs/app/a.bin")" = "$(stat -c %i "$T/u/rootfs/app/b.bin")" ] || fail "umoci: not one inode"
cmp "$ctx/app/a.bin" "$T/u/rootfs/app/sub/c.bin" || fail "umoci: content"
ok "umoci unpacks them as one inode with the right content"
