#!/usr/bin/env bash
# Root steps get an empty inheritable capability set (runc's answer to CVE-2022-24769): a step
# that becomes another user and runs a file with inheritable (and permitted) file capabilities
# gains nothing, and the user keeps no inheritable capability to pass on.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

cc -static -O2 -o "$T/attack" "$KILN_SRC/tests/integration/lib/attack.c" ||
  fail "cannot build the static attack helper (cc -static, libc6-dev)"
busybox_context "$T/ctx"
cp "$T/attack" "$T/ctx/rootfs/bin/attack"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN echo "root:" && attack caps
RUN cp /bin/attack /capbin && attack setcap-inh /capbin && echo "root-to-app:" && attack as 10001 /capbin caps
USER app
RUN echo "app:" && /capbin caps
DF
} >"$T/ctx/Dockerfile"
kbuild --progress plain --no-cache --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/log" 2>&1 ||
  { cat "$T/log"; fail "build"; }
grep -q 'SETCAP-OK /capbin' "$T/log" || { cat "$T/log"; fail "the step could not set file capabilities"; }
# the three Cap dumps, each after its label
for who in root root-to-app app; do
  sed -n "/^#[0-9]* $who:\$/,/CapAmb/p" "$T/log" >"$T/$who.caps"
  grep -q CapInh "$T/$who.caps" || { cat "$T/log"; fail "no capability dump for $who"; }
done
grep -Eq 'CapInh:[[:space:]]+0000000000000000' "$T/root.caps" ||
  { cat "$T/root.caps"; fail "a root step has inheritable capabilities"; }
grep -Eq 'CapEff:[[:space:]]+00000000a80425fb' "$T/root.caps" ||
  { cat "$T/root.caps"; fail "a root step lost its default capabilities"; }
for who in root-to-app app; do
  grep -Eq 'Uid:[[:space:]]+10001' "$T/$who.caps" || { cat "$T/$who.caps"; fail "$who: not uid 10001"; }
  for set in CapInh CapPrm CapEff CapAmb; do
    grep -Eq "$set:[[:space:]]+0000000000000000" "$T/$who.caps" ||
      { cat "$T/$who.caps"; fail "$who running a file with inheritable file capabilities: $set"; }
  done
done
ok "inheritable capabilities are empty; a file-capability binary run by a non-root user gains nothing"
