#!/usr/bin/env bash
# kiln inside an unprivileged container, as CI runs it (issue 15, section 2): rootful podman with
# its default seccomp profile and capabilities and a user namespace for the container (as
# Kubernetes hostUsers: false, GitLab runners and Actions containers give one), kiln's release
# binary and its libraries in an image, a Dockerfile with RUN steps built inside at full isolation
# (its own user namespace nested, pivot_root, seccomp, masked /proc), the result read outside with
# skopeo and umoci and compared with the same build on the host. Then each permission the sandbox
# needs is taken away in turn, and kiln must fail with the message that names it and writes no
# output:
#   - /proc left masked (podman's default): "cannot mount proc ... unmask=/proc/*";
#   - kiln as root of a container of 65536 ids: the store's id range does not fit;
#   - the default network without /dev/net/tun, or without a network for pasta to relay to;
#   - Docker's default seccomp profile (no user namespaces without CAP_SYS_ADMIN);
#   - a setuid newuidmap (it cannot write a map in a container without CAP_SYS_ADMIN).
# ctest-labels: podman
# ctest-timeout: 1500
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/podman.sh"
pm_setup

BASE=610000000 # host ids of the containers: clear of /etc/subuid and of kiln's store ranges
UNMASK=(--security-opt 'unmask=/proc/*')
pm_kiln_image kiln-pm

# the Dockerfile built inside and on the host: RUN steps as root and as a user
busybox_context "$T/ctx"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN echo built > /built && mkdir -p /opt/data && echo one > /opt/data/1 && chown -R app:app /opt/data /home/app
USER app
RUN echo "made by $(id -u):$(id -g)" > /home/app/made
DF
} >"$T/ctx/Dockerfile"
# what a step sees of its confinement, printed to the log
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN echo "uidmap: $(sed 's/^ *//; s/  */ /g' /proc/self/uid_map | tr '\n' '|')"; \
    grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; \
    echo "procs: $(ls /proc | grep -c '^[0-9]')"; echo "hostname: $(hostname)"; \
    echo "kcore: $(head -c 16 /proc/kcore | wc -c)"; \
    if mkdir -p /tmp/m && mount -t tmpfs none /tmp/m 2>/dev/null; then echo ESCAPED-mount; \
    else echo BLOCKED-mount; fi; \
    if ip -o -4 addr show 2>/dev/null | grep -v ' lo ' | grep -q inet; then echo "net: routed"; \
    else echo "net: loopback only"; fi
USER app
DF
} >"$T/ctx/Dockerfile.facts"

# run_in NAME PODMAN-ARGS... -- KILN-BUILD-ARGS...: kiln build of /ctx in a container, the store
# and the output in volumes of this test (owned by the container's user, :U); log $T/NAME.log
run_in() {
  local name=$1 pargs=() rc=0
  shift
  while [ "$1" != "--" ]; do pargs+=("$1"); shift; done
  shift
  rm -rf "$T/$name.out" "$T/$name.store"
  mkdir -p "$T/$name.out" "$T/$name.store"
  pm_run "${pargs[@]}" -v "$T/ctx:/ctx:ro" -v "$T/$name.out:/out:U" -v "$T/$name.store:/store:U" \
    localhost/kiln-pm:1 build --root /store --progress plain -t t:1 \
    --output type=oci,dest=/out/image,tar=false "$@" /ctx >"$T/$name.log" 2>&1 || rc=$?
  return $rc
}
# ok_in NAME ...: run_in that must succeed
ok_in() {
  run_in "$@" || { tail -30 "$T/$1.log" >&2; fail "$1: kiln build in podman failed"; }
}
# refused NAME PATTERN PODMAN-ARGS... -- KILN-ARGS...: exit 1 (or $WANT_RC), PATTERN (grep -F)
# in the log, no output written
refused() {
  local name=$1 pattern=$2 rc=0 want=${WANT_RC:-1}
  shift 2
  run_in "$name" "$@" || rc=$?
  [ "$rc" -eq "$want" ] || { tail -20 "$T/$name.log" >&2; fail "$name: exit $rc, want $want"; }
  grep -qF -- "$pattern" "$T/$name.log" ||
    { tail -5 "$T/$name.log" >&2; fail "$name: no '$pattern' in kiln's error"; }
  [ -z "$(ls -A "$T/$name.out")" ] || fail "$name: a failed build wrote $(ls "$T/$name.out")"
}
fact() {
  grep -Eq -- "$2" "$T/$1.log" || { grep -E '^#[0-9]+ ' "$T/$1.log" | tail -20 >&2; fail "$1: $3"; }
}

ROOT_NS=$(pm_userns "$BASE" 131072)
KUBE_NS=$(pm_userns "$BASE" 65536)

# the same build on the host, for the digests
kbuild --network none -t t:1 --output "type=oci,dest=$T/host.oci,tar=false" "$T/ctx" >"$T/host.digest" ||
  fail "host build"
