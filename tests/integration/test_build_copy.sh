#!/usr/bin/env bash
# COPY/ADD with Docker's rules, checked by reading the result back with umoci and skopeo.
source "$(dirname "$0")/lib/common.sh"

case_dir=$KILN_SRC/testdata/build/copy-rules
cp -a "$case_dir/ctx" "$T/ctx"
chmod 0644 "$T"/ctx/*.txt "$T"/ctx/*.md "$T"/ctx/dir/x.txt "$T"/ctx/dir/sub/y.txt
chmod 0755 "$T/ctx/dir" "$T/ctx/dir/sub"
mkdir -p "$T/arch/top"
echo "in archive" >"$T/arch/top/inside.txt"
chmod 0640 "$T/arch/top/inside.txt"
tar --sort=name --owner=7 --group=8 --numeric-owner --mtime=@0 -C "$T/arch" -czf "$T/ctx/archive.tar.gz" top

kbuild -t copy:1 --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/digest"
check_layout "$T/out" 1
ok "COPY/ADD layout passes check-oci-layout"

unpack_tree "$T/out" 1 "$T/unpacked" >"$T/tree"
if ! diff -u "$case_dir/expected.tree" "$T/tree"; then
  fail "unpacked tree differs from testdata/build/copy-rules/expected.tree"
fi
ok "unpacked tree (paths, modes, owners, contents) is as expected"

grep -q "^secret.md" "$T/tree" && fail ".dockerignore'd file was copied"
ok ".dockerignore excludes files from COPY *.md"

skopeo inspect "oci:$T/out:1" >"$T/inspect.json"
top=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"])' "$T/out")
[ "$top" = "$(cat "$T/digest")" ] || fail "kiln printed a digest that is not what the tag points to"
python3 - "$T/inspect.json" "$top" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
assert i["Digest"] == sys.argv[2], (i["Digest"], sys.argv[2])
assert i["Os"] == "linux" and i["Architecture"] == "amd64"
assert len(i["Layers"]) == 13, len(i["Layers"])
PY
ok "skopeo reads the image; digest printed by kiln matches"

config=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["config"]["digest"])' \
  <(blob_json "$T/out" "$(manifest_digest "$T/out")"))
blob_json "$T/out" "$config" >"$T/config.json"
python3 - "$T/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
h = c["history"]
by = [e["created_by"] for e in h]
assert by[0] == "COPY file.txt /a/ # buildkit", by[0]
assert "COPY --chown=10:20 --chmod=0600 file.txt /f/ # buildkit" in by, by
assert "WORKDIR /w" in by, by
assert all(e["comment"] == "buildkit.dockerfile.v0" for e in h)
assert all(e["created"] == "2020-01-01T00:00:00Z" for e in h)
assert c["config"]["WorkingDir"] == "/w"
assert len([e for e in h if not e.get("empty_layer")]) == len(c["rootfs"]["diff_ids"])
PY
ok "config history follows BuildKit (created_by, comment, epoch, empty_layer)"

"$KILN" inspect "$T/out:1" >"$T/inspect.txt"
grep -qx "Digest: $(manifest_digest "$T/out")" "$T/inspect.txt" || { cat "$T/inspect.txt"; fail "inspect digest"; }
grep -qx "Index: $(cat "$T/digest")" "$T/inspect.txt" || fail "inspect index digest"
grep -qx "Attestations: 3" "$T/inspect.txt" || fail "inspect attestations"
grep -qx "Layers: 13 (.*)" "$T/inspect.txt" || fail "inspect layers"
grep -qx "User: 10001" "$T/inspect.txt" || fail "inspect user"
expect_fail 2 "no image named 'nope'" "$KILN" inspect "$T/out:nope"
ok "kiln inspect summarises the image"

# heredoc sources: expanded unless the delimiter is quoted, tabs stripped for <<-
mkdir -p "$T/hd"
printf 'FROM scratch\nARG A=world\nCOPY <<EOF /x.txt\nhello $A\nEOF\nCOPY --chmod=755 <<-"EOT" <<TWO /dir/\n\techo $A\n\tEOT\ntwo $A\nTWO\nUSER 1\n' >"$T/hd/Dockerfile"
kbuild -t hd:1 --output "type=oci,dest=$T/hdo,tar=false" "$T/hd" >/dev/null
unpack_tree "$T/hdo" 1 "$T/hdu" >"$T/hd.tree"
grep -q "^dir/EOT file 755 0:0" "$T/hd.tree" && grep -q "^x.txt file 644 0:0" "$T/hd.tree" || { cat "$T/hd.tree"; fail "heredoc files"; }
[ "$(cat "$T/hdu/rootfs/x.txt")" = "hello world" ] || fail "COPY <<EOF expands variables"
[ "$(cat "$T/hdu/rootfs/dir/EOT")" = 'echo $A' ] || fail "a quoted delimiter keeps \$A, <<- strips tabs"
[ "$(cat "$T/hdu/rootfs/dir/TWO")" = "two world" ] || fail "second heredoc"
ok "COPY <<EOF heredoc sources (expansion, quoted delimiters, <<-, several per line)"

# --exclude (patterns as .dockerignore, relative to each source) and --parents (with a ./ pivot)
mkdir -p "$T/pe/src/a/b" "$T/pe/src/c"
echo 1 >"$T/pe/src/a/b/x.txt"; echo 2 >"$T/pe/src/a/b/y.md"; echo 3 >"$T/pe/src/c/z.txt"; echo 4 >"$T/pe/src/top.md"
printf 'FROM scratch\nCOPY --exclude=*.md --exclude=c src /ex/\nCOPY --exclude=**/*.md src /ex2/\nCOPY --parents src/a/b/x.txt src/c /par/\nCOPY --parents ./src/./a/b/y.md /piv/\nUSER 1\n' >"$T/pe/Dockerfile"
kbuild -t pe:1 --output "type=oci,dest=$T/peo,tar=false" "$T/pe" >/dev/null
unpack_tree "$T/peo" 1 "$T/peu" | cut -d' ' -f1 | tr '\n' ' ' >"$T/pe.tree"
want="ex ex/a ex/a/b ex/a/b/x.txt ex/a/b/y.md ex2 ex2/a ex2/a/b ex2/a/b/x.txt ex2/c ex2/c/z.txt par par/src par/src/a par/src/a/b par/src/a/b/x.txt par/src/c par/src/c/z.txt piv piv/a piv/a/b piv/a/b/y.md "
[ "$(cat "$T/pe.tree")" = "$want" ] || fail "--exclude/--parents: got $(cat "$T/pe.tree")"
ok "COPY --exclude and --parents"
