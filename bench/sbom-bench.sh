#!/usr/bin/env bash
# Times SBOM generation (catalogers + SPDX 2.3 + CycloneDX 1.6) for the Debian 12 minbase tree.
# Target: under 0.3 s for both documents (88 packages); the check (-t) is on the best run's CPU
# time, since a busy machine stretches the wall time (both are printed).
#
#   bench/sbom-bench.sh [LAYER_DIR...]
#
# Env: KILN_BUILD (default ./build, configured and built when missing), KILN_DEBIAN_ROOTFS
# (default /var/tmp/kiln-debian-rootfs, made with tests/integration/lib/make-debian-rootfs.sh
# when missing), KILN_BENCH_RUNS (default 10), KILN_BENCH_TARGET (seconds, default 0.3; 0: no
# check), KILN_BENCH_OUT (a directory: also write the documents there).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD:-$src/build}
bin=$("$src/bench/sbom-bench-build.sh" "$build")
if [ $# -eq 0 ]; then
  rootfs=${KILN_DEBIAN_ROOTFS:-/var/tmp/kiln-debian-rootfs}
  if [ ! -s "$rootfs/var/lib/dpkg/status" ]; then
    KILN_DEBIAN_ROOTFS=$rootfs "$src/tests/integration/lib/make-debian-rootfs.sh" >/dev/null
  fi
  set -- "$rootfs"
fi
args=(-n "${KILN_BENCH_RUNS:-10}" -t "${KILN_BENCH_TARGET:-0.3}")
if [ -n "${KILN_BENCH_OUT:-}" ]; then
  mkdir -p "$KILN_BENCH_OUT"
  args+=(-o "$KILN_BENCH_OUT")
fi
exec "$bin" "${args[@]}" "$@"
