# Helpers for the tests that run kiln inside an unprivileged podman container (source after
# lib/common.sh). Podman gets a configuration and a storage of the test's own under $T, removed
# with it, and runc (this kind of machine: crun refuses hybrid cgroups), cgroupfs, no systemd,
# rlimits within the hard limit (../shared/peers/README.md).
#
#   pm_setup                  skips the test where podman cannot run a container here
#   pm_try_setup              the same, but status 1 and the reason in PM_WHY
#   pm_image NAME CTX [ARGS]  kiln build of CTX on the host into an image podman runs as
#                             localhost/NAME:1 (skopeo copies the image out of the index that
#                             also holds its attestations)
#   pm_kiln_image NAME [passwd-user-args...]
#                             an image FROM scratch holding kiln ($KILN, as built), the
#                             libraries it and its helpers load (ldd, copied from this Debian
#                             machine), pasta, newuidmap/newgidmap with file capabilities,
#                             busybox; users root and kiln (1000, subordinate ids 1-999 and
#                             1001-65535), USER kiln, ENTRYPOINT kiln
#   pm_run ARGS...            podman run --rm ARGS (podman's own options, then the image and
#                             its arguments)
#   pm_userns BASE COUNT      the options of a user namespace mapping container 0..COUNT-1 to
#                             host BASE.. (uids and gids)
#   pm_rootless USER          podman as USER (rootless: its own user namespace of the user and
#                             its subordinate ids), configuration and storage in $PM_RL (under
#                             $T, which becomes traversable); then pm_rl ARGS... runs podman
#                             ARGS as USER

pm_setup() {
  pm_try_setup || skip "$PM_WHY"
}

