#!/usr/bin/env bash
# buildx's outputs and result files through the real binary: type=local (-o DIR), type=tar
# (-o -), type=docker (a docker-load tarball read back by skopeo, and by docker when a daemon
# runs), type=image, --push, --iidfile, --metadata-file, -q; the files equal the image's
# (umoci unpack of the OCI output of the same build), local outputs hold no setuid bits, device
# nodes or FIFOs, are written atomically and never merged into an existing directory.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

busybox_context "$T/ctx"
echo note >"$T/ctx/note.txt"
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.kiln.test", b"v1")' "$T/ctx/note.txt"
{
  busybox_dockerfile
  cat <<'DF'
FROM base AS build
COPY note.txt /out/note.txt
RUN mkdir -p /out/bin /out/ro && echo hello > /out/bin/tool && chmod 4755 /out/bin/tool && \
    ln /out/bin/tool /out/bin/tool-hard && ln -s tool /out/bin/tool-link && mkfifo /out/fifo && \
    echo x > /out/ro/f && chown 10001:10001 /out/ro/f && chmod 555 /out/ro && \
    mkdir -p /gone && echo bye > /gone/file
RUN rm -rf /gone && echo v2 > /out/bin/tool-hard.txt
USER app
DF
} >"$T/ctx/Dockerfile"
{
  busybox_dockerfile
  cat <<'DF'
FROM base AS build
RUN mkdir -p /out && echo artifact > /out/app.bin
FROM scratch AS export
COPY --from=build /out/ /
DF
} >"$T/ctx/Dockerfile.artifact"
me="$(id -u):$(id -g)"

# tree DIR: "path type mode uid:gid [sha|-> target] [xattr]" of every entry, sorted
tree() {
  python3 - "$1" <<'PY'
import hashlib, os, stat, sys
root = sys.argv[1]
for d, dirs, files in sorted(os.walk(root)):
    for name in sorted(dirs + files):
        p = os.path.join(d, name)
        st = os.lstat(p)
        rel = os.path.relpath(p, root)
        kind = {stat.S_IFDIR: "dir", stat.S_IFREG: "file", stat.S_IFLNK: "sym", stat.S_IFIFO: "fifo"}.get(stat.S_IFMT(st.st_mode), "other")
        line = f"{rel} {kind} {stat.S_IMODE(st.st_mode):o} {st.st_uid}:{st.st_gid}"
        if kind == "file":
            line += " " + hashlib.sha256(open(p, "rb").read()).hexdigest()[:12]
        if kind == "sym":
            line += " -> " + os.readlink(p)
        if kind in ("file", "dir"):
            xs = sorted(x for x in os.listxattr(p, follow_symlinks=False) if x.startswith("user."))
            if xs:
                line += " " + ",".join(xs)
        print(line)
PY
}

# --- the image itself, as umoci unpacks it, is the reference ---
kbuild --no-sbom --no-provenance -t out:1 --output "type=oci,dest=$T/oci,tar=false" "$T/ctx" >/dev/null
skopeo copy -q "oci:$T/oci:1" "oci:$T/plain:1" >/dev/null
umoci unpack --image "$T/plain:1" "$T/unpacked" >/dev/null 2>&1 || fail "umoci unpack"
tree "$T/unpacked/rootfs" >"$T/image.tree"
grep -q '^out/bin/tool file 4755 0:0' "$T/image.tree" || fail "the image lacks the setuid file: $(grep tool "$T/image.tree")"
grep -q '^out/fifo fifo' "$T/image.tree" || fail "the image lacks the FIFO"

# --- type=local ---
kbuild -o "type=local,dest=$T/local" "$T/ctx" >"$T/local.stdout"
[ ! -s "$T/local.stdout" ] || fail "type=local printed on stdout: $(cat "$T/local.stdout")"
tree "$T/local" >"$T/local.tree"
# the image's files, owned by the invoking user, without setuid/setgid bits and without the FIFO
python3 - "$T/image.tree" "$me" <<'PY' >"$T/local.want"
import sys
for line in open(sys.argv[1]):
    f = line.split()
    if f[1] == "fifo":
        continue
    f[2] = "%o" % (int(f[2], 8) & 0o1777)
    f[3] = sys.argv[2]
    print(" ".join(f))
