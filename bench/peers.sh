# The peers of bench/run-all.sh, each with state of its own under $W so that nothing here meets
# what other users of the machine run (sourced; W set):
#   BuildKit: Debian's dockerd 20.10 (BuildKit built in), started here with its own data root,
#             exec root and socket (never /var/lib/docker or /run/docker.sock, never the test
#             suite's /var/tmp/kiln-test-docker), stopped by its PID at the end; the image goes
#             to an OCI layout with skopeo, as dockerd 20.10 has no OCI exporter.
#   buildah:  1.28, overlay storage of its own (--root/--runroot), chroot isolation, --layers;
#             the image goes to an OCI layout with buildah push.
# Both as ../shared/peers/setup-peers.sh installs them (pkgs, docker_install, containers_conf).

DOCKER=/usr/bin/docker # Debian's 20.10 CLI; a newer one in /usr/local/bin needs buildx
DK=$W/dockerd
dockerd_pid=""

# peers_docker_start: dockerd up (0), or 1 when it cannot run here.
peers_docker_start() {
  [ -x /usr/sbin/dockerd ] && [ -x "$DOCKER" ] || return 1
  mkdir -p "$DK/run"
  setsid /usr/sbin/dockerd --storage-driver overlay2 --iptables=false --ip6tables=false \
    --bridge=none --data-root "$DK/data" --exec-root "$DK/run/exec" \
    -H "unix://$DK/run/docker.sock" --pidfile "$DK/run/docker.pid" >"$DK/dockerd.log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST=unix://$DK/run/docker.sock DOCKER_BUILDKIT=1
  for _ in $(seq 150); do "$DOCKER" version >/dev/null 2>&1 && return 0; sleep 0.2; done
  tail -3 "$DK/dockerd.log" >&2
  return 1
}

peers_docker_stop() {
  [ -n "$dockerd_pid" ] || return 0
  kill "$dockerd_pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$dockerd_pid" 2>/dev/null
  wait "$dockerd_pid" 2>/dev/null
  dockerd_pid=""
}

# docker_load LAYOUT REF NAME: an OCI image into dockerd as NAME:latest (untimed, as a pull).
docker_load() {
  skopeo copy -q --dest-daemon-host "$DOCKER_HOST" "oci:$1$2" "docker-daemon:$3:latest" >/dev/null
}

BUILDAH_STORE=$W/buildah
buildah_() {
  buildah --root "$BUILDAH_STORE/root" --runroot "$BUILDAH_STORE/run" --storage-driver overlay "$@"
}

# buildah_load LAYOUT REF NAME: an OCI image into buildah's storage as localhost/NAME:latest.
buildah_load() {
  skopeo copy -q "oci:$1$2" \
    "containers-storage:[overlay@$BUILDAH_STORE/root+$BUILDAH_STORE/run]localhost/$3:latest" >/dev/null
}

peers_buildah_ready() {
  command -v buildah >/dev/null && command -v skopeo >/dev/null
}
