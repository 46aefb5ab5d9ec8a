#!/usr/bin/env bash
# Secret benchmark (issue 5): input "c" of ../shared/peers/run-bench.sh, a RUN with a secret
# mount over a busybox base:
#     RUN --mount=type=secret,id=tok sh -c 'sha256sum /run/secrets/tok > /hash'
# timed cold (empty store), unchanged (everything cached) and with the secret's value changed
# (the step re-runs: kiln's cache follows the secret, BuildKit's and buildah's do not), plus
# the leak scan alone on a 64 MiB layer. Prints figures; asserts nothing.
#   bench/secret-bench.sh [KILN_BINARY]      N=5 runs per figure (median)
# Peers, when ../shared/peers/setup-peers.sh has set them up: BuildKit (dockerd) c cold 0.22 s.
set -uo pipefail
cd "$(dirname "$0")/.."
KILN=$(realpath "${1:-build/kiln}")
N=${N:-5}
W=$(mktemp -d /tmp/kiln-secret-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
source bench/lib.sh
bench_base

mkdir -p "$W/c"
printf 'ARG BASE=busybox:1\nFROM ${BASE}\nRUN --mount=type=secret,id=tok sh -c '"'"'sha256sum /run/secrets/tok > /hash'"'"'\nUSER 10001\n' >"$W/c/Dockerfile"
printf 'Dockerfile\ntok.txt\n' >"$W/c/.dockerignore"
echo -n 's3cr3t-token-value' >"$W/c/tok.txt"

counter=0
edit_secret() { counter=$((counter + 1)); echo -n "s3cr3t-token-value-$counter-$RANDOM" >"$W/c/tok.txt"; }


build="$KILN build --root $W/store --progress quiet --build-arg BASE=base \
  --build-context base=oci-layout://$base$ref --secret id=tok,src=$W/c/tok.txt \
  --output type=oci,dest=$W/out,tar=false $W/c"
echo "input c: RUN --mount=type=secret over busybox; N=$N; snapshotter ${KILN_SNAPSHOTTER:-auto}"
run "kiln c cold" "rm -rf $W/store $W/out" "$build"
run "kiln c unchanged" "rm -rf $W/out" "$build"
run "kiln c secret-changed" "edit_secret; rm -rf $W/out" "$build"

# BuildKit (dockerd) on the same input and base, when it runs here: its cache keeps the RUN
# when the secret changes, so its "secret-changed" is a cache hit.
if docker_ready; then
  dk="DOCKER_BUILDKIT=1 $D build -q --network none --build-arg BASE=base \
    --secret id=tok,src=$W/c/tok.txt -t bench-secret-c $W/c"
  run "BuildKit (dockerd) c cold" "$D image rm -f bench-secret-c; $D builder prune -af" "$dk"
  run "BuildKit (dockerd) c unchanged" ":" "$dk"
  run "BuildKit (dockerd) c secret-changed" "edit_secret" "$dk"
  $D image rm -f bench-secret-c >/dev/null 2>&1
else
  echo "BuildKit (dockerd): not running (setup-peers.sh docker_install docker_start); reference c cold 0.22 s"
fi

# The leak scan alone: a step writes 64 MiB of random data (no secret in it); the unchanged
# rebuild is all cache hits, so its time is the scan of that layer plus the export.
mkdir -p "$W/s"
printf 'FROM base\nRUN head -c 67108864 /dev/urandom > /blob\nUSER 10001\n' >"$W/s/Dockerfile"
scan="$KILN build --root $W/store-s --progress quiet --build-context base=oci-layout://$base$ref \
  --output type=oci,dest=$W/out-s,tar=false $W/s"
run "kiln 64 MiB layer, rebuild, no secret" "rm -rf $W/out-s; $scan" "rm -rf $W/out-s; $scan"
run "kiln 64 MiB layer, rebuild, 1 secret" "rm -rf $W/out-s" "rm -rf $W/out-s; $scan --secret id=tok,src=$W/c/tok.txt"
