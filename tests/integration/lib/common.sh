# Shared helpers for the integration tests: they drive the real kiln binary ($KILN) and check
# what it writes with real tools (check-oci-layout.mjs, umoci, skopeo).
# Every test sources this file; it gives a fresh temp dir $T and store $ROOT, removed on exit.
set -euo pipefail

KILN=${KILN:?set KILN to the kiln binary}
KILN_SRC=${KILN_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
KILN_SHARED=${KILN_SHARED:-$(cd "$KILN_SRC/.." && pwd)/shared}
T=$(mktemp -d "${TMPDIR:-/tmp}/kiln-it.XXXXXX")
ROOT=$T/root
TESTS_RUN=0
# ctest's SKIP_RETURN_CODE for every integration test (tests/CMakeLists.txt)
KILN_SKIP_CODE=77

# Sanitizer reports (a kiln built by scripts/build asan; a release build ignores all this).
# The sanitizers exit 1 by default, as kiln does for a failed build, so an expected failure could
# hide one. Here:
# - every sanitizer exits with KILN_SAN_CODE (86), which is no exit status of kiln's;
# - ASan and LeakSanitizer write every report to a file under $KILN_SAN_DIR (log_path=),
#   wherever kiln's stderr goes (captured, discarded);
# - UBSan (GCC's separate runtime ignores log_path) reports on kiln's stderr: expect_fail looks
#   for reports in the output it captures, and the EXIT trap in every text file the test wrote
#   in $T (two levels deep: the logs, never an unpacked image);
# a report found any of these ways fails the test, even where kiln was expected to fail.
KILN_SAN_CODE=86
KILN_SAN_DIR=$T/sanitizer
KILN_SAN_REGEX='ERROR: [A-Za-z]+Sanitizer|SUMMARY: [A-Za-z]+Sanitizer|WARNING: [A-Za-z]+Sanitizer|runtime error:'
mkdir -m 1777 "$KILN_SAN_DIR"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=$KILN_SAN_CODE:log_path=$KILN_SAN_DIR/asan"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=$KILN_SAN_CODE:log_path=$KILN_SAN_DIR/lsan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=$KILN_SAN_CODE:print_stacktrace=1"

# sanitizer_reports: prints every report found so far (report files, and text files under $T
# that hold one); status 1 when there is one.
sanitizer_reports() {
  local f found=0
  for f in "$KILN_SAN_DIR"/*; do
    [ -e "$f" ] || continue
    found=1
    echo "== sanitizer report ${f##*/}:"
    cat "$f"
  done
  while IFS= read -r f; do
    found=1
    echo "== sanitizer report in ${f#"$T"/}:"
    grep -E -B2 -A20 -- "$KILN_SAN_REGEX" "$f" | head -60
  done < <(find "$T" -maxdepth 2 -type f -size -20M -not -path "$KILN_SAN_DIR/*" \
    -exec env LC_ALL=C grep -IlE -- "$KILN_SAN_REGEX" {} + 2>/dev/null)
  return $found
}
# the host-wide list of the id ranges kiln gives its stores as root: the tests' own
export KILN_IDMAP_RANGES=${KILN_IDMAP_RANGES:-$T/idmap-ranges}

