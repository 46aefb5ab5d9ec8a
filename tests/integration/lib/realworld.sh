# Helpers for the realistic Dockerfile suite (tests/integration/test_realworld_*.sh; source after
# lib/common.sh). Each case builds Dockerfiles as teams write them with kiln's DEFAULTS (its
# default RUN network to reach the Debian mirror, no extra flag) FROM debian:bookworm, a
# debootstrap minbase with its device nodes (lib/make-debian-base.sh), then runs the image
# without kiln (umoci unpack, then namespaces + chroot as root: rw_run) and checks what it does.
#
#   rw_setup                      skips the test where it cannot run (not root, no umoci), makes
#                                 or finds the base layout ($RW_BASE)
#   rw_build NAME CTX [ARGS...]   kiln build of CTX (CTX/Dockerfile) as NAME:1 into the layout
#                                 $T/NAME.oci (log: $T/NAME.log); fails the test with kiln's error
#   rw_unpack NAME                umoci unpack of NAME:1 into $T/NAME.bundle (owners, modes,
#                                 xattrs as the layers say); $T/NAME.bundle/rootfs
#   rw_run NAME [CMD...]          runs CMD (default: the image's entrypoint + cmd) in the unpacked
#                                 image as its config says (user, working dir, env), in new
#                                 mount/pid/net/uts/ipc namespaces (only loopback), with /proc
#                                 and a small /dev; prints its output; returns its status
#
# Env: KILN_RW_BASE_LAYOUT: a prepared base layout with the tag bookworm (default: made by
# lib/make-debian-base.sh). KILN_RW_EXTRA_ARGS: extra kiln build arguments, only for checking the
# Dockerfiles by hand (e.g. "--network host --allow network.host" where the default network
# cannot reach the mirror yet); the suite itself runs with kiln's defaults.

rw_setup() {
  [ "$(id -u)" -eq 0 ] || skip "running the images needs root (chroot, mount namespaces)"
  local t
  for t in umoci skopeo unshare chroot ip; do
    command -v "$t" >/dev/null || skip "$t is not installed"
  done
  if [ -n "${KILN_RW_BASE_LAYOUT:-}" ]; then
    RW_BASE=$KILN_RW_BASE_LAYOUT
  else
    RW_BASE=$(debian_base_layout)
  fi
  [ -z "${KILN_RW_EXTRA_ARGS:-}" ] || echo "note: not kiln's defaults: KILN_RW_EXTRA_ARGS=$KILN_RW_EXTRA_ARGS"
}

rw_build() {
  local name=$1 ctx=$2
  shift 2
  local extra=()
  # shellcheck disable=SC2206
  [ -z "${KILN_RW_EXTRA_ARGS:-}" ] || extra=($KILN_RW_EXTRA_ARGS)
  rm -rf "$T/$name.oci" "$T/$name.bundle"
  if ! "$KILN" build --root "$ROOT" --progress plain -t "$name:1" "${extra[@]}" \
    --build-context "debian:bookworm=oci-layout://$RW_BASE:bookworm" \
    --output "type=oci,dest=$T/$name.oci,tar=false" "$@" "$ctx" >"$T/$name.log" 2>&1; then
    tail -25 "$T/$name.log" >&2
    fail "kiln build $name: $(LC_ALL=C grep -aE '^kiln( build)?: ' "$T/$name.log" | tail -1)"
  fi
}

rw_unpack() {
  local name=$1 src=$T/$1.single
  rm -rf "$src" "$T/$name.bundle"
  # the image out of the index that also holds the attestations
  skopeo copy -q "oci:$T/$name.oci:1" "oci:$src:1" >/dev/null 2>"$T/$name.umoci.log" ||
    { cat "$T/$name.umoci.log" >&2; fail "skopeo copy $name"; }
  umoci unpack --image "$src:1" "$T/$name.bundle" >/dev/null 2>"$T/$name.umoci.log" ||
    { cat "$T/$name.umoci.log" >&2; fail "umoci unpack $name"; }
}

# rw_process NAME: uid, gid, working dir, then env= lines and arg= lines of the bundle's config
_rw_process() {
  python3 - "$T/$1.bundle/config.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["process"]
print(p["user"]["uid"]); print(p["user"]["gid"]); print(p.get("cwd") or "/")
for e in p.get("env", []): print("env=" + e)
for a in p.get("args", []): print("arg=" + a)
PY
}

rw_run() {
  local name=$1 bundle=$T/$1.bundle
  shift
  [ -d "$bundle/rootfs" ] || rw_unpack "$name"
  local info uid gid cwd envs=() args=() line
  mapfile -t info < <(_rw_process "$name")
  uid=${info[0]} gid=${info[1]} cwd=${info[2]}
  for line in "${info[@]:3}"; do
    case $line in
      env=*) envs+=("${line#env=}") ;;
      arg=*) args+=("${line#arg=}") ;;
    esac
  done
  [ $# -eq 0 ] || args=("$@")
  [ ${#args[@]} -gt 0 ] || fail "rw_run $name: no command"
  mkdir -p "$bundle/rootfs/proc" "$bundle/rootfs/dev" # a scratch image may have neither
  # the runner: new namespaces; proc, a tmpfs /dev with the usual nodes bound from the host,
  # loopback up; then the image's root, working dir, user and env
  env -i "${envs[@]}" unshare --mount --pid --net --uts --ipc --fork --kill-child -- \
    /bin/bash -c '
      set -e
      r=$1 cwd=$2 uid=$3 gid=$4
      shift 4
      mount --make-rprivate /
      mount --bind "$r" "$r"
      mount -t proc proc "$r/proc"
      mount -t tmpfs -o mode=755,nosuid tmpfs "$r/dev"
      for d in null zero full random urandom tty; do
        : >"$r/dev/$d"
        mount --bind "/dev/$d" "$r/dev/$d"
      done
      mkdir "$r/dev/pts" "$r/dev/shm"
      ln -s /proc/self/fd "$r/dev/fd"
      ln -s /proc/self/fd/0 "$r/dev/stdin"
      ln -s /proc/self/fd/1 "$r/dev/stdout"
      ln -s /proc/self/fd/2 "$r/dev/stderr"
      mount -t tmpfs tmpfs "$r/dev/shm"
      /usr/sbin/ip link set lo up 2>/dev/null || /sbin/ip link set lo up
      exec /usr/bin/unshare --root="$r" --wd="$cwd" --setgid="$gid" --setuid="$uid" -- "$@"
    ' rw-run "$bundle/rootfs" "$cwd" "$uid" "$gid" "${args[@]}"
}

# rw_out NAME WANT CMD...: rw_run's output must be exactly WANT
rw_out() {
  local name=$1 want=$2 got rc=0
  shift 2
  got=$(rw_run "$name" "$@" 2>&1) || rc=$?
  [ "$rc" -eq 0 ] || fail "$name: '$*' exited $rc: $got"
  [ "$got" = "$want" ] || fail "$name: '$*' printed '$got', want '$want'"
}
