#!/usr/bin/env bash
# Multi-stage builds: only the stages the target needs, each once, independent ones in parallel;
# cycles and failures are clear errors.
source "$(dirname "$0")/lib/common.sh"

mkdir -p "$T/ctx"
for f in a b c d; do echo "$f" >"$T/ctx/$f"; done
cat >"$T/ctx/Dockerfile" <<'DF'
FROM scratch AS base
COPY a /a
FROM base AS left
COPY b /b
FROM base AS right
COPY c /c
FROM scratch AS unused
COPY nope /nope
FROM scratch AS final
COPY --from=left /a /b /l/
COPY --from=right /c /r/
COPY --from=base /a /base-a
USER 1000
DF
"$KILN" build --root "$ROOT" --progress json --output "type=oci,dest=$T/out,tar=false" -t s:1 "$T/ctx" >/dev/null 2>"$T/log" ||
  { cat "$T/log"; fail "diamond build"; }
check_layout "$T/out" 1
python3 - "$T/log" <<'PY'
import json, sys
names = [json.loads(l)["name"] for l in open(sys.argv[1]) if l.startswith("{") and json.loads(l)["event"] == "step"]
froms = [n for n in names if "FROM" in n]
assert len([n for n in froms if n.startswith("[base ")]) == 1, froms
assert not any(n.startswith("[unused ") for n in names), "an unneeded stage was built"
assert len(froms) == 4, froms
PY
unpack_tree "$T/out" 1 "$T/u" >"$T/tree"
for p in l/a l/b r/c base-a; do grep -q "^$p file" "$T/tree" || fail "missing /$p"; done
ok "diamond: the shared stage is built once, the unneeded one never, the result is complete"

printf 'FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY --from=a /x /x\n' >"$T/ctx/Dockerfile.cycle"
expect_fail 2 "circular dependency detected on stage: [ab]" "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.cycle" "$T/ctx"
ok "a dependency cycle is refused before anything runs"

printf 'FROM scratch AS one\nCOPY a /a\nFROM scratch AS two\nCOPY missing /m\nFROM scratch\nCOPY --from=one /a /a\nCOPY --from=two /m /m\n' >"$T/ctx/Dockerfile.fail"
expect_fail 2 'Dockerfile.fail:4: COPY: "/missing": not found' "$KILN" build --root "$ROOT" --output "type=oci,dest=$T/o2,tar=false" -f "$T/ctx/Dockerfile.fail" "$T/ctx"
[ ! -e "$T/o2" ] || fail "output written by a failed multi-stage build"
ok "a failing stage among parallel ones fails the build with its own error"

expect_fail 2 'target stage "nosuch" could not be found' "$KILN" build --root "$ROOT" --target nosuch "$T/ctx"
"$KILN" build --root "$ROOT" --progress quiet --allow-root-user --target left -t left:1 --output "type=oci,dest=$T/o3,tar=false" "$T/ctx" >/dev/null
unpack_tree "$T/o3" 1 "$T/u3" >"$T/tree3"
[ "$(cut -d' ' -f1 "$T/tree3" | tr '\n' ' ')" = "a b " ] || fail "--target left: $(cat "$T/tree3")"
ok "--target builds up to a named stage"
