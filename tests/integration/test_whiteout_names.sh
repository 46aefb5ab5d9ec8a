#!/usr/bin/env bash
# Whiteout names made by a build (issue 13 item 7): a file whose name starts with ".wh." is a
# deletion marker in an OCI layer. Before the fix, `RUN touch /etc/.wh.passwd` shipped a layer
# that deletes /etc/passwd for every consumer (umoci, containerd) while kiln's own steps, USER
# resolution and SBOM saw a file. BuildKit ships such names too; kiln refuses them, from RUN (both
# snapshotters), COPY (a context file or a directory holding one), ADD (an archive entry), a
# heredoc and WORKDIR, naming the line. Real deletions still become markers.
source "$(dirname "$0")/lib/common.sh"

deb=$("$KILN_SRC/tests/integration/lib/make-debian-image.sh") || fail "cannot make the Debian image"
ctx=$T/ctx
mkdir -p "$ctx/tree/sub"
printf 'x\n' >"$ctx/.wh.hosts"
printf 'x\n' >"$ctx/tree/sub/.wh..wh..opq"
printf 'ok\n' >"$ctx/ok.wh.txt"
py - "$ctx/wh.tar" <<'PY'
import sys
from rawtar import RawTar
w = RawTar(open(sys.argv[1], "wb"))
w.entry(b"etc/.wh.shadow", data=b"")
w.close()
PY

# refused FILE LINE PATH [SNAPSHOTTER]: the build of Dockerfile.FILE fails naming LINE and PATH,
# and leaves no layer of that step and no step directory in the store
refused() {
  local f=$1 line=$2 path=$3 snap=${4:-}
  local store=$T/store-$f${snap:+-$snap}
  KILN_SNAPSHOTTER=$snap expect_fail 2 \
    "Dockerfile.$f:$line: .*'$path': a name starting with '.wh.' is a whiteout in an OCI layer" \
    "$KILN" build --root "$store" --progress quiet -f "$ctx/Dockerfile.$f" \
    --build-context deb=oci-layout://"$deb":12 "$ctx"
  [ -z "$(find "$store/snapshots" -maxdepth 1 -name '.step-*' -o -maxdepth 1 -name '.tmp-*' 2>/dev/null)" ] ||
    fail "$f: step directories left in the store"
  ! grep -rqs -- "$(basename "$path")" "$store/cache" || fail "$f: a cache record names the refused layer"
}

printf 'FROM deb\nRUN echo fine\nRUN touch /etc/.wh.passwd\nUSER nobody\n' >"$ctx/Dockerfile.run"
printf 'FROM deb\nRUN mkdir /opt/d && touch /opt/d/.wh..wh..opq\nUSER nobody\n' >"$ctx/Dockerfile.opq"
printf 'FROM deb\nRUN mkdir -p /srv/.wh.dir && touch /srv/.wh.dir/f\nUSER nobody\n' >"$ctx/Dockerfile.dir"
refused run 3 /etc/.wh.passwd
refused run 3 /etc/.wh.passwd copy
refused opq 2 /opt/d/.wh..wh..opq
refused dir 2 /srv/.wh.dir
ok "RUN that creates .wh.* names (file, opaque marker, directory) fails naming the line, overlay and copy snapshotters"

printf 'FROM deb\nCOPY .wh.hosts /etc/\nUSER nobody\n' >"$ctx/Dockerfile.copy"
printf 'FROM deb\nCOPY tree/ /opt/tree/\nUSER nobody\n' >"$ctx/Dockerfile.copydir"
printf 'FROM deb\nADD wh.tar /\nUSER nobody\n' >"$ctx/Dockerfile.add"
printf 'FROM deb\nCOPY <<EOF /etc/.wh.group\nx\nEOF\nUSER nobody\n' >"$ctx/Dockerfile.heredoc"
printf 'FROM deb\nWORKDIR /srv/.wh.app\nUSER nobody\n' >"$ctx/Dockerfile.workdir"
refused copy 2 /etc/.wh.hosts
refused copydir 2 /opt/tree/sub/.wh..wh..opq
refused add 2 /etc/.wh.shadow
refused heredoc 2 /etc/.wh.group
refused workdir 2 /srv/.wh.app
ok "COPY, ADD, heredoc and WORKDIR that would write .wh.* names fail naming the line"

# names that only look alike pass, and real deletions still become markers
cat >"$ctx/Dockerfile.fine" <<'DF'
FROM deb
COPY ok.wh.txt /srv/
RUN touch /srv/.whatever /srv/a.wh.b && rm /etc/motd
USER nobody
DF
kbuild -f "$ctx/Dockerfile.fine" --build-context deb=oci-layout://"$deb":12 \
  --output "type=oci,dest=$T/out,tar=false" "$ctx" >/dev/null 2>"$T/fine.log" ||
  { cat "$T/fine.log" >&2; fail "build with look-alike names"; }
layer=$(py -c 'import oci,sys; print(oci.image_manifest(sys.argv[1])["layers"][-1]["digest"][7:])' "$T/out")
tar -tzf "$T/out/blobs/sha256/$layer" >"$T/listing"
grep -qx 'etc/.wh.motd' "$T/listing" || { cat "$T/listing"; fail "the deletion of /etc/motd has no marker"; }
grep -qx 'srv/.whatever' "$T/listing" && grep -qx 'srv/a.wh.b' "$T/listing" || { cat "$T/listing"; fail "look-alike names"; }
ok "look-alike names pass; a real deletion still writes its .wh. marker"
