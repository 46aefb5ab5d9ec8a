#!/usr/bin/env bash
# The builder runs the frontend's plan (frontend/stages.h, expand.h, args.h): ONBUILD triggers
# of a base stage and of a base image (each its own step; a trigger that does not parse is an
# error, as BuildKit's), ENV and ARG with BuildKit's scoping and history, the proxy build
# args, a named context that replaces a stage for FROM, COPY --from and RUN --mount from=, and
# BuildKit's refusals (COPY --from a later stage, --from with a variable).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

mkdir -p "$T/ctx"
busybox_context "$T/ctx"
echo ctx >"$T/ctx/f.txt"

# 1. ONBUILD in the Dockerfile: a stage built FROM a stage runs that stage's own triggers
#    first, each as a step of its own ("ONBUILD ..."), and does not inherit them.
{
  busybox_dockerfile
  cat <<'DF'
FROM base AS parent
ONBUILD ENV TRIGGERED=yes
ONBUILD RUN echo "$TRIGGERED" >/from-trigger
FROM parent AS child
RUN cat /from-trigger >/seen
USER app
DF
} >"$T/ctx/Dockerfile"
"$KILN" build --root "$ROOT" --progress json -t p:1 --output "type=oci,dest=$T/o1,tar=false" "$T/ctx" \
  >/dev/null 2>"$T/log1" || { cat "$T/log1"; fail "ONBUILD build"; }
grep -qF '"[child 2/5] ONBUILD ENV TRIGGERED=yes"' "$T/log1" || { grep step "$T/log1"; fail "trigger step"; }
grep -qF '"[child 3/5] ONBUILD RUN echo' "$T/log1" || fail "second trigger step"
py - "$T/o1" <<'PY' || fail "ONBUILD result"
import json, oci, sys
c = oci.image_config(sys.argv[1])["config"]
assert "TRIGGERED=yes" in c["Env"], c["Env"]
assert not c.get("OnBuild"), "triggers are not inherited: %r" % c.get("OnBuild")
PY
unpack_tree "$T/o1" 1 "$T/u1" >"$T/tree1"
grep -q '^seen file' "$T/tree1" || fail "the trigger ran before the stage's own RUN"
[ "$(cat "$T/u1/rootfs/seen")" = yes ] || fail "the trigger's ENV reached the trigger's RUN: $(cat "$T/u1/rootfs/seen")"
ok "ONBUILD of a base stage: run first, one step each, not inherited"

# 2. A trigger that does not parse fails the build that uses the image, with BuildKit's reason
#    (the build that defines it only warns, as BuildKit).
mkdir -p "$T/bad"
printf 'FROM scratch\nONBUILD HEALTHCHECK --interval=soon CMD true\n' >"$T/bad/Dockerfile"
kbuild --allow-root-user -t bad:1 --output "type=oci,dest=$T/bad-layout,tar=false" "$T/bad" >/dev/null ||
  fail "an image with a bad ONBUILD trigger builds (BuildKit accepts it until it is used)"
printf 'FROM bad:1\nUSER 1000\n' >"$T/bad/Dockerfile.use"
expect_fail 2 'Dockerfile.use:1: ONBUILD trigger.*time: invalid duration' kbuild -f "$T/bad/Dockerfile.use" \
  --build-context bad=oci-layout://"$T/bad-layout":1 "$T/bad"
printf 'FROM scratch AS a\nONBUILD HEALTHCHECK --interval=soon CMD true\nFROM a\nUSER 1000\n' >"$T/bad/Dockerfile.stage"
expect_fail 2 'Dockerfile.stage:3: ONBUILD trigger.*time: invalid duration' kbuild -f "$T/bad/Dockerfile.stage" "$T/bad"
ok "a trigger that does not parse is an error where the base is used (image or stage)"

