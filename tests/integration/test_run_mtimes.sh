#!/usr/bin/env bash
# File times in RUN layers and SOURCE_DATE_EPOCH in RUN steps (issue 12 item 4): an mtime later
# than the epoch is lowered to it, an earlier one is kept (BuildKit's rewrite-timestamp); every
# step sees SOURCE_DATE_EPOCH (so Python writes hash-checked .pyc files), which never reaches the
# image's config; ARG SOURCE_DATE_EPOCH is BuildKit's predefined arg; --build-arg
# SOURCE_DATE_EPOCH=N sets the epoch as in BuildKit.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

busybox_context "$T/ctx"
{
  busybox_dockerfile
  cat <<'EOF'
FROM base
RUN touch -d @1000 /old && touch /new && mkdir /d && touch -d @2000 /d/f && echo "$SOURCE_DATE_EPOCH" >/epoch
ARG SOURCE_DATE_EPOCH
RUN echo "arg=$SOURCE_DATE_EPOCH" >/arg
USER app
EOF
} >"$T/ctx/Dockerfile"

# mtimes LAYOUT: "path mtime" of every entry of the image's RUN layers (layers 2 and 3)
mtimes() {
  py - "$1" <<'PY'
import oci, sys, tarfile
lay = sys.argv[1]
m = oci.image_manifest(lay)
for l in m["layers"][1:]:
    with tarfile.open(lay + "/blobs/sha256/" + l["digest"].split(":")[1]) as t:
        for e in t.getmembers():
            print(e.name, int(e.mtime))
PY
}

epoch=1700000000
kbuild --source-date-epoch $epoch -t mt:1 --output "type=oci,dest=$T/a,tar=false" "$T/ctx" >/dev/null ||
  fail "build with --source-date-epoch"
mtimes "$T/a" >"$T/a.times"
grep -qx "old 1000" "$T/a.times" || { cat "$T/a.times"; fail "an mtime older than the epoch was not kept"; }
grep -qx "d/f 2000" "$T/a.times" || { cat "$T/a.times"; fail "d/f: an older mtime was not kept"; }
grep -qx "new $epoch" "$T/a.times" || { cat "$T/a.times"; fail "a new file's mtime was not lowered to the epoch"; }
grep -qx "d $epoch" "$T/a.times" || { cat "$T/a.times"; fail "a new directory's mtime was not lowered to the epoch"; }
bad=$(awk -v e=$epoch '$2 > e' "$T/a.times")
[ -z "$bad" ] || fail "mtimes later than the epoch: $bad"
ok "RUN layers: mtimes later than the epoch become the epoch, earlier ones are kept"

unpack_tree "$T/a" 1 "$T/u" >/dev/null
[ "$(cat "$T/u/rootfs/epoch")" = $epoch ] || fail "RUN did not see SOURCE_DATE_EPOCH=$epoch"
[ "$(cat "$T/u/rootfs/arg")" = "arg=$epoch" ] || fail "ARG SOURCE_DATE_EPOCH is not the epoch: $(cat "$T/u/rootfs/arg")"
py - "$T/a" $epoch <<'PY'
import json, oci, sys
lay, epoch = sys.argv[1], sys.argv[2]
cfg = json.load(open(lay + "/blobs/sha256/" + oci.image_manifest(lay)["config"]["digest"].split(":")[1]))
env = cfg["config"].get("Env", [])
assert not any(e.startswith("SOURCE_DATE_EPOCH=") for e in env), env
runs = [h["created_by"] for h in cfg["history"] if h["created_by"].startswith("RUN ")]
assert not runs[0].startswith("RUN |"), runs[0]  # not declared: not in the history (BuildKit)
assert runs[1].startswith("RUN |1 SOURCE_DATE_EPOCH=%s " % epoch), runs[1]
PY
ok "every RUN sees SOURCE_DATE_EPOCH; ARG SOURCE_DATE_EPOCH is the predefined arg; the config has no trace"

kbuild -t mt:1 --output "type=oci,dest=$T/z,tar=false" "$T/ctx" >/dev/null || fail "build with the default epoch"
mtimes "$T/z" >"$T/z.times"
default=1577836800 # KILN_DEFAULT_EPOCH, 2020-01-01
bad=$(awk -v e=$default '$2 > e' "$T/z.times")
[ -z "$bad" ] || fail "default epoch: mtimes later than $default: $bad"
grep -q "^new $default\$" "$T/z.times" || fail "default epoch: /new is not at $default: $(grep '^new ' "$T/z.times")"
grep -q "^old 1000\$" "$T/z.times" || fail "default epoch: /old was raised: $(grep '^old ' "$T/z.times")"
unpack_tree "$T/z" 1 "$T/uz" >/dev/null
[ "$(cat "$T/uz/rootfs/epoch")" = $default ] || fail "RUN did not see SOURCE_DATE_EPOCH=$default by default"
ok "default epoch 2020-01-01: later mtimes lowered to it, older kept, steps see SOURCE_DATE_EPOCH"

d1=$(kbuild --no-provenance --source-date-epoch $epoch "$T/ctx")
d2=$(kbuild --no-provenance --build-arg SOURCE_DATE_EPOCH=$epoch "$T/ctx" 2>"$T/warn")
[ "$d1" = "$d2" ] || fail "--build-arg SOURCE_DATE_EPOCH does not set the epoch ($d1 vs $d2)"
! grep -q "were not consumed" "$T/warn" || fail "--build-arg SOURCE_DATE_EPOCH reported as unused"
expect_fail 2 "disagree" "$KILN" build --root "$ROOT" --source-date-epoch 5 --build-arg SOURCE_DATE_EPOCH=6 "$T/ctx"
expect_fail 2 "SOURCE_DATE_EPOCH" "$KILN" build --root "$ROOT" --build-arg SOURCE_DATE_EPOCH=soon "$T/ctx"
ok "--build-arg SOURCE_DATE_EPOCH=N is the epoch (BuildKit); a conflicting or bad value is refused"
