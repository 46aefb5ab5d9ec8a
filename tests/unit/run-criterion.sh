#!/usr/bin/env bash
# Runs one Criterion test program for ctest. Its exit status when a test failed; else 77
# (ctest's SKIP_RETURN_CODE) when any test of it was skipped (cr_skip_test), so that ctest
# reports the program as skipped and never as passed; the skipped tests and their reasons are
# printed and appended to $KILN_SKIP_LOG (scripts/test lists them).
#
#   tests/unit/run-criterion.sh PROGRAM [CRITERION-ARGS...]
set -uo pipefail
bin=${1:?usage: run-criterion.sh PROGRAM [ARGS...]}
shift
tap=$(mktemp "${TMPDIR:-/tmp}/kiln-tap.XXXXXX")
trap 'rm -f "$tap"' EXIT
"$bin" --jobs 1 --tap="$tap" "$@"
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
grep -q '^1\.\.' "$tap" || { echo "FAIL: $bin wrote no TAP report"; exit 1; }
skipped=$(sed -n 's/^ok - \(.*[^ ]\) *# SKIP \(.*\)$/\1: \2/p' "$tap")
[ -n "$skipped" ] || exit 0
passed=$(grep -c '^ok - .*([0-9.]*s)$' "$tap")
while IFS= read -r line; do
  echo "SKIP: $line"
  [ -z "${KILN_SKIP_LOG:-}" ] || echo "$(basename "$bin"): SKIP: $line" >>"$KILN_SKIP_LOG"
done <<<"$skipped"
echo "SKIP: $(wc -l <<<"$skipped") test(s) of $(basename "$bin") skipped ($passed passed)"
exit 77
