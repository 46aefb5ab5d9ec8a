#!/usr/bin/env bash
# Cache benchmark (issue 8): the inputs of ../shared/peers/run-bench.sh (a: 3 RUN + COPY of
# 2,000 files + USER; b: one 200 MiB file), rebuilt unchanged, after a one-file edit and after a
# touch, kiln beside BuildKit (dockerd) measured in the same run. Prints figures.
# Targets: a unchanged < 0.1 s, b unchanged < 0.2 s, a one-file edit < 0.3 s, each at most half
# of BuildKit's.
#   bench/cache-bench.sh [KILN_BINARY]
set -uo pipefail
cd "$(dirname "$0")/.."
KILN=$(realpath "${1:-build/release/kiln}")
N=${N:-5}
W=$(mktemp -d /tmp/kiln-cache-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
source bench/lib.sh
bench_base
bench_input_a "$W/a"
bench_input_b "$W/b"
counter=0
edit_small() { counter=$((counter + 1)); echo "edit $counter $RANDOM" >>"$W/a/ctx/d07/f42.txt"; }

k() { # INPUT: the kiln build command (into an OCI layout, as the peers are measured)
  echo "$KILN build --root $W/store --progress quiet --allow-root-user \
    --build-context base=oci-layout://$base$ref --output type=oci,dest=$W/out-$1,tar=false $W/$1"
}
echo "N=$N; times are medians; preparation is not timed"
run "kiln a cold" "rm -rf $W/store $W/out-a" "$(k a)"
run "kiln a unchanged" "" "$(k a)"
run "kiln a one-file edit" "edit_small" "$(k a)"
run "kiln a touch" "touch $W/a/ctx/d07/f42.txt" "$(k a)"
run "kiln b cold" "rm -rf $W/store $W/out-b" "$(k b)"
run "kiln b unchanged" "" "$(k b)"

if docker_ready; then
  d() { echo "DOCKER_BUILDKIT=1 $D build -q --network none -t bench-$1 $W/$1 && skopeo copy -q docker-daemon:bench-$1:latest oci:$W/dout-$1:$1"; }
  wipe="$D image rm -f bench-a bench-b; $D builder prune -af; rm -rf $W/dout-a $W/dout-b"
  run "BuildKit a cold" "$wipe" "$(d a)"
  run "BuildKit a unchanged" "rm -rf $W/dout-a" "$(d a)"
  run "BuildKit a one-file edit" "edit_small; rm -rf $W/dout-a" "$(d a)"
  run "BuildKit a touch" "touch $W/a/ctx/d07/f42.txt; rm -rf $W/dout-a" "$(d a)"
  run "BuildKit b cold" "$wipe" "$(d b)"
  run "BuildKit b unchanged" "rm -rf $W/dout-b" "$(d b)"
else
  echo "BuildKit (dockerd): not running (../shared/peers/setup-peers.sh docker_install docker_start);"
  echo "  reference medians on this kind of machine: a unchanged 0.45 s, a one-file edit 0.75 s"
fi