host_manifest=$(manifest_digest "$T/host.oci")

# check_image NAME: the layout kiln wrote in the container, read with skopeo and umoci
check_image() {
  local out=$T/$1.out/image
  [ -f "$out/index.json" ] || fail "$1: no layout in the output volume"
  check_layout "$out"
  skopeo inspect --config "oci:$out:1" >"$T/$1.config" 2>&1 ||
    { cat "$T/$1.config" >&2; fail "$1: skopeo inspect"; }
  grep -q '"User": "app"' "$T/$1.config" || fail "$1: config user is not app"
  unpack_tree "$out" 1 "$T/$1.bundle" >"$T/$1.tree" || fail "$1: umoci unpack"
  [ "$(cat "$T/$1.bundle/rootfs/built")" = built ] || fail "$1: /built"
  [ "$(cat "$T/$1.bundle/rootfs/home/app/made")" = "made by 10001:10001" ] ||
    fail "$1: the USER step: $(cat "$T/$1.bundle/rootfs/home/app/made")"
  grep -q '^opt/data/1 file 644 10001:10001 ' "$T/$1.tree" || fail "$1: chown in a RUN step: $(grep opt/data "$T/$1.tree")"
  [ "$(manifest_digest "$out")" = "$host_manifest" ] ||
    fail "$1: the image differs from the same build on the host"
}

# 1. kiln as root of a container with 131072 ids: steps get 65536 of them, apart from its own
ok_in root-ns $ROOT_NS --user 0 --network none "${UNMASK[@]}" -- --network none
check_image root-ns
grep -q "using the copy snapshotter" "$T/root-ns.log" && fail "root-ns: the store in a volume should take overlayfs"
ok "root of a 131072-id container (podman --uidmap, unmask=/proc/*): RUN steps build, the image equals the host's"

ok_in root-facts $ROOT_NS --user 0 --network none "${UNMASK[@]}" -- --network none -f /ctx/Dockerfile.facts
fact root-facts 'uidmap: 0 65536 65536\|$' "step root is not the container's root (uid_map)"
fact root-facts 'NoNewPrivs:[[:space:]]+1' "no_new_privs"
fact root-facts 'Seccomp:[[:space:]]+2' "seccomp"
fact root-facts 'procs: [1-5]$' "a pid namespace of the step's own"
fact root-facts 'kcore: 0$' "/proc/kcore masked again in the step"
fact root-facts 'BLOCKED-mount' "mount in a step"
# podman's seccomp profile refuses sethostname without CAP_SYS_ADMIN: said once, not fatal
fact root-facts "WARNING: .*the steps keep the hostname '[0-9a-f]+' in their own uts namespace, not 'kiln'.*--hostname kiln" "the hostname warning"
ok "steps in the container: their own user and pid namespaces, no_new_privs, seccomp, masked /proc; the hostname refusal is a warning"

ok_in host-name $ROOT_NS --user 0 --hostname kiln --network none "${UNMASK[@]}" -- --network none -f /ctx/Dockerfile.facts
fact host-name 'hostname: kiln$' "--hostname kiln names the steps' host"
grep -q "keep the hostname" "$T/host-name.log" && fail "a hostname warning with --hostname kiln"
ok "podman --hostname kiln: the steps' hostname is kiln, no warning"

# 2. kiln as its image's user in a container of 65536 ids (a Kubernetes pod with hostUsers:
# false): subordinate ids through newuidmap with file capabilities
ok_in user-ns $KUBE_NS --hostname kiln --network none "${UNMASK[@]}" -- --network none
check_image user-ns
ok_in user-facts $KUBE_NS --hostname kiln --network none "${UNMASK[@]}" -- --network none -f /ctx/Dockerfile.facts
fact user-facts 'uidmap: 0 1000 1\|1 1 999\|1000 1001 64535\|$' "the user's own id and its two subordinate ranges"
fact user-facts 'procs: [1-5]$' "a pid namespace of the step's own"
ok "kiln's user in a 65536-id container (hostUsers: false): RUN steps build through newuidmap, the image equals the host's"

# a container that drops some of Docker's default capabilities gives steps fewer: said once
ok_in few-caps $KUBE_NS --hostname kiln --cap-drop mknod,audit_write --network none "${UNMASK[@]}" -- --network none
check_image few-caps
fact few-caps "WARNING: .*RUN steps get fewer capabilities than Docker's defaults: the bounding set kiln runs with lacks CAP_MKNOD, CAP_AUDIT_WRITE" "the capabilities warning"
[ "$(grep -c "fewer capabilities" "$T/few-caps.log")" -eq 1 ] || fail "few-caps: the warning more than once"
grep -q "fewer capabilities" "$T/user-ns.log" && fail "user-ns: a capabilities warning with podman's defaults"
ok "a bounding set without some of Docker's capabilities: a warning names them, once"

