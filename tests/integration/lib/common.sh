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
# the host-wide list of the id ranges kiln gives its stores as root: the tests' own
export KILN_IDMAP_RANGES=${KILN_IDMAP_RANGES:-$T/idmap-ranges}

cleanup() {
  local rc=$?
  if [ -n "${KILN_KEEP_TMP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
  return $rc
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

ok() {
  TESTS_RUN=$((TESTS_RUN + 1))
  echo "ok $TESTS_RUN - $*"
}

# kbuild ARGS...: kiln build with the test store, quiet progress; prints the digest.
kbuild() {
  "$KILN" build --root "$ROOT" --progress quiet "$@"
}

# check_layout DIR [REF]: the shared strict OCI layout checker must pass.
check_layout() {
  local dir=$1 ref=${2:-}
  local args=("$dir")
  [ -n "$ref" ] && args+=(--ref "$ref")
  if ! node "$KILN_SHARED/tools/check-oci-layout.mjs" "${args[@]}" >"$T/check.log" 2>&1; then
    cat "$T/check.log" >&2
    fail "check-oci-layout $dir"
  fi
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
  if [ "$(id -u)" -ne 0 ]; then
    echo "ok - skipped: creating the test user needs root"
    exit 0
  fi
  if [ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ] || ! command -v newuidmap >/dev/null; then
    echo "ok - skipped: no user namespaces or no newuidmap on this machine"
    exit 0
  fi
  id "$1" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh "$1"
  grep -q "^$1:" /etc/subuid || echo "$1:300000:65536" >>/etc/subuid
  grep -q "^$1:" /etc/subgid || echo "$1:300000:65536" >>/etc/subgid
}
