#!/usr/bin/env bash
# Names are bytes (issue 12 item 3): UTF-8, latin-1 (not UTF-8) and newline names, and non-ASCII
# link targets (ca-certificates' NetLock...Főtanúsítvány.pem), written into layers by COPY, ADD
# and RUN, read back from base layers that already hold them (a foreign one as Go's archive/tar
# writes it, and a kiln-built one), byte for byte, whatever the locale. Checked with python's
# tarfile on the blobs and with umoci's unpack of the image.
source "$(dirname "$0")/lib/common.sh"
export LC_ALL=C # the locale kiln runs in anyway; nothing below may depend on it

deb=$("$KILN_SRC/tests/integration/lib/make-debian-image.sh") || fail "cannot make the Debian image"
ctx=$T/ctx
mkdir -p "$ctx/données"
printf 'cv\n' >"$ctx/Résumé – café.txt"
printf 'latin\n' >"$ctx/$(printf 'caf\351.txt')"
printf 'nl\n' >"$ctx/$(printf 'new\nline.txt')"
printf 'd\n' >"$ctx/données/naïve.txt"
ln -s 'Résumé – café.txt' "$ctx/lien-vers-résumé"
# a local archive with the same kinds of names, for ADD
py - "$ctx/names.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT, encoding="utf-8",
                  errors="surrogateescape") as t:
    for name in ("ädd/ÜBER.txt", "ädd/caf\udce9-latin1.txt", "ädd/new\nline"):
        ti = tarfile.TarInfo(name); ti.size = 2; ti.mode = 0o644
        t.addfile(ti, io.BytesIO(b"a\n"))
PY

cat >"$ctx/Dockerfile" <<'DF'
FROM deb
COPY . /ctx/
ADD names.tar.gz /added/
RUN mkdir /opt/日本語 && echo ja > /opt/日本語/ファイル && \
    mkdir -p /usr/share/ca-certificates/mozilla /etc/ssl/certs && \
    echo cert > /usr/share/ca-certificates/mozilla/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt && \
    ln -s /usr/share/ca-certificates/mozilla/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt \
      /etc/ssl/certs/NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem && \
    echo latin > "$(printf '/opt/lat\351n')" && echo nl > "$(printf '/opt/new\nline')" && \
    ln -s "$(printf 'lat\351n')" /opt/latin-link
RUN cat /opt/日本語/ファイル /etc/ssl/certs/NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem \
      "$(printf '/opt/lat\351n')" "/ctx/Résumé – café.txt" /ctx/lien-vers-résumé \
      "$(printf '/ctx/caf\351.txt')" /added/ädd/ÜBER.txt "$(printf '/added/ädd/caf\351-latin1.txt')" \
      /opt/latin-link
USER nobody
DF
kbuild -t names:1 --build-context deb=oci-layout://"$deb":12 \
  --output "type=oci,dest=$T/out,tar=false" "$ctx" >/dev/null 2>"$T/build.log" ||
  { cat "$T/build.log" >&2; fail "build with non-ASCII names"; }
ok "COPY, ADD and RUN with UTF-8, latin-1 and newline names and a non-ASCII link target build"

# the layers: every name byte-exact, UTF-8 names in PAX path/linkpath records as Go writes them
py - "$T/out" <<'PY'
import sys, tarfile, oci
lay = sys.argv[1]
m = oci.image_manifest(lay)
def names(i):
    d = m["layers"][i]["digest"].split(":")[1]
    t = tarfile.open(lay + "/blobs/sha256/" + d, encoding="utf-8", errors="surrogateescape")
    return {x.name.encode("utf-8", "surrogateescape"): x for x in t}
copy, add, run = names(1), names(2), names(3)
want_copy = [b"ctx/R\xc3\xa9sum\xc3\xa9 \xe2\x80\x93 caf\xc3\xa9.txt", b"ctx/caf\xe9.txt",
             b"ctx/new\nline.txt", b"ctx/donn\xc3\xa9es/na\xc3\xafve.txt",
             b"ctx/lien-vers-r\xc3\xa9sum\xc3\xa9"]
for w in want_copy:
    assert w in copy, (w, sorted(copy))
link = copy[b"ctx/lien-vers-r\xc3\xa9sum\xc3\xa9"]
assert link.issym() and link.linkname.encode("utf-8", "surrogateescape") == \
    "Résumé – café.txt".encode(), link.linkname
# a UTF-8 name goes into a PAX path record (Go's archive/tar does the same)
r = copy[want_copy[0]]
assert r.pax_headers.get("path") == "ctx/Résumé – café.txt", r.pax_headers
for w in (b"added/\xc3\xa4dd/\xc3\x9cBER.txt", b"added/\xc3\xa4dd/caf\xe9-latin1.txt",
          b"added/\xc3\xa4dd/new\nline"):
    assert w in add, (w, sorted(add))
pem = b"etc/ssl/certs/NetLock_Arany_=Class_Gold=_F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem"
assert pem in run, sorted(run)
assert run[pem].linkname == "/usr/share/ca-certificates/mozilla/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt"
assert run[pem].pax_headers.get("linkpath") == run[pem].linkname, run[pem].pax_headers
for w in (b"opt/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "opt/日本語/ファイル".encode(), b"opt/lat\xe9n",
          b"opt/new\nline"):
    assert w in run, (w, sorted(run))
ll = run[b"opt/latin-link"]
assert ll.issym() and ll.linkname.encode("utf-8", "surrogateescape") == b"lat\xe9n", ll.linkname
PY
ok "layer tars hold every name and link target byte for byte (python tarfile)"

