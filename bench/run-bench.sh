#!/usr/bin/env bash
# RUN benchmark (issue 4): input "a" of ../shared/peers (3 RUN steps + COPY of 2,000 small files +
# USER) over a busybox base, cold (empty store), kiln side by side with BuildKit (dockerd) and
# buildah when ../shared/peers/setup-peers.sh has set them up. Prints figures; asserts nothing.
#   bench/run-bench.sh [KILN_BINARY]          N=3 runs per figure (median), KILN_SNAPSHOTTER honoured
# Target: kiln at most half of BuildKit's cold time.
set -uo pipefail
cd "$(dirname "$0")/.."
KILN=$(realpath "${1:-build/kiln}")
N=${N:-3}
PEERS=$(cd .. && pwd)/shared/peers
PEERS_DIR=${PEERS_DIR:-$HOME/.cache/kiln-peers}
W=$(mktemp -d /tmp/kiln-run-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
source tests/integration/lib/busybox.sh

# the base: the peers' busybox:1 layout when there is one, else one kiln builds (untimed)
base="$PEERS_DIR/base-layout"
if [ -f "$base/index.json" ]; then
  ref="@$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$base/index.json")"
else
  busybox_context "$W/base"
  printf 'FROM scratch\nCOPY rootfs/ /\n' >"$W/base/Dockerfile"
  "$KILN" build --root "$W/base-store" --progress quiet --allow-root-user -t busybox:1 \
    --output "type=oci,dest=$W/base-layout,tar=false" "$W/base" >/dev/null 2>&1 || exit 1
  base="$W/base-layout" ref=:1
fi

mkdir -p "$W/a"
python3 - "$W/a/ctx" <<'PY'
import hashlib, os, sys
root = sys.argv[1]
for d in range(20):
    os.makedirs(f'{root}/d{d:02d}', exist_ok=True)
    for f in range(100):
        h = hashlib.sha256(f'{d}/{f}'.encode()).hexdigest()
        with open(f'{root}/d{d:02d}/f{f:02d}.txt', 'w') as fh:
            fh.write(f'file {d:02d}/{f:02d}\n' + h * ((d * 100 + f) % 4 + 1) + '\n')
PY
cat >"$W/a/Dockerfile" <<'DF'
FROM base
RUN mkdir -p /data && echo one > /data/1
RUN echo two > /data/2 && ls -la /data > /data/listing
RUN for i in 1 2 3 4 5; do echo "$i" > /data/f$i; done
COPY ctx/ /app/
USER app
DF
printf 'Dockerfile\n' >"$W/a/.dockerignore"

median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

run() { # label prep cmd
  local label=$1 prep=$2 cmd=$3 walls=() rss=()
  for _ in $(seq "$N"); do
    eval "$prep" >/dev/null 2>&1
    /usr/bin/time -f '%e %M' -o "$W/t" sh -c "$cmd" >/dev/null 2>"$W/err" ||
      { echo "$label: FAILED"; tail -3 "$W/err"; return; }
    read -r w m <"$W/t"
    walls+=("$w") rss+=("$m")
  done
  printf '%-34s wall %6ss  peak RSS %5s MiB  (runs: %s)\n' "$label" \
    "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(printf '%s\n' "${rss[@]}" | median | awk '{printf "%.0f", $1/1024}')" "${walls[*]}"
}

echo "input a: 3 RUN + COPY of 2,000 files + USER, cold; N=$N; snapshotter ${KILN_SNAPSHOTTER:-auto}"
run "kiln a cold" "rm -rf $W/store $W/out" \
  "$KILN build --root $W/store --progress quiet --build-context base=oci-layout://$base$ref \
   --output type=oci,dest=$W/out,tar=false $W/a"

# The peers get the same base under the name "base" (loaded untimed, as a pulled base would be)
# and the same output: an OCI layout.
if command -v buildah >/dev/null; then
  B="buildah --storage-driver overlay"
  src="oci:$base$( [ "${ref:0:1}" = @ ] && echo ":busybox:1" || echo "$ref")"
  skopeo copy -q "$src" "containers-storage:[overlay@/var/lib/containers/storage+/run/containers/storage]localhost/base:latest" >/dev/null 2>&1
  cp -a "$W/a" "$W/a-buildah"
  sed -i 's|^FROM base$|FROM localhost/base|' "$W/a-buildah/Dockerfile" # no short-name aliases
  run "buildah (overlay, chroot, --layers) a cold" \
    "$B rmi -f bench-a; $B rm -a; rm -rf $W/out" \
    "$B bud -q --layers --isolation chroot -t bench-a $W/a-buildah && $B push -q bench-a oci:$W/out:a"
else
  echo "buildah: not installed (bash ../shared/peers/setup-peers.sh pkgs); reference a cold 2.54 s"
fi
D=/usr/bin/docker
if [ -x "$D" ] && $D version >/dev/null 2>&1; then
  skopeo copy -q "oci:$base$( [ "${ref:0:1}" = @ ] && echo ":busybox:1" || echo "$ref")" docker-daemon:base:latest >/dev/null 2>&1
  run "BuildKit (dockerd 20.10) a cold" \
    "$D image rm -f bench-a; $D builder prune -af; rm -rf $W/out" \
    "DOCKER_BUILDKIT=1 $D build -q --network none -t bench-a $W/a && skopeo copy -q docker-daemon:bench-a:latest oci:$W/out:a"
else
  echo "BuildKit (dockerd): not running (setup-peers.sh docker_install docker_start); reference a cold 1.81 s"
fi