# the same as a normal user's podman (rootless: its container's ids are the user and its 65536
# subordinate ids), the default network included
rootless_user kiln-pm-rootless
pm_rootless kiln-pm-rootless
kbuild --network none -t localhost/kiln-pm:1 --output "type=docker,dest=$PM_RL/kiln-pm.tar,name=localhost/kiln-pm:1" \
  "$T/kiln-pm.ctx" >/dev/null || fail "kiln's test image as a docker archive"
chown "$PM_RL_USER" "$PM_RL/kiln-pm.tar"
pm_rl load -q -i "$PM_RL/kiln-pm.tar" >"$T/rl-load.log" 2>&1 || { cat "$T/rl-load.log"; fail "rootless podman load"; }
mkdir -p "$T/rootless.out" "$T/rootless.store"
cp -a "$T/ctx" "$T/rootless.ctx"
chown -R "$PM_RL_USER:$PM_RL_USER" "$T/rootless.out" "$T/rootless.store" "$T/rootless.ctx"
pm_rl run --rm --hostname kiln --device /dev/net/tun "${UNMASK[@]}" -v "$T/rootless.ctx:/ctx:ro" \
  -v "$T/rootless.out:/out:U" -v "$T/rootless.store:/store:U" localhost/kiln-pm:1 build --root /store \
  --progress plain -t t:1 --output type=oci,dest=/out/image,tar=false /ctx >"$T/rootless.log" 2>&1 ||
  { tail -20 "$T/rootless.log"; fail "kiln in rootless podman"; }
check_image rootless
ok "rootless podman (the user's namespace, its default network, --device /dev/net/tun): RUN steps build, the image equals the host's"

# 3. the default network inside: pasta in the container needs /dev/net/tun and a network to
# relay to (nothing is contacted: the step only looks at its interface)
if command -v slirp4netns >/dev/null; then
  ok_in net $ROOT_NS --user 0 --hostname kiln --network slirp4netns --device /dev/net/tun "${UNMASK[@]}" -- -f /ctx/Dockerfile.facts
  fact net 'net: routed$' "pasta gave the step an interface with an address"
  fact net 'uidmap: 0 65536 65536\|$' "the step's user namespace"
  ok "the default network in the container: --device /dev/net/tun and a container network"
else
  skip_check "the default network inside podman" "no slirp4netns (Debian package slirp4netns)"
fi

# 4. what is missing, named
refused masked "cannot mount proc in the step's pid namespace (Operation not permitted): /proc is masked by the container runtime" \
  $ROOT_NS --user 0 --network none -- --network none
grep -qF -- "--security-opt unmask=/proc/*" "$T/masked.log" || fail "masked: no podman flag in the message"
ok "podman's masked /proc: the error names it and the flag that unmasks it"

# the store on the container's own root (overlayfs): refused when it is opened, not at the
# first deleted file
WANT_RC=2 refused overlay-store "is on an overlay file system (a container's own root?)" $KUBE_NS "${UNMASK[@]}" --network none -- --network none --root /home/kiln/store
ok "a store on the container's overlay root: refused up front (exit 2), with the volume to mount"

refused small-root "kiln runs as root of a user namespace of 65536 ids" $KUBE_NS --user 0 "${UNMASK[@]}" --network none -- --network none
grep -qF "give the container at least 131072 ids (podman run --userns=auto:size=131072" "$T/small-root.log" ||
  fail "small-root: no remedy in the message"
ok "root of a 65536-id container: the error says how many ids the store needs and how to give them"

refused no-tun "the default network of RUN needs /dev/net/tun (for pasta), and there is none here: run kiln's container with --device /dev/net/tun" \
  $ROOT_NS --user 0 "${UNMASK[@]}" --network none --
ok "the default network without /dev/net/tun: named, with --device /dev/net/tun and --network none"

refused no-route "where kiln runs there is no route to the outside" \
  $ROOT_NS --user 0 "${UNMASK[@]}" --network none --device /dev/net/tun --
ok "the default network in a container without a network: pasta's error and the reason"

refused moby-seccomp "cannot create a user namespace for the steps (Operation not permitted): kiln runs under a seccomp filter that refuses it" \
  $ROOT_NS --user 0 "${UNMASK[@]}" --security-opt "seccomp=$KILN_SRC/builder/sandbox/seccomp-default.json" --network none -- --network none
ok "Docker's default seccomp profile: the refused user namespace is named, with the profiles that allow it"

pm_kiln_image kiln-pm-setuid setuid
podman tag localhost/kiln-pm-setuid:1 localhost/kiln-pm:1
refused setuid-helper "a setuid-root helper may not write the map" $KUBE_NS "${UNMASK[@]}" --network none -- --network none
ok "a setuid newuidmap in a container: the error says to give it file capabilities"