# 3. ENV expands every pair before it sets any; ARG's history has the value used; an ARG
#    after an ENV of the same name wins in the step (one ordered list, as BuildKit).
{
  busybox_dockerfile
  cat <<'DF'
FROM base
ENV abc=hello
ENV abc=bye def=$abc
ARG VERSION=1
ARG abc=from-arg
RUN echo "$def $abc $VERSION" >/vars
USER app
DF
} >"$T/ctx/Dockerfile"
kbuild -t p:1 --build-arg VERSION=2 --output "type=oci,dest=$T/o3,tar=false" "$T/ctx" >/dev/null || fail "ENV/ARG build"
unpack_tree "$T/o3" 1 "$T/u3" >/dev/null
[ "$(cat "$T/u3/rootfs/vars")" = "hello from-arg 2" ] || fail "step saw: $(cat "$T/u3/rootfs/vars")"
py - "$T/o3" <<'PY' || fail "history and config"
import oci, sys
cfg = oci.image_config(sys.argv[1])
c, hist = cfg["config"], [h["created_by"] for h in cfg["history"]]
assert "def=hello" in c["Env"] and "abc=bye" in c["Env"], c["Env"]
assert "ARG VERSION=2" in hist, hist
assert any(h.startswith("RUN |2 VERSION=2 abc=from-arg ") for h in hist), hist
PY
ok "ENV expands before it sets; ARG's history and the step see the values BuildKit uses"

# 4. Proxy build args: both spellings in the step (BuildKit's ProxyEnv), never in the history.
{
  busybox_dockerfile
  printf 'FROM base\nRUN env | grep -i _proxy | sort >/proxies\nUSER app\n'
} >"$T/ctx/Dockerfile"
kbuild -t p:1 --build-arg https_proxy=http://127.0.0.1:9 --build-arg NO_PROXY=example.test \
  --output "type=oci,dest=$T/o4,tar=false" "$T/ctx" >"$T/log4" 2>&1 || { cat "$T/log4"; fail "proxy build"; }
unpack_tree "$T/o4" 1 "$T/u4b" >/dev/null
[ "$(cat "$T/u4b/rootfs/proxies")" = "$(printf 'HTTPS_PROXY=http://127.0.0.1:9\nNO_PROXY=example.test\nhttps_proxy=http://127.0.0.1:9\nno_proxy=example.test')" ] ||
  fail "proxies in the step: $(cat "$T/u4b/rootfs/proxies")"
grep -q "were not consumed" "$T/log4" && fail "proxy build args reported as unused"
py - "$T/o4" <<'PY' || fail "a proxy reached the image"
import json, oci, sys
assert "127.0.0.1:9" not in json.dumps(oci.image_config(sys.argv[1]))
PY
ok "proxy build args reach RUN in both spellings, not the image"

# 5. A named context replaces the stage of its name everywhere (FROM, COPY --from, RUN
#    --mount from=); BuildKit's refusals of a later stage and of a variable in --from.
mkdir -p "$T/named"
echo named >"$T/named/f.txt"
{
  busybox_dockerfile
  cat <<'DF'
FROM base AS dep
RUN echo stage >/f.txt
FROM base
COPY --from=dep f.txt /copied
RUN --mount=from=dep,target=/m cat /m/f.txt >/mounted
USER app
DF
} >"$T/ctx/Dockerfile"
kbuild -t p:1 --build-context dep="$T/named" --output "type=oci,dest=$T/o5,tar=false" "$T/ctx" >/dev/null ||
  fail "named context build"
unpack_tree "$T/o5" 1 "$T/u5" >/dev/null
[ "$(cat "$T/u5/rootfs/copied") $(cat "$T/u5/rootfs/mounted")" = "named named" ] ||
  fail "COPY --from / RUN --mount from= read: $(cat "$T/u5/rootfs/copied") $(cat "$T/u5/rootfs/mounted")"
printf 'FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY f.txt /x\n' >"$T/ctx/Dockerfile.later"
expect_fail 2 'Dockerfile.later:2: cannot copy from stage "b", it needs to be defined before current stage "a"' \
  kbuild --target a -f "$T/ctx/Dockerfile.later" "$T/ctx"
printf 'ARG S=a\nFROM scratch AS a\nFROM scratch\nCOPY --from=$S /x /x\n' >"$T/ctx/Dockerfile.var"
expect_fail 2 'variable expansion is not supported for --from' kbuild -f "$T/ctx/Dockerfile.var" "$T/ctx"
ok "a named context replaces its stage for FROM, COPY --from and --mount from=; BuildKit's refusals"
