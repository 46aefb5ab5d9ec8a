#!/usr/bin/env bash
# COPY benchmark (issue 2): a COPY of 2,000 small files and of one 200 MiB file, cold, with
# wall time and peak RSS, side by side with buildah and BuildKit (dockerd) when they are set up
# with ../shared/peers/setup-peers.sh. Prints figures; asserts nothing (run by hand).
#   bench/copy-bench.sh [KILN_BINARY]
set -uo pipefail
cd "$(dirname "$0")/.."
KILN=${1:-build/release/kiln}
N=${N:-3}
W=$(mktemp -d /tmp/kiln-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

mkdir -p "$W/a/ctx" "$W/b"
for d in $(seq -w 0 19); do
  mkdir -p "$W/a/ctx/d$d"
  for f in $(seq -w 0 99); do echo "file $d/$f" >"$W/a/ctx/d$d/f$f.txt"; done
done
printf 'FROM scratch\nCOPY ctx /ctx\n' >"$W/a/Dockerfile"
openssl enc -aes-128-ctr -pass pass:kiln-bench -nosalt -pbkdf2 -in /dev/zero 2>/dev/null |
  head -c 209715200 >"$W/b/big.bin"
printf 'FROM scratch\nCOPY big.bin /big.bin\n' >"$W/b/Dockerfile"

source bench/lib.sh # run, median

for c in a b; do
  run "kiln $c cold" "rm -rf $W/root $W/out" "$KILN build --root $W/root --progress quiet --allow-root-user --output type=oci,dest=$W/out,tar=false $W/$c"
done
if command -v buildah >/dev/null; then
  for c in a b; do
    run "buildah $c cold" "buildah rmi -a -f; rm -rf $W/bo" "buildah bud -q --layers -t bench-$c $W/$c && buildah push -q bench-$c oci:$W/bo:$c"
  done
fi
if /usr/bin/docker version >/dev/null 2>&1; then
  for c in a b; do
    run "BuildKit (dockerd) $c cold" "/usr/bin/docker image rm -f bench-$c; /usr/bin/docker builder prune -af" \
      "DOCKER_BUILDKIT=1 /usr/bin/docker build -q -t bench-$c $W/$c && skopeo copy -q docker-daemon:bench-$c:latest oci:$W/do:$c"
  done
else
  echo "BuildKit: dockerd not running (../shared/peers/setup-peers.sh docker_install docker_start)"
fi
