#!/usr/bin/env bash
# COPY, ADD and WORKDIR into directories that already exist, then RUN (issue 12 item 2): the
# layers carry their parent directories as they are (BuildKit's layers do), every directory kiln
# creates in a snapshot belongs to container root, so the next step can write where it should.
# FROM a Debian minbase made by debootstrap (device nodes included), as root and rootless, FROM
# a kiln-built image, and FROM a foreign image whose layer leaves its parents out.
source "$(dirname "$0")/lib/common.sh"

deb=$("$KILN_SRC/tests/integration/lib/make-debian-image.sh") || fail "cannot make the Debian image"
ctx=$T/ctx
mkdir -p "$ctx"
echo '{"name":"app"}' >"$ctx/package.json"
echo '10.9.8.7 extra.example' >"$ctx/extra.conf"
tar -C "$ctx" -cf "$ctx/etc-extra.tar" extra.conf

# /app absent: WORKDIR makes it; /app present and owned by a user; COPY into /etc; ADD an
# archive into /etc
cat >"$ctx/Dockerfile.absent" <<'DF'
FROM deb
WORKDIR /app
COPY package.json ./
RUN touch x && ls -la && test "$(stat -c %u:%g:%a .)" = 0:0:755
USER nobody
DF
cat >"$ctx/Dockerfile.present" <<'DF'
FROM deb
RUN useradd -u 1000 -m node && mkdir /app && chown node:node /app && chmod 0770 /app
WORKDIR /app
COPY package.json ./
USER node
RUN touch x && ls -la /app && test "$(stat -c %u:%g:%a /app)" = 1000:1000:770
DF
cat >"$ctx/Dockerfile.etc" <<'DF'
FROM deb
COPY extra.conf /etc/
ADD etc-extra.tar /etc/more/
WORKDIR /etc/more/sub
RUN cat /etc/hosts >/dev/null && touch /etc/new /etc/more/new && test "$(stat -c %u:%g:%a /etc)" = 0:0:755
USER nobody
DF

build() { # build NAME [ARGS...]: the layout goes to $T/out-NAME
  local name=$1
  shift
  kbuild -f "$ctx/Dockerfile.$name" --build-context deb=oci-layout://"$deb":12 \
    --output "type=oci,dest=$T/out-$name,tar=false" "$@" "$ctx" >"$T/d-$name" 2>"$T/$name.log" ||
    { cat "$T/$name.log" >&2; fail "build $name"; }
}

build absent
build present -t kbase:1
build etc
ok "WORKDIR + COPY + RUN with /app absent and present (USER node writes into its /app), COPY/ADD/WORKDIR into /etc then RUN"

# the setuid warning names the owners the image has, not kiln's view of the store's range
grep -q 'SetuidFilesInImage: /usr/bin/passwd is setuid (mode 4755, owner 0:0)' "$T/absent.log" ||
  { cat "$T/absent.log" >&2; fail "setuid warning owner of passwd"; }
grep -q 'SetuidFilesInImage: /usr/bin/chage is setgid (mode 2755, owner 0:42)' "$T/absent.log" ||
  { cat "$T/absent.log" >&2; fail "setgid warning owner of chage (group shadow)"; }
ok "the setuid warning prints the image's owners (0:0, 0:42), not host ids"

# the layers: parents as the image has them (BuildKit's layers carry them), never made up
py - "$T/out-present" "$T/out-etc" <<'PY'
import sys, tarfile, oci
def layer(lay, i):
    m = oci.image_manifest(lay)
    d = m["layers"][i]["digest"].split(":")[1]
    return {x.name.rstrip("/"): x for x in tarfile.open(lay + "/blobs/sha256/" + d)}
present, etc = sys.argv[1], sys.argv[2]
# present: 0 debian, 1 RUN, 2 COPY (WORKDIR made no layer), 3 RUN
cp = layer(present, 2)
assert set(cp) == {"app", "app/package.json"}, sorted(cp)
a = cp["app"]
assert a.isdir() and (a.uid, a.gid, a.mode) == (1000, 1000, 0o770), (a.uid, a.gid, oct(a.mode))
# etc: 1 COPY, 2 ADD, 3 WORKDIR
c = layer(etc, 1)
assert set(c) == {"etc", "etc/extra.conf"}, sorted(c)
assert (c["etc"].uid, c["etc"].gid, c["etc"].mode) == (0, 0, 0o755), c["etc"]
ad = layer(etc, 2)
assert set(ad) == {"etc", "etc/more", "etc/more/extra.conf"}, sorted(ad)
w = layer(etc, 3)
assert set(w) == {"etc", "etc/more", "etc/more/sub"}, sorted(w)
assert (w["etc/more"].uid, w["etc/more"].mode) == (0, 0o755), w["etc/more"]
PY
ok "COPY, ADD and WORKDIR layers carry their existing parents with their modes and owners"

