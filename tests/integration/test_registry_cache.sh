#!/usr/bin/env bash
# A build cache shared through a registry: two builds with different stores, the first pushes
# its cache (--cache-to type=registry,ref=...), the second reads it (--cache-from) and runs no
# RUN step; a changed input still runs; a missing cache is not an error.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
source "$(dirname "$0")/lib/busybox.sh"
registry_require
registry_start cache
R=127.0.0.1:$REG_PORT

busybox_context "$T/ctx"
echo v1 >"$T/ctx/input.txt"
{ busybox_dockerfile; cat <<'DF'; } >"$T/ctx/Dockerfile"
FROM base
RUN echo one >/one && sleep 0.2
COPY input.txt /input.txt
RUN cat /input.txt >/copied && echo two >/two
USER app
DF

ran() { # LOG: the RUN steps that ran (not cached)
  python3 - "$1" <<'PY'
import json, sys
names, ran = {}, []
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    if e["event"] == "step":
        names[e["id"]] = e["name"]
    elif e["event"] == "done" and not e["cached"] and "] RUN " in names[e["id"]]:
        ran.append(names[e["id"]].split("] ", 1)[1])
print(len(ran))
PY
}

d1=$("$KILN" build --root "$T/store1" --progress json --cache-from "type=registry,ref=$R/app:cache" \
  --cache-to "type=registry,ref=$R/app:cache,mode=max" --output "type=oci,dest=$T/o1,tar=false" "$T/ctx" 2>"$T/l1") ||
  { cat "$T/l1"; fail "first build"; }
grep -q "no cache there yet" "$T/l1" || fail "a missing cache should be reported, not fail"
[ "$(ran "$T/l1")" = 2 ] || fail "first build: $(ran "$T/l1") RUN steps ran"
ok "first build pushes its cache (a missing --cache-from is not an error)"

d2=$("$KILN" build --root "$T/store2" --progress json --cache-from "type=registry,ref=$R/app:cache" \
  --output "type=oci,dest=$T/o2,tar=false" "$T/ctx" 2>"$T/l2") || { cat "$T/l2"; fail "second build"; }
[ "$(ran "$T/l2")" = 0 ] || { cat "$T/l2"; fail "second build ran $(ran "$T/l2") RUN steps"; }
[ "$(manifest_digest "$T/o1")" = "$(manifest_digest "$T/o2")" ] || fail "the shared cache gave a different image"
check_layout "$T/o2"
ok "a second store gets every RUN from the shared cache: no RUN runs, same image"

echo v2 >"$T/ctx/input.txt"
"$KILN" build --root "$T/store3" --progress json --cache-from "$R/app:cache" "$T/ctx" >/dev/null 2>"$T/l3" ||
  { cat "$T/l3"; fail "third build"; }
[ "$(ran "$T/l3")" = 1 ] || fail "after an edit $(ran "$T/l3") RUN steps ran, expected only the one after the COPY"
ok "a changed input re-runs only what follows it, the rest comes from the shared cache"

expect_fail 1 "--cache-to 127.0.0.1:1/app:cache" "$KILN" build --root "$T/store4" --cache-to "type=registry,ref=127.0.0.1:1/app:cache" \
  --output "type=oci,dest=$T/o4,tar=false" "$T/ctx"
[ ! -e "$T/o4" ] || fail "a build whose cache push failed wrote an output"
expect_fail 1 "--cache-from type=local is not supported yet" "$KILN" build --cache-from type=local,src=x "$T/ctx"
ok "cache flags: clear errors"
