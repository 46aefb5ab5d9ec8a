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
W=$(mktemp -d /tmp/kiln-run-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
source bench/lib.sh
bench_base
bench_input_a "$W/a"

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
if docker_ready; then
  run "BuildKit (dockerd 20.10) a cold" \
    "$D image rm -f bench-a; $D builder prune -af; rm -rf $W/out" \
    "DOCKER_BUILDKIT=1 $D build -q --network none -t bench-a $W/a && skopeo copy -q docker-daemon:bench-a:latest oci:$W/out:a"
else
  echo "BuildKit (dockerd): not running (setup-peers.sh docker_install docker_start); reference a cold 1.81 s"
fi
