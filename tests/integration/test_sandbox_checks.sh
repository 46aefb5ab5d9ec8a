#!/usr/bin/env bash
# The confinement of a RUN step as the kiln binary sets it up: no_new_privs, seccomp filter,
# bounding set, user namespace, pid namespace, hostname, masked /proc, read-only /sys, and
# a few escapes that must fail. (The full attack suite drives sandbox_run directly:
# tests/unit/sandbox/test_sandbox_attacks.c.)
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

busybox_context "$T/ctx"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN grep -E '^(NoNewPrivs|Seccomp|CapBnd|CapEff):' /proc/self/status; \
    echo "uidmap: $(cat /proc/self/uid_map)"; echo "procs: $(ls /proc | grep -c '^[0-9]')"; \
    echo "hostname: $(hostname)"; echo "kcore: $(head -c 16 /proc/kcore | wc -c)"; \
    try() { if o=$(sh -c "$2" 2>&1); then echo "ESCAPED-$1"; else echo "BLOCKED-$1: $o"; fi; }; \
    try mount 'mkdir -p /tmp/m && mount -t tmpfs none /tmp/m'; \
    try sys 'echo x > /sys/kernel/uevent_helper'; \
    try procsys 'echo 1 > /proc/sys/kernel/ns_last_pid'; \
    try mknod 'mknod /tmp/sda b 8 0'
USER app
RUN grep -E '^Cap(Prm|Eff):' /proc/self/status
DF
} >"$T/ctx/Dockerfile"
kbuild --progress plain --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/log" 2>&1 ||
  { cat "$T/log"; fail "build"; }
g() { grep -Eq "$1" "$T/log" || { cat "$T/log"; fail "$2"; }; }
g 'NoNewPrivs:[[:space:]]+1' "no_new_privs"
g 'Seccomp:[[:space:]]+2' "seccomp filter mode"
# the default network drops CAP_NET_RAW (raw packets would skip its destination policy)
g 'CapBnd:[[:space:]]+00000000a80405fb' "bounding set is Docker's 14 defaults less NET_RAW"
g 'uidmap: +0 +[1-9][0-9]* +65536' "container root maps to a host range, not the identity"
g 'procs: [1-5]$' "a pid namespace with only the step"
g 'hostname: kiln$' "hostname"
g 'kcore: 0$' "/proc/kcore masked"
if grep -Eq "^#[0-9]+ ESCAPED" "$T/log"; then fail "$(grep -E "^#[0-9]+ ESCAPED" "$T/log")"; fi
# each attempt failed, and for the reason expected (not a missing file or a typo)
g '^#[0-9]+ BLOCKED-mount: mount: permission denied' "mount: $(grep BLOCKED-mount "$T/log")"
g '^#[0-9]+ BLOCKED-sys: .*uevent_helper: Read-only file system$' "/sys: $(grep BLOCKED-sys "$T/log")"
g '^#[0-9]+ BLOCKED-procsys: .*ns_last_pid: Read-only file system$' "/proc/sys: $(grep BLOCKED-procsys "$T/log")"
g '^#[0-9]+ BLOCKED-mknod: mknod: /tmp/sda: Operation not permitted$' "mknod: $(grep BLOCKED-mknod "$T/log")"
g 'CapPrm:[[:space:]]+0000000000000000' "non-root USER has no capabilities"
ok "RUN steps: no_new_privs, seccomp, bounding set, user and pid namespaces, hostname, masks; mount/sys/proc-sys/mknod fail"

kbuild --progress plain --network none --no-cache --output "type=oci,dest=$T/out1,tar=false" "$T/ctx" >"$T/log" 2>&1 ||
  { cat "$T/log"; fail "build --network none"; }
g 'CapBnd:[[:space:]]+00000000a80425fb' "bounding set with --network none is Docker's 14 defaults"
ok "--network none keeps Docker's 14 capabilities (CAP_NET_RAW included)"

{ busybox_dockerfile; printf 'FROM base\nRUN echo "name=$(hostname)"\nUSER app\n'; } >"$T/ctx/Dockerfile"
kbuild --progress plain --build-arg BUILDKIT_SANDBOX_HOSTNAME=builder-1 \
  --output "type=oci,dest=$T/out2,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "build"; }
g '^#[0-9]+ name=builder-1$' "BUILDKIT_SANDBOX_HOSTNAME"
ok "the build arg BUILDKIT_SANDBOX_HOSTNAME names the step's host"