# pm_try_setup: pm_setup for a test that has more to check than podman: status 1 with the
# reason in PM_WHY where podman cannot run here
pm_try_setup() {
  PM_WHY=
  [ "$(id -u)" -eq 0 ] || { PM_WHY="rootful podman needs root"; return 1; }
  local t
  for t in podman runc skopeo umoci; do
    command -v "$t" >/dev/null ||
      { PM_WHY="$t is not installed (Debian packages podman, runc, skopeo, umoci)"; return 1; }
  done
  PM_DIR=$T/podman
  mkdir -p "$PM_DIR/graph" "$PM_DIR/run" "$PM_DIR/tmp"
  # podman's root defaults raise nofile and nproc: no higher than this process may go (nproc
  # at most 32768, as ../shared/peers sets it: runc fails to set more on this kind of machine)
  local nofile nproc
  nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
  [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
  local limits="\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\""
  cat >"$PM_DIR/containers.conf" <<CONF
[containers]
default_ulimits = [$limits]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
tmp_dir = "$PM_DIR/tmp"
CONF
  cat >"$PM_DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PM_DIR/graph"
runroot = "$PM_DIR/run"
CONF
  export CONTAINERS_CONF=$PM_DIR/containers.conf CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf
  # cleanup reads the test's status from $?; set +e keeps (exit) from ending the trap early
  trap 'pm_rc=$?; pm_cleanup; set +e; (exit $pm_rc); cleanup' EXIT
  # a container podman can start here at all (runc, cgroups, storage)
  busybox_context "$PM_DIR/probe"
  printf 'FROM scratch\nCOPY rootfs/ /\nUSER 10001\n' >"$PM_DIR/probe/Dockerfile"
  pm_image kiln-pm-probe "$PM_DIR/probe"
  local out
  out=$(podman run --rm --network none localhost/kiln-pm-probe:1 /bin/echo podman-runs 2>&1) ||
    { PM_WHY="podman cannot run a container here: $(echo "$out" | tail -1)"; return 1; }
  return 0
}

# runs in the EXIT trap before common.sh's cleanup: nothing in here may fail (set -e)
pm_cleanup() {
  [ -n "${PM_DIR:-}" ] && [ -d "$PM_DIR" ] || return 0
  podman rm -af -t 0 >/dev/null 2>&1 || true
  podman rmi -af >/dev/null 2>&1 || true
  # overlay mounts podman may have left behind under its storage
  local m
  for m in $(grep -o " $PM_DIR/[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r || true); do
    umount -l "$m" 2>/dev/null || true
  done
  return 0
}

pm_image() {
  local name=$1 ctx=$2
  shift 2
  rm -rf "$T/$name.oci"
  "$KILN" build --root "$ROOT" --progress quiet --network none -t "$name:1" \
    --output "type=oci,dest=$T/$name.oci,tar=false" "$@" "$ctx" >"$T/$name.log" 2>&1 ||
    { cat "$T/$name.log" >&2; fail "kiln build of the image $name"; }
  # into podman's storage (this test's): skopeo picks the image out of the index
  skopeo copy -q "oci:$T/$name.oci:1" "containers-storage:localhost/$name:1" \
    >"$T/$name.skopeo.log" 2>&1 || { cat "$T/$name.skopeo.log" >&2; fail "skopeo copy $name"; }
}

# _pm_copy_libs ROOTFS BINARY...: the libraries of each binary (ldd), at the paths ldd names
_pm_copy_libs() {
  local rootfs=$1 lib
  shift
  for lib in $(ldd "$@" 2>/dev/null | grep -oE '/[^ :]+\.so[^ :]*' | sort -u); do
    [ -e "$rootfs$lib" ] && continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

pm_kiln_image() {
  local name=$1 helpers=${2:-filecaps} ctx=$T/$1.ctx
  local pasta setcap
  pasta=$(command -v pasta) || skip "pasta is not installed (Debian package passt)"
  setcap=$(command -v setcap) || skip "setcap is not installed (Debian package libcap2-bin)"
  [ -x /usr/bin/newuidmap ] || skip "newuidmap is not installed (Debian package uidmap)"
  rm -rf "$ctx"
  busybox_context "$ctx"
  local r=$ctx/rootfs
  mkdir -p "$r/usr/local/bin" "$r/usr/bin" "$r/home/kiln"
  cp "$KILN" "$r/usr/local/bin/kiln"
  cp -L "$pasta" "$r/usr/bin/passt"
  ln -s passt "$r/usr/bin/pasta"
  if [ -e "$(dirname "$pasta")/passt.avx2" ]; then # what pasta runs on CPUs with AVX2
    cp -L "$(dirname "$pasta")/passt.avx2" "$r/usr/bin/passt.avx2"
    ln -s passt.avx2 "$r/usr/bin/pasta.avx2"
  fi
  cp /usr/bin/newuidmap /usr/bin/newgidmap "$r/usr/bin/"
  chmod 0755 "$r/usr/bin/newuidmap" "$r/usr/bin/newgidmap"
  cp "$setcap" "$r/usr/bin/setcap"
  # kiln is not linked against libarchive and libcurl: it opens them by the absolute paths fixed
  # at build (builder/dynlib/), which ldd does not list; they and their libraries go in too
  local loaded lib
  loaded=$(grep -aoE '/[A-Za-z0-9_./+-]+/lib(archive|curl)\.so\.[0-9]+' "$KILN" | sort -u)
  [ "$(wc -l <<<"$loaded")" = 2 ] || fail "the paths of libarchive and libcurl are not in $KILN"
  # shellcheck disable=SC2086 # one path per line
  _pm_copy_libs "$r" "$KILN" "$pasta" /usr/bin/newuidmap "$setcap" $loaded
  for lib in $loaded; do cp -L "$lib" "$r$lib"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nkiln:x:1000:1000::/home/kiln:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\nkiln:x:1000:\n' >"$r/etc/group"
  printf 'kiln:1:999\nkiln:1001:64535\n' >"$r/etc/subuid"
  cp "$r/etc/subuid" "$r/etc/subgid"
  local give
  case $helpers in
    # the way kiln's image gives them (a setuid helper cannot write a map in a container
    # without CAP_SYS_ADMIN)
    filecaps) give='setcap cap_setuid=ep /usr/bin/newuidmap && setcap cap_setgid=ep /usr/bin/newgidmap' ;;
    setuid) give='chmod 4755 /usr/bin/newuidmap /usr/bin/newgidmap' ;;
  esac
  cat >"$ctx/Dockerfile" <<DF
FROM scratch
COPY rootfs/ /
RUN $give && rm /usr/bin/setcap && chown 1000:1000 /home/kiln && chmod 1777 /tmp
ENV HOME=/home/kiln
USER kiln
ENTRYPOINT ["/usr/local/bin/kiln"]
DF
  pm_image "$name" "$ctx"
}

pm_run() {
  podman run --rm "$@"
}

pm_userns() {
  echo "--uidmap 0:$1:$2 --gidmap 0:$1:$2"
}

pm_rootless() {
  PM_RL_USER=$1
  PM_RL=$T/rootless
  chmod 0711 "$T"
  mkdir -p "$PM_RL/home" "$PM_RL/xdg" "$PM_RL/graph" "$PM_RL/run"
  cat >"$PM_RL/containers.conf" <<CONF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM_RL/events.log"
CONF
  cat >"$PM_RL/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PM_RL/graph"
runroot = "$PM_RL/run"
CONF
  chown -R "$PM_RL_USER:$PM_RL_USER" "$PM_RL"
  chmod 0700 "$PM_RL/xdg"
  trap 'pm_rc=$?; pm_rl_cleanup; pm_cleanup; set +e; (exit $pm_rc); cleanup' EXIT
}

pm_rl() {
  runuser -u "$PM_RL_USER" -- env HOME="$PM_RL/home" XDG_RUNTIME_DIR="$PM_RL/xdg" \
    CONTAINERS_CONF="$PM_RL/containers.conf" CONTAINERS_STORAGE_CONF="$PM_RL/storage.conf" \
    podman "$@"
}

# the user's containers and the pause process rootless podman keeps its namespace with
pm_rl_cleanup() {
  [ -n "${PM_RL:-}" ] && [ -d "$PM_RL" ] || return 0
  pm_rl rm -af -t 0 >/dev/null 2>&1 || true
  local pid
  for pid in $(cat "$PM_RL"/xdg/libpod/tmp/pause.pid "$PM_RL"/xdg/containers/pause.pid 2>/dev/null || true); do
    [ "$(stat -c %U "/proc/$pid" 2>/dev/null)" = "$PM_RL_USER" ] && kill "$pid" 2>/dev/null
  done
  return 0
}
