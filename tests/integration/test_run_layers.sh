#!/usr/bin/env bash
# RUN steps over a busybox base built by kiln itself: created, modified and deleted files,
# replaced directories, hard links, no sandbox stub in any layer, ENV/ARG/USER/WORKDIR in the
# step, BuildKit's history, checked with check-oci-layout and umoci.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

busybox_context "$T/ctx"
mkdir -p "$T/ctx/rootfs/data/old" "$T/ctx/rootfs/srv"
echo keep >"$T/ctx/rootfs/data/keep.txt"
echo gone >"$T/ctx/rootfs/data/old/a.txt"
echo b >"$T/ctx/rootfs/data/old/b.txt"
echo v1 >"$T/ctx/rootfs/srv/conf"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
ARG FLAVOR=plain
ENV GREETING=hello
RUN echo "$GREETING $FLAVOR" > /created.txt && echo v2 >> /srv/conf && rm /data/keep.txt
RUN rm -rf /data/old && mkdir /data/old && echo new > /data/old/c.txt && ln /created.txt /hard.txt
WORKDIR /work
RUN pwd > where.txt && test ! -e /etc/hosts.kiln && hostname > /host.txt
USER app
RUN id -u > /tmp/uid.txt && echo "$HOME" > /tmp/home.txt
DF
} >"$T/ctx/Dockerfile"

kbuild -t run:1 --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/digest"
check_layout "$T/out" 1
ok "a build with RUN steps passes check-oci-layout"

[ "$(layer_count "$T/out")" = 6 ] || fail "expected 6 layers (COPY, 3 RUN, WORKDIR, RUN), got $(layer_count "$T/out")"
layer_list "$T/out" 2 >"$T/l2"
cat >"$T/want2" <<'L'
created.txt
data/
data/.wh.keep.txt
srv/
srv/conf
L
diff -u "$T/want2" "$T/l2" || fail "layer of the first RUN"
ok "first RUN layer: created, modified, deleted (whiteout) and nothing else"

layer_list "$T/out" 3 >"$T/l3"
grep -qx 'data/old/' "$T/l3" || fail "replaced directory missing: $(cat "$T/l3")"
grep -qx 'data/old/.wh..wh..opq' "$T/l3" || { grep -qx 'data/old/.wh.a.txt' "$T/l3" && grep -qx 'data/old/.wh.b.txt' "$T/l3"; } ||
  fail "replaced directory hides nothing below: $(cat "$T/l3")"
grep -qx 'data/old/c.txt' "$T/l3" || fail "new file in the replaced directory"
grep -qx 'hard.txt' "$T/l3" || fail "hard link"
ok "second RUN layer: replaced directory (opaque) and a hard link"

all_layer_paths "$T/out" "$T/all"
if grep -Eq '^(proc|sys|dev)/?$|^etc/(hosts|hostname|resolv\.conf)$|^(proc|sys|dev)/' "$T/all"; then
  fail "a sandbox stub reached a layer: $(grep -E '^(proc|sys|dev)|^etc/(hosts|hostname|resolv)' "$T/all")"
fi
ok "no sandbox stub (proc, sys, dev, etc/hosts, etc/hostname, etc/resolv.conf) in any layer"

unpack_tree "$T/out" 1 "$T/unpacked" >"$T/tree"
r=$T/unpacked/rootfs
[ "$(cat "$r/created.txt")" = "hello plain" ] || fail "ENV and ARG in the step: $(cat "$r/created.txt")"
[ "$(cat "$r/srv/conf")" = "$(printf 'v1\nv2')" ] || fail "modified file"
[ ! -e "$r/data/keep.txt" ] || fail "deleted file is back"
[ ! -e "$r/data/old/a.txt" ] && [ -e "$r/data/old/c.txt" ] || fail "replaced directory content"
[ "$(stat -c %i "$r/created.txt")" = "$(stat -c %i "$r/hard.txt")" ] || fail "hard link lost"
[ "$(cat "$r/work/where.txt")" = /work ] || fail "WORKDIR"
[ "$(cat "$r/host.txt")" = kiln ] || fail "hostname"
[ "$(cat "$r/tmp/uid.txt")" = 10001 ] || fail "USER app"
[ "$(cat "$r/tmp/home.txt")" = /home/app ] || fail "HOME of USER app from /etc/passwd: $(cat "$r/tmp/home.txt")"
grep -q '^tmp/uid.txt file 644 10001:10001' "$T/tree" || fail "owner of a file made by USER app: $(grep uid.txt "$T/tree")"
grep -q '^srv/conf file 644 0:0' "$T/tree" || fail "modified base file keeps its owner"
ok "umoci unpack: contents, owners (container ids), WORKDIR, USER, hostname"

image_config "$T/out" >"$T/config.json"
python3 - "$T/config.json" <<'PY' || fail "history"
import json, sys
h = [e.get("created_by", "") for e in json.load(open(sys.argv[1]))["history"]]
want = 'RUN |1 FLAVOR=plain /bin/sh -c echo "$GREETING $FLAVOR" > /created.txt && echo v2 >> /srv/conf && rm /data/keep.txt # buildkit'
assert want in h, h
assert any(x.startswith("RUN |1 FLAVOR=plain /bin/sh -c id -u") for x in h), h
PY
ok "history created_by as BuildKit writes it"

if grep -q "$ROOT" /proc/self/mountinfo; then fail "a mount of the build is left on the host"; fi
ok "no mount left in the host's mount table"

kbuild --progress plain -t run:1 --output "type=oci,dest=$T/out2,tar=false" "$T/ctx" >"$T/rebuild.log" 2>&1 ||
  { cat "$T/rebuild.log"; fail "rebuild"; }
[ "$(grep -c '^#[0-9]* CACHED' "$T/rebuild.log")" -ge 4 ] || { cat "$T/rebuild.log"; fail "RUN steps not cached"; }
[ "$(tail -1 "$T/rebuild.log")" = "$(cat "$T/digest")" ] || fail "the cached rebuild has another digest"
sed -i 's/^RUN pwd > where.txt/RUN pwd > where.txt \&\& true/' "$T/ctx/Dockerfile"
"$KILN" build --root "$ROOT" --progress json -t run:1 --output "type=oci,dest=$T/out3,tar=false" "$T/ctx" \
  >/dev/null 2>"$T/rebuild.json" || { cat "$T/rebuild.json"; fail "rebuild after the change"; }
steps=$(progress_steps "$T/rebuild.json")
case "|${steps#*|}" in
  *"|RUN pwd > where.txt && true &&"* | *",RUN pwd > where.txt && true &&"*) ;;
  *) fail "the changed RUN did not run again (cached|ran: $steps)" ;;
esac
ok "an unchanged rebuild takes RUN steps from the step cache (same digest); a changed RUN runs again"
