#!/usr/bin/env bash
# Same inputs from two directories, with different mtimes, at different times: same digest.
source "$(dirname "$0")/lib/common.sh"

for i in 1 2; do
  cp -a "$KILN_SRC/examples/hello" "$T/ctx$i"
  find "$T/ctx$i" -exec touch -d "@$((1000000 * i))" {} +
done
touch "$T/ctx2/hello.txt" # now

d1=$(kbuild --output "type=oci,dest=$T/o1,tar=false" "$T/ctx1")
sleep 1.1
d2=$("$KILN" build --root "$T/root2" --progress quiet --output "type=oci,dest=$T/o2,tar=false" "$T/ctx2")
[ "$d1" = "$d2" ] || fail "digests differ: $d1 vs $d2"
[ "$(top_digest "$T/o1")" = "$d1" ] || fail "index.json does not point at the printed digest"
diff -r "$T/o1" "$T/o2" >/dev/null || fail "the two layouts differ byte for byte"
ok "two builds of the same inputs give the same manifest digest and the same layout"

d3=$(SOURCE_DATE_EPOCH=1700000000 "$KILN" build --root "$ROOT" --progress quiet "$T/ctx1")
d4=$(kbuild --source-date-epoch 1700000000 "$T/ctx2")
[ "$d3" = "$d4" ] || fail "SOURCE_DATE_EPOCH and --source-date-epoch disagree"
[ "$d3" != "$d1" ] || fail "SOURCE_DATE_EPOCH did not change the timestamps"
kbuild --source-date-epoch 1700000000 --output "type=oci,dest=$T/o3,tar=false" "$T/ctx1" >/dev/null
cfg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' \
  <(blob_json "$T/o3" "$(manifest_digest "$T/o3")"))
grep -q '"created":"2023-11-14T22:13:20Z"' <(blob_json "$T/o3" "$cfg") || fail "config created is not from SOURCE_DATE_EPOCH"
ok "SOURCE_DATE_EPOCH sets every timestamp"

kbuild --output "type=oci,dest=$T/a.tar" "$T/ctx1" >/dev/null
kbuild --output "type=oci,dest=$T/b.tar" "$T/ctx2" >/dev/null
cmp "$T/a.tar" "$T/b.tar" || fail "OCI archives differ"
mkdir "$T/x" && tar -C "$T/x" -xf "$T/a.tar"
check_layout "$T/x"
skopeo inspect "oci-archive:$T/a.tar" >/dev/null || fail "skopeo cannot read the OCI archive"
ok "OCI archive output (tar=true, the default) is reproducible and valid"
