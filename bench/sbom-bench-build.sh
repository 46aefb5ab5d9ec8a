#!/usr/bin/env bash
# Builds bench/sbom-bench.c against the static libraries of a kiln build directory and prints
# the path of the program. Used by bench/sbom-bench.sh and tests/integration/test_sbom_validate.sh.
#
#   bench/sbom-bench-build.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: sbom-bench-build.sh BUILD_DIR}
if [ ! -f "$build/libkiln_builder.a" ]; then
  [ -f "$build/CMakeCache.txt" ] || cmake -S "$src" -B "$build" -G Ninja >&2
  cmake --build "$build" --target kiln_builder >&2
fi
out=$build/sbom-bench
san=()
if grep -q '^KILN_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  san=("-fsanitize=address,undefined" -fno-omit-frame-pointer)
fi
if [ ! -x "$out" ] || [ -n "$(find "$src/bench/sbom-bench.c" "$build/libkiln_builder.a" \
    "$build/libkiln_common.a" -newer "$out" 2>/dev/null)" ]; then
  # shellcheck disable=SC2046
  cc -std=gnu11 -O2 -D_GNU_SOURCE "${san[@]}" -I"$src/include" -I"$src" -I"$src/common" \
    -I"$src/builder" -I"$src/frontend" -o "$out" "$src/bench/sbom-bench.c" \
    "$build/libkiln_builder.a" "$build/libkiln_frontend.a" "$build/libkiln_common.a" \
    $(pkg-config --libs jansson zlib libzstd libcrypto) \
    $(pkg-config --libs libseccomp 2>/dev/null || true) -lpthread -lm >&2
fi
echo "$out"