cleanup() {
  local rc=$? reports
  set +e # nothing in here may end the trap early (and keep $T)
  if [ -d "$KILN_SAN_DIR" ] && ! reports=$(sanitizer_reports 2>&1); then
    echo "$reports" >&2
    echo "FAIL: sanitizer reports from kiln (above)" >&2
    rc=1
  fi
  if [ -n "${KILN_KEEP_TMP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
  exit $rc
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# skip_log LINE: appends a line to $KILN_SKIP_LOG (set by ctest; scripts/test prints it).
skip_log() {
  [ -n "${KILN_SKIP_LOG:-}" ] || return 0
  printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >>"$KILN_SKIP_LOG"
}

# skip REASON: this test cannot run here. ctest reports it as skipped (never as passed).
skip() {
  echo "SKIP: $*" >&2 # stderr: also seen when called inside $(...)
  skip_log "SKIP: $*"
  exit "$KILN_SKIP_CODE"
}

# skip_check WHAT REASON: one check of a test that cannot run here (the rest of the test runs);
# printed, and listed by scripts/test among the skipped checks.
skip_check() {
  echo "skipped check: $1 ($2)"
  skip_log "skipped check: $1 ($2)"
}

# have_shared TOOL: the shared checkout (../shared) has TOOL (a path under it).
have_shared() {
  [ -e "$KILN_SHARED/$1" ]
}

ok() {
  TESTS_RUN=$((TESTS_RUN + 1))
  echo "ok $TESTS_RUN - $*"
}

# kbuild ARGS...: kiln build with the test store, quiet progress; prints the digest.
kbuild() {
  "$KILN" build --root "$ROOT" --progress quiet "$@"
}

# check_layout DIR [REF [CHECKER-ARGS...]]: the shared strict OCI layout checker must pass (a
# skipped check when there is no ../shared).
check_layout() {
  local dir=$1 ref=${2:-}
  shift $(($# < 2 ? $# : 2))
  local args=("$dir" "$@")
  [ -n "$ref" ] && args+=(--ref "$ref")
  if ! have_shared tools/check-oci-layout.mjs; then
    skip_check "check-oci-layout $(basename "$dir")" "no $KILN_SHARED/tools"
    return 0
  fi
  if ! node "$KILN_SHARED/tools/check-oci-layout.mjs" "${args[@]}" >"$T/check.log" 2>&1; then
    cat "$T/check.log" >&2
    fail "check-oci-layout $dir"
  fi
}

# validate_sbom MODE FILE: the shared SBOM validator (spdx-strict, cdx) must pass (a skipped
# check when there is no ../shared).
validate_sbom() {
  if ! have_shared tools/validate-sbom.mjs; then
    skip_check "validate-sbom $1 $(basename "$2")" "no $KILN_SHARED/tools"
    return 0
  fi
  node "$KILN_SHARED/tools/validate-sbom.mjs" "$1" "$2" >"$T/validate.log" 2>&1 ||
    { cat "$T/validate.log" >&2; fail "validate-sbom $1 $2"; }
}

# unpack_tree LAYOUT REF OUT: umoci unpack, then print a listing of the rootfs:
#   path type mode uid:gid [sha256-of-content | -> link-target]
unpack_tree() {
  local layout=$1 ref=$2 out=$3
  rm -rf "$out"
  local rootless=()
  [ "$(id -u)" -ne 0 ] && rootless=(--rootless)
  # an image with attestations is an index of two manifests, which umoci calls ambiguous:
  # skopeo picks the platform's image into a plain layout first
  local src=$layout
  if grep -q '"application/vnd.oci.image.index.v1+json"' <(python3 -c 'import json,sys; print(json.dumps([m["mediaType"] for m in json.load(open(sys.argv[1]+"/index.json"))["manifests"]]))' "$layout"); then
    src=$T/unpack-src.$$
    rm -rf "$src"
    skopeo copy -q "oci:$layout:$ref" "oci:$src:$ref" >/dev/null 2>"$T/umoci.log" ||
      { cat "$T/umoci.log" >&2; fail "skopeo copy $layout:$ref"; }
  fi
  umoci unpack "${rootless[@]}" --image "$src:$ref" "$out" >/dev/null 2>"$T/umoci.log" ||
    { cat "$T/umoci.log" >&2; fail "umoci unpack $layout:$ref"; }
  (cd "$out/rootfs" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | while read -r p; do
    local line
    line=$(stat -c '%F %a %u:%g' "$p")
    line=${line/regular empty file/file}
    line=${line/regular file/file}
    line=${line/symbolic link/symlink}
    case "$line" in
      file*) line="$line $(sha256sum <"$p" | cut -c1-12)" ;;
      symlink*) line="$line -> $(readlink "$p")" ;;
    esac
    echo "$p $line"
  done)
}

# expect_fail CODE PATTERN CMD...: CMD must exit with CODE and print PATTERN (grep -E).
expect_fail() {
  local code=$1 pattern=$2
  shift 2
  local rc=0
  "$@" >"$T/out.log" 2>&1 || rc=$?
  if [ "$rc" -ne "$code" ]; then
    cat "$T/out.log" >&2
    fail "expected exit $code, got $rc: $*"
  fi
  if grep -Eq -- "$KILN_SAN_REGEX" "$T/out.log"; then
    cat "$T/out.log" >&2
    fail "a sanitizer report in the output of: $*"
  fi
  grep -Eq -- "$pattern" "$T/out.log" || { cat "$T/out.log" >&2; fail "expected /$pattern/ in the output of: $*"; }
}

# top_digest LAYOUT: the digest index.json's first entry points at (what a tag names: the
# image index when attestations are attached, else the image manifest).
top_digest() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"])' "$1"
}

# manifest_digest LAYOUT: the digest of the image manifest of the first index.json entry
# (through the nested index when the image carries attestations).
manifest_digest() {
  PYTHONPATH=$KILN_SRC/tests/integration/lib python3 -c 'import oci,sys; print(oci.image_descriptor(sys.argv[1])["digest"])' "$1"
}

# py ARGS...: python3 with tests/integration/lib on the path (import oci).
py() {
  PYTHONPATH=$KILN_SRC/tests/integration/lib python3 "$@"
}

# blob_json LAYOUT DIGEST: a blob of the layout.
blob_json() {
  cat "$1/blobs/sha256/${2#sha256:}"
}

# progress_steps LOG [kinds]: "cached|ran" lists of the layer steps (COPY, ADD, RUN) of a
# --progress=json log, by instruction text, or only by kind ("COPY,RUN|RUN") with "kinds".
progress_steps() {
  python3 - "$1" "${2:-}" <<'PY'
import json, sys
names, cached, ran = {}, [], []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    if e["event"] == "step":
        names[e["id"]] = e["name"]
    elif e["event"] == "done":
        n = names[e["id"]].split("] ", 1)[1]
        if n.split()[0] in ("COPY", "ADD", "RUN"):
            (cached if e["cached"] else ran).append(n.split()[0] if sys.argv[2] == "kinds" else n)
print(",".join(cached) + "|" + ",".join(ran))
PY
}

# rootless_user NAME: creates (once) a normal user with a subordinate id range, or exits the
# test as skipped when this machine cannot run rootless builds.
rootless_user() {
  [ "$(id -u)" -eq 0 ] || skip "creating the test user needs root"
  if [ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ] || ! command -v newuidmap >/dev/null; then
    skip "no user namespaces or no newuidmap on this machine"
  fi
  id "$1" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh "$1"
  # rootless RUN steps reach the network through pasta, which opens /dev/net/tun as the user:
  # 0666 as Debian's udev rules make it (machines without udev leave it 0600)
  [ -c /dev/net/tun ] && chmod 0666 /dev/net/tun
  grep -q "^$1:" /etc/subuid || echo "$1:300000:65536" >>/etc/subuid
  grep -q "^$1:" /etc/subgid || echo "$1:300000:65536" >>/etc/subgid
}

# debian_rootfs: the path of the Debian 12 minbase tree, made now when missing (once, under a
# lock: tests never rely on another test having made it); skips the test where it cannot be
# made (not root). Tests that call it carry the ctest label "network".
debian_rootfs() {
  local rc=0 tree
  tree=$("$KILN_SRC/tests/integration/lib/make-debian-rootfs.sh" ${KILN_DEBIAN_ROOTFS:+"$KILN_DEBIAN_ROOTFS"}) || rc=$?
  [ "$rc" -ne 77 ] || skip "this machine cannot make the Debian tree"
  [ "$rc" -eq 0 ] || fail "make-debian-rootfs.sh failed (exit $rc)"
  echo "$tree"
}

# debian_base_layout: the OCI layout (tag bookworm) of the Debian tree as a debootstrap base with
# its device nodes (lib/make-debian-base.sh), made now when missing; skips where it cannot be.
debian_base_layout() {
  local rc=0 layout
  layout=$("$KILN_SRC/tests/integration/lib/make-debian-base.sh") || rc=$?
  [ "$rc" -ne 77 ] || skip "this machine cannot make the Debian base"
  [ "$rc" -eq 0 ] || fail "make-debian-base.sh failed (exit $rc)"
  echo "$layout"
}