PY
diff -u "$T/local.want" "$T/local.tree" || fail "type=local differs from the image's files"
[ "$(stat -c %i "$T/local/out/bin/tool")" = "$(stat -c %i "$T/local/out/bin/tool-hard")" ] ||
  fail "the hard link of a RUN layer was not kept"
ok "type=local: the image's files as the invoking user, no setuid bit, no FIFO, hard links kept"

# a base whose layer carries a user xattr and a file capability (umoci repacks both)
rl=()
[ "$(id -u)" = 0 ] || rl=(--rootless)
umoci init --layout "$T/xb" >/dev/null 2>&1 && umoci new --image "$T/xb:1" >/dev/null 2>&1 &&
  umoci unpack "${rl[@]}" --image "$T/xb:1" "$T/xb-bundle" >/dev/null 2>&1 || fail "umoci base"
echo x >"$T/xb-bundle/rootfs/capfile"
python3 - "$T/xb-bundle/rootfs/capfile" "$(id -u)" <<'PY' || fail "setxattr"
import os, struct, sys
os.setxattr(sys.argv[1], "user.kiln.test", b"v1")
if sys.argv[2] == "0":  # cap_net_raw, v2 (only root may set it)
    os.setxattr(sys.argv[1], "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0))
PY
umoci repack --image "$T/xb:1" "$T/xb-bundle" >/dev/null 2>&1 || fail "umoci repack"
printf 'FROM xb\n' >"$T/ctx/Dockerfile.xattr"
kbuild -f "$T/ctx/Dockerfile.xattr" --build-context "xb=oci-layout://$T/xb:1" -o "$T/xattr" "$T/ctx" >/dev/null
python3 - "$T/xattr/capfile" <<'PY' || fail "xattrs of type=local: $(python3 -c 'import os,sys; print(os.listxattr(sys.argv[1]))' "$T/xattr/capfile")"
import os, sys
xs = os.listxattr(sys.argv[1])
assert "user.kiln.test" in xs and os.getxattr(sys.argv[1], "user.kiln.test") == b"v1", xs
assert "security.capability" not in xs, xs
PY
if [ "$(id -u)" = 0 ]; then
  kbuild -f "$T/ctx/Dockerfile.xattr" --build-context "xb=oci-layout://$T/xb:1" -o "type=tar,dest=$T/xattr.tar" "$T/ctx" >/dev/null
  python3 - "$T/xattr.tar" <<'PY' || fail "type=tar lost the layer's file capability"
import sys, tarfile
m = tarfile.open(sys.argv[1]).getmember("capfile")
assert "SCHILY.xattr.security.capability" in m.pax_headers, m.pax_headers
PY
fi
ok "type=local keeps user.* xattrs and never sets a file capability on the host; type=tar keeps the layer's"

kbuild -o "$T/short" "$T/ctx" >/dev/null
diff <(tree "$T/short") "$T/local.tree" >/dev/null || fail "-o DIR is not type=local"
ok "-o DIR is type=local (buildx's shorthand)"

expect_fail 2 "destination directory .* is not empty: kiln writes the files to a new directory" \
  "$KILN" build --root "$ROOT" -o "type=local,dest=$T/local" "$T/ctx"
diff <(tree "$T/local") "$T/local.tree" >/dev/null || fail "the refused output was touched"
mkdir "$T/empty"
kbuild -o "type=local,dest=$T/empty" "$T/ctx" >/dev/null
diff <(tree "$T/empty") "$T/local.tree" >/dev/null || fail "an empty directory was not filled"
touch "$T/afile"
expect_fail 2 "destination directory .*/afile is a file" "$KILN" build --root "$ROOT" -o "type=local,dest=$T/afile" "$T/ctx"
ok "type=local never merges into a non-empty directory; an empty one is replaced"

printf 'FROM scratch\nCOPY note.txt /\nRUN false\n' >"$T/ctx/Dockerfile.fail"
expect_fail 1 "RUN false" "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.fail" -o "type=local,dest=$T/never" "$T/ctx"
[ ! -e "$T/never" ] || fail "a failed build left an output"
[ -z "$(ls -d "$T"/*.kiln-tmp-* 2>/dev/null)" ] || fail "a temporary output was left: $(ls -d "$T"/*.kiln-tmp-*)"
ok "a failed build writes no local output and leaves no temporary directory"

# --- type=tar ---
kbuild -o "type=tar,dest=$T/fs.tar" "$T/ctx" >/dev/null
kbuild -o - "$T/ctx" >"$T/stdout.tar"
cmp "$T/fs.tar" "$T/stdout.tar" || fail "-o - differs from type=tar,dest=FILE"
mkdir "$T/fromtar"
tar -C "$T/fromtar" --xattrs --xattrs-include='user.*' --same-owner -xpf "$T/fs.tar"
# as root, extraction restores the image's owners and modes (setuid and FIFO included)
if [ "$(id -u)" = 0 ]; then
  diff -u "$T/image.tree" <(tree "$T/fromtar") || fail "type=tar differs from the image's files"
fi
python3 - "$T/fs.tar" <<'PY' || fail "type=tar listing"
import sys, tarfile
t = tarfile.open(sys.argv[1])
m = {x.name.rstrip("/"): x for x in t.getmembers()}
assert m["out/bin/tool"].mode == 0o4755, oct(m["out/bin/tool"].mode)
assert m["out/fifo"].isfifo()
assert m["out/ro/f"].uid == 10001 and m["out/ro/f"].gid == 10001
assert m["out/bin/tool-hard"].islnk() and m["out/bin/tool-hard"].linkname == "out/bin/tool"
assert "gone" not in m and "gone/file" not in m
names = [x.name.rstrip("/") for x in t.getmembers()]
for i, n in enumerate(names):  # parents first
    if "/" in n:
        assert n.rsplit("/", 1)[0] in names[:i], n
assert len(names) == len(set(names))
PY
ok "type=tar (and -o - on stdout): the image's files with its owners, modes, FIFO and hard links, parents first"

# --- archives on stdout: type=oci without dest (buildx: stdout), type=docker,dest=- ---
kbuild -t out:1 -o type=oci "$T/ctx" >"$T/stdout-oci.tar"
tar -tf "$T/stdout-oci.tar" >"$T/stdout-oci.list"
grep -qx index.json "$T/stdout-oci.list" || fail "type=oci on stdout is not an OCI archive"
mkdir "$T/stdout-oci" && tar -C "$T/stdout-oci" -xf "$T/stdout-oci.tar"
check_layout "$T/stdout-oci" 1
kbuild -t out:1 -o type=docker,dest=- "$T/ctx" >"$T/stdout-docker.tar"
tar -tf "$T/stdout-docker.tar" >"$T/stdout-docker.list"
grep -qx manifest.json "$T/stdout-docker.list" || fail "type=docker,dest=- has no manifest.json"
for f in stdout-oci.tar stdout-docker.tar stdout.tar; do # the archive's end-of-archive blocks, then nothing
  [ -z "$(tail -c 1024 "$T/$f" | tr -d '\0')" ] || fail "$f: something follows the archive on stdout"
done
if script -qec "$KILN build --root $ROOT -o - $T/ctx" /dev/null >"$T/tty.log" 2>&1; then
  fail "a tar was written to a terminal"
fi
grep -q "refusing to write to console" "$T/tty.log" || fail "no refusal on a terminal: $(cat "$T/tty.log")"
ok "type=oci without dest and type=docker,dest=- write the archive on stdout (and only it); a terminal is refused"

# --- artifact stages: FROM scratch, no CMD/ENTRYPOINT, files out ---
kbuild -f "$T/ctx/Dockerfile.artifact" -o "$T/artifact" "$T/ctx" >/dev/null
[ "$(cat "$T/artifact/app.bin")" = artifact ] || fail "artifact stage output"
[ "$(ls "$T/artifact")" = app.bin ] || fail "artifact output holds more: $(ls "$T/artifact")"
ok "a FROM scratch artifact stage exports its files with -o DIR"

# --- type=docker ---
kbuild -t ci/app:1 --iidfile "$T/docker.iid" --metadata-file "$T/docker.md" \
  -o "type=docker,dest=$T/docker.tar" "$T/ctx" >"$T/docker.stdout"
cfg=$(manifest_digest "$T/oci" | xargs -I{} sh -c "cat $T/oci/blobs/sha256/\$(echo {} | cut -d: -f2)" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')
[ "$(cat "$T/docker.iid")" = "$cfg" ] || fail "iidfile of type=docker is $(cat "$T/docker.iid"), the config is $cfg"
python3 - "$T/docker.tar" "$cfg" "$T/docker.md" <<'PY' || fail "docker archive structure"
import hashlib, io, json, sys, tarfile
t = tarfile.open(sys.argv[1])
names = set(t.getnames())
m = json.load(t.extractfile("manifest.json"))
assert len(m) == 1 and m[0]["RepoTags"] == ["ci/app:1"], m
assert m[0]["Config"] == "blobs/sha256/" + sys.argv[2][7:], m
cfg = json.load(t.extractfile(m[0]["Config"]))
assert len(m[0]["Layers"]) == len(cfg["rootfs"]["diff_ids"]) > 0
for path, diff_id in zip(m[0]["Layers"], cfg["rootfs"]["diff_ids"]):
    assert path in names, path
    data = t.extractfile(path).read()
    assert "sha256:" + hashlib.sha256(data).hexdigest() == "sha256:" + path.split("/")[-1]
    raw = tarfile.open(fileobj=io.BytesIO(data)).fileobj  # gzip or plain: tarfile reads both
import gzip
for path, diff_id in zip(m[0]["Layers"], cfg["rootfs"]["diff_ids"]):
    data = t.extractfile(path).read()
    plain = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    assert "sha256:" + hashlib.sha256(plain).hexdigest() == diff_id
idx = json.load(t.extractfile("index.json"))
assert idx["manifests"][0]["annotations"]["io.containerd.image.name"] == "docker.io/ci/app:1"
md = json.load(open(sys.argv[3]))
assert md["containerimage.config.digest"] == sys.argv[2], md
assert md["containerimage.digest"] == idx["manifests"][0]["digest"] == md["containerimage.descriptor"]["digest"]
assert md["containerimage.descriptor"]["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
assert md["image.name"] == "docker.io/ci/app:1"
PY
[ "$(cat "$T/docker.stdout")" = "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["containerimage.digest"])' "$T/docker.md")" ] ||
  fail "stdout is not the manifest digest"
skopeo inspect "docker-archive:$T/docker.tar:ci/app:1" >"$T/sk.json" || fail "skopeo cannot read the docker archive"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["Os"]=="linux" and len(d["Layers"])>=3, d' "$T/sk.json" ||
  fail "skopeo inspect: $(cat "$T/sk.json")"
skopeo copy -q "docker-archive:$T/docker.tar:ci/app:1" "oci:$T/from-docker:1" >/dev/null ||
  fail "skopeo copy from the docker archive"
ok "type=docker: docker save format (manifest.json, config, layers, diff_ids) plus the OCI layout; skopeo reads it; iidfile is the config digest"

if [ -x /usr/bin/docker ] && /usr/bin/docker info >/dev/null 2>&1; then
  /usr/bin/docker load -i "$T/docker.tar" >"$T/load.log" 2>&1 || { cat "$T/load.log" >&2; fail "docker load"; }
  id=$(/usr/bin/docker image inspect -f '{{.Id}}' ci/app:1)
  /usr/bin/docker image rm ci/app:1 >/dev/null 2>&1 || true
  [ "$id" = "$cfg" ] || fail "docker loaded image $id, kiln's config is $cfg"
  ok "docker load accepts type=docker and names the image by the iidfile digest"
else
  skip_check "docker load of type=docker" "no Docker daemon running here"
fi

# --- result files and -q for an image with attestations ---
kbuild -t ci/app:2 --iidfile "$T/oci.iid" --metadata-file "$T/oci.md" \
  -o "type=oci,dest=$T/att.tar" "$T/ctx" >"$T/oci.stdout"
mkdir "$T/att" && tar -C "$T/att" -xf "$T/att.tar"
top=$(top_digest "$T/att")
[ "$(cat "$T/oci.iid")" = "$top" ] || fail "iidfile with attestations: $(cat "$T/oci.iid"), index $top"
python3 - "$T/oci.md" "$top" "$T/att" <<'PY' || fail "metadata file: $(cat "$T/oci.md")"
import json, os, sys
md = json.load(open(sys.argv[1]))
assert "containerimage.config.digest" not in md  # BuildKit: only for a single manifest
assert md["containerimage.digest"] == sys.argv[2]
d = md["containerimage.descriptor"]
assert d["mediaType"] == "application/vnd.oci.image.index.v1+json"
assert d["size"] == os.path.getsize(sys.argv[3] + "/blobs/sha256/" + sys.argv[2][7:])
assert d["annotations"]["org.opencontainers.image.created"] == "2020-01-01T00:00:00Z"
assert md["image.name"] == "docker.io/ci/app:2"
assert list(md) == sorted(md)
PY
out=$("$KILN" build --root "$ROOT" -q -t ci/app:3 --no-sbom --no-provenance "$T/ctx" 2>/dev/null)
[ "$out" = "$cfg" ] || fail "-q printed '$out', want the config digest $cfg"
expect_fail 2 "progress=plain and quiet cannot be used together" "$KILN" build --root "$ROOT" -q --progress plain "$T/ctx"
ok "--iidfile, --metadata-file (buildx's keys) and -q: the index digest with attestations, the config digest for one image"

echo stale >"$T/stale.iid"
expect_fail 1 "RUN false" "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.fail" --iidfile "$T/stale.iid" "$T/ctx"
[ ! -e "$T/stale.iid" ] || fail "a failed build left a stale iidfile"
ok "a failed build removes a stale --iidfile (as buildx)"

# --- spellings and refusals ---
expect_fail 2 "local and tar exporters are incompatible with image ID file" \
  "$KILN" build --root "$ROOT" -o "$T/x" --iidfile "$T/x.iid" "$T/ctx"
expect_fail 2 "--load loads the image into a Docker daemon, and kiln has none" "$KILN" build --root "$ROOT" --load "$T/ctx"
expect_fail 2 "--push with this --output" "$KILN" build --root "$ROOT" --push -t a/b -o "type=oci,dest=$T/y" "$T/ctx"
expect_fail 2 "tag is needed when pushing to registry" "$KILN" build --root "$ROOT" --push "$T/ctx"
expect_fail 2 "type=docker without dest loads the image into a Docker daemon" "$KILN" build --root "$ROOT" -o type=docker "$T/ctx"
expect_fail 2 "kiln writes one output per build" "$KILN" build --root "$ROOT" -o "$T/a" -o "$T/b" "$T/ctx"
expect_fail 2 "type is required for output" "$KILN" build --root "$ROOT" -o "dest=$T/a,tar=false" "$T/ctx"
d=$(kbuild -o type=image -t ci/app:4 "$T/ctx")
[[ $d == sha256:* ]] || fail "type=image without push printed '$d'"
ok "buildx's refusals and spellings: --load, --push with another output, type=image without push"