# umoci (through skopeo, which picks the image out of the index with attestations): the
# unpacked image has the same bytes on disk
skopeo copy -q "oci:$T/out:1" "oci:$T/plain:1" >/dev/null 2>"$T/skopeo.log" ||
  { cat "$T/skopeo.log" >&2; fail "skopeo copy"; }
umoci unpack --image "$T/plain:1" "$T/u" >/dev/null 2>"$T/umoci.log" ||
  { cat "$T/umoci.log" >&2; fail "umoci unpack"; }
py - "$T/u/rootfs" <<'PY'
import os, sys
root = os.fsencode(sys.argv[1])
def has(p):
    return os.path.lexists(os.path.join(root, p))
for p in (b"ctx/R\xc3\xa9sum\xc3\xa9 \xe2\x80\x93 caf\xc3\xa9.txt", b"ctx/caf\xe9.txt", b"ctx/new\nline.txt",
          b"opt/lat\xe9n", b"opt/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", b"added/\xc3\xa4dd/caf\xe9-latin1.txt"):
    assert has(p), p
pem = b"etc/ssl/certs/NetLock_Arany_=Class_Gold=_F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem"
assert os.readlink(os.path.join(root, pem)) == \
    "/usr/share/ca-certificates/mozilla/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt".encode()
PY
ok "skopeo copies and umoci unpacks the same names and link targets"

# base images that already hold such names: a foreign layer as Go's archive/tar writes it (PAX
# path records with the raw bytes, UTF-8 or not, no hdrcharset) and the kiln-built image above
py - "$T/go-style.tar" <<'PY'
import sys, tarfile
from rawtar import RawTar, DIR, SYM
# as Go's archive/tar writes it: raw bytes in PAX path records, UTF-8 or not, no hdrcharset
w = RawTar(open(sys.argv[1], "wb"))
w.entry(b"srv/", DIR)
w.entry("srv/größe.txt".encode(), data=b"go\n")
w.entry(b"srv/l\xe4tin1.txt", data=b"go\n")
w.entry(b"srv/two\nlines", data=b"go\n")
w.entry("srv/link-größe".encode(), SYM, link="größe.txt".encode())
w.close()
t = tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape")
names = [m.name.encode("utf-8", "surrogateescape") for m in t]
assert b"srv/l\xe4tin1.txt" in names and "srv/größe.txt".encode() in names, names
raw = open(sys.argv[1], "rb").read()
assert b"path=srv/l\xe4tin1.txt\n" in raw and b"hdrcharset" not in raw
PY
deb_layer=$(py -c 'import oci,sys; print(oci.image_manifest(sys.argv[1])["layers"][0]["digest"][7:])' "$deb")
gzip -dc "$deb/blobs/sha256/$deb_layer" >"$T/deb.tar"
python3 "$KILN_SRC/tests/integration/lib/mklayout.py" "$T/gostyle" 1 "$T/deb.tar" "$T/go-style.tar"
rm -f "$T/deb.tar"
cat >"$ctx/Dockerfile.base" <<'DF'
FROM gostyle AS gs
RUN cat /srv/größe.txt "$(printf '/srv/l\344tin1.txt')" "$(printf '/srv/two\nlines')" /srv/link-größe && \
    touch /srv/neu-ß
FROM names
USER root
RUN cat /opt/日本語/ファイル "$(printf '/opt/lat\351n')" /etc/ssl/certs/NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem
COPY --from=gs /srv/ /copied/
RUN ls /copied/größe.txt "$(printf '/copied/l\344tin1.txt')" /copied/neu-ß
USER nobody
DF
kbuild -f "$ctx/Dockerfile.base" --build-context names=oci-layout://"$T/out":1 \
  --build-context gostyle=oci-layout://"$T/gostyle":1 \
  --output "type=oci,dest=$T/out2,tar=false" "$ctx" >/dev/null 2>"$T/build2.log" ||
  { cat "$T/build2.log" >&2; fail "build FROM images holding non-ASCII names"; }
ok "FROM a Go-style foreign layer and a kiln-built image with such names: RUN and COPY --from read them"

# the leak scanner reads such layers too (it runs when a secret is given)
printf 'not-in-any-layer-7d1f\n' >"$T/secret"
kbuild --secret id=tok,src="$T/secret" -t names:1 --build-context deb=oci-layout://"$deb":12 \
  --no-cache --output "type=oci,dest=$T/out3,tar=false" "$ctx" >/dev/null 2>"$T/build3.log" ||
  { cat "$T/build3.log" >&2; fail "leak scan over layers with non-ASCII names"; }
ok "the leak scan reads layers with non-ASCII names"

# a jar (a zip) whose entries have non-ASCII names before its pom.properties: the SBOM's Java
# cataloger reads every entry (before, it stopped at the first such name)
mkdir -p "$T/jctx"
py - "$T/jctx/app.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    z.writestr("données/é.txt", "x")
    z.writestr("META-INF/maven/org.ex/démo/pom.properties",
               "groupId=org.ex\nartifactId=demo\nversion=1.2.3\n")
PY
printf 'FROM scratch\nCOPY app.jar /app/app.jar\nUSER 1\n' >"$T/jctx/Dockerfile"
mkdir -p "$T/sbom"
kbuild --no-provenance --sbom-out "$T/sbom" "$T/jctx" >/dev/null 2>"$T/jar.log" || { cat "$T/jar.log" >&2; fail "jar build"; }
! grep -q 'cannot be converted' "$T/jar.log" || { cat "$T/jar.log" >&2; fail "the jar's names were not read"; }
grep -q 'pkg:maven/org.ex/demo@1.2.3' "$T/sbom/sbom.spdx.json" || fail "the pom.properties after a non-ASCII entry was not read"
ok "the SBOM reads jars whose entries have non-ASCII names"
