#!/usr/bin/env bash
# RUN failures and refusals: a non-zero exit names the step and shows its last lines;
# --network=host needs --allow network.host; --security=insecure is refused; limits given on
# the command line stop a step and the error names the limit; the copy snapshotter gives the
# same layers as overlay.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

busybox_context "$T/ctx"
df() { { busybox_dockerfile; printf 'FROM base\n'; cat; printf 'USER app\n'; } >"$T/ctx/Dockerfile"; }
build() { kbuild --output "type=oci,dest=$T/out,tar=false" "$@" "$T/ctx"; }

printf 'RUN echo first line; echo second line; echo to stderr >&2; exit 7\n' | df
expect_fail 1 'Dockerfile:4: RUN echo first line.*: exit code 7' build
grep -q '> to stderr' "$T/out.log" || { cat "$T/out.log"; fail "last lines of output in the error"; }
grep -q '> second line' "$T/out.log" || fail "last lines of output in the error"
ok "a failing RUN: 'Dockerfile:N: RUN ...: exit code X' with its last lines"

printf 'RUN no-such-command\n' | df
expect_fail 1 'Dockerfile:4: RUN no-such-command: exit code 127' build
ok "a missing command fails with the shell's exit code"

printf 'RUN ["/no/such/binary"]\n' | df
expect_fail 1 "Dockerfile:4: RUN .*exec '/no/such/binary'" build
ok "a missing exec-form binary fails naming it"

printf 'RUN --network=host true\n' | df
expect_fail 1 'network mode host is not allowed: pass --allow network.host' build
expect_fail 1 'network mode host is not allowed' build --network host
ok "--network=host is refused without --allow network.host"

printf 'RUN --network=host ip -o link | grep -v " lo:" | grep -q . && echo HOST""NET\n' | df
kbuild --progress plain --allow network.host --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/plain.log" 2>&1 ||
  { cat "$T/plain.log"; fail "build with --allow network.host"; }
grep -Eq '^#[0-9]+ HOSTNET$' "$T/plain.log" || fail "--network=host step did not see the host's interfaces"
printf 'RUN ip -o link | grep -v " lo:" | grep -q . && echo HOST""NET || echo NO""NET\n' | df
kbuild --progress plain --network none --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/plain.log" 2>&1
grep -Eq '^#[0-9]+ NONET$' "$T/plain.log" || { cat "$T/plain.log"; fail "--network none is not loopback only"; }
printf 'RUN --network=none ip -o link | grep -v " lo:" | grep -q . && echo HOST""NET || echo NO""NET\n' | df
kbuild --progress plain --no-cache --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/plain.log" 2>&1
grep -Eq '^#[0-9]+ NONET$' "$T/plain.log" || { cat "$T/plain.log"; fail "RUN --network=none is not loopback only"; }
ok "--network=host with --allow network.host sees the host's interfaces; --network none and RUN --network=none only lo"

printf 'RUN --security=insecure true\n' | df
expect_fail 1 'security=insecure is not allowed' build
ok "--security=insecure is refused"

printf 'RUN sleep 30\n' | df
expect_fail 1 'step timeout of 2 s exceeded' build --step-timeout 2
ok "--step-timeout stops a step and names the limit"

printf 'RUN x=$(head -c 300000000 /dev/zero | tr "\\\\0" a); echo ${#x}\n' | df
expect_fail 1 'memory limit of 64 MiB exceeded' build --memory 64m
ok "--memory stops a memory hog and names the limit"

printf 'RUN f() { f | f & }; f; sleep 20\n' | df
expect_fail 1 'pids limit of 40 exceeded' build --pids-limit 40 --step-timeout 60
ok "--pids-limit stops a fork bomb and names the limit"

# the copy snapshotter: same layers as overlay for a build without replaced directories
printf 'RUN echo a > /a && rm /bin/vi && mkdir -p /x/y && echo z > /x/y/z && chmod 700 /x\n' | df
build >"$T/d1"
KILN_SNAPSHOTTER=copy kbuild --no-cache --root "$T/root2" --output "type=oci,dest=$T/out2,tar=false" "$T/ctx" >"$T/d2" ||
  fail "build with KILN_SNAPSHOTTER=copy"
check_layout "$T/out2"
# (the image manifests: the provenance records --no-cache, so the attestations differ)
[ "$(manifest_digest "$T/out")" = "$(manifest_digest "$T/out2")" ] ||
  fail "overlay and copy snapshotters differ: $(manifest_digest "$T/out") $(manifest_digest "$T/out2")"
ok "KILN_SNAPSHOTTER=copy gives the same image digest as overlay"