# FROM a kiln-built image: RUN on top of it, COPY into its directories, RUN again
cat >"$ctx/Dockerfile.onkiln" <<'DF'
FROM kbase
USER root
RUN touch /app/y /etc/z && test "$(stat -c '%u:%g %a' /app)" = "1000:1000 770"
COPY package.json /etc/
RUN touch /etc/zz /app/yy
USER node
RUN touch /app/by-node
DF
kbuild -f "$ctx/Dockerfile.onkiln" --build-context kbase=oci-layout://"$T/out-present":1 \
  --output "type=oci,dest=$T/out-onkiln,tar=false" "$ctx" >/dev/null 2>"$T/onkiln.log" ||
  { cat "$T/onkiln.log" >&2; fail "build FROM a kiln-built image"; }
ok "RUN, COPY and RUN as a user FROM a kiln-built image"

# a foreign image whose second layer lists files but not their directories
py - "$T/foreign.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name in ("etc/foreign.conf", "opt/deep/er/file"):
        ti = tarfile.TarInfo(name); ti.size = 3; ti.mode = 0o644
        t.addfile(ti, io.BytesIO(b"hi\n"))
PY
deb_layer=$(py -c 'import oci,sys; print(oci.image_manifest(sys.argv[1])["layers"][0]["digest"][7:])' "$deb")
gzip -dc "$deb/blobs/sha256/$deb_layer" >"$T/deb.tar"
python3 "$KILN_SRC/tests/integration/lib/mklayout.py" "$T/foreign" 1 "$T/deb.tar" "$T/foreign.tar"
rm -f "$T/deb.tar"
cat >"$ctx/Dockerfile.foreign" <<'DF'
FROM foreign
RUN stat -c '%n %u:%g %a' /etc /opt /opt/deep /opt/deep/er && touch /etc/x /opt/deep/y && \
    test "$(stat -c %u:%g /etc /opt/deep/er | sort -u)" = 0:0 && useradd -m u1
USER u1
DF
kbuild -f "$ctx/Dockerfile.foreign" --build-context foreign=oci-layout://"$T/foreign":1 \
  --progress plain "$ctx" >"$T/foreign.log" 2>&1 || { cat "$T/foreign.log" >&2; fail "build FROM a foreign image"; }
grep -q '/opt/deep/er 0:0 755' "$T/foreign.log" || { cat "$T/foreign.log" >&2; fail "implied directories"; }
ok "directories a foreign layer leaves out belong to container root in the next step"

# the same builds rootless: the unpack runs in the user's namespace
user=kiln-rootless
if [ "$(id -u)" -eq 0 ] && [ "$(cat /proc/sys/user/max_user_namespaces)" != 0 ] && command -v newuidmap >/dev/null; then
  rootless_user "$user"
  chmod 0755 "$T"
  mkdir -p "$T/rl" && chown "$user" "$T/rl"
  chmod -R a+rX "$ctx" "$T/foreign"
  for n in present etc foreign; do
    ref=deb src=$deb tag=12
    [ "$n" = foreign ] && ref=foreign src=$T/foreign tag=1
    su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress quiet \
      -f '$ctx/Dockerfile.$n' --build-context $ref=oci-layout://$src:$tag \
      --output type=oci,dest=$T/rl/out-$n,tar=false '$ctx'" >"$T/rl-$n.log" 2>&1 ||
      { cat "$T/rl-$n.log" >&2; fail "rootless build $n"; }
  done
  for n in present etc; do
    [ "$(manifest_digest "$T/out-$n")" = "$(manifest_digest "$T/rl/out-$n")" ] ||
      fail "rootless image of Dockerfile.$n differs from root's"
  done
  ok "rootless: the same builds pass and give the same images as root"
else
  echo "ok - rootless part skipped: no user namespaces or newuidmap (the root part ran)"
fi
