#!/usr/bin/env bash
# ctest-labels: network
# Python's bytecode stays valid in a kiln image (issue 12 item 4). A Debian minbase image (made
# here from debootstrap) installs python3 with apt-get: Debian's py3compile compiles the stdlib
# at install time, and kiln lowers every mtime of the layer to the epoch (2020-01-01 by default). With
# SOURCE_DATE_EPOCH in the step's environment py_compile writes hash-checked .pyc files, so the
# image's Python never recompiles (before: 544 stale .pyc, five starts 2.0 s instead of 0.3 s).
#
# Needs the Debian mirror (ctest label "network"). It builds with kiln's default network; until
# that default reaches the mirror, run it with
#   KILN_TEST_NET_FLAGS="--network host --allow network.host"
source "$(dirname "$0")/lib/common.sh"

[ "$(id -u)" -eq 0 ] || { echo "ok - skipped: needs root (debootstrap, chroot)"; exit 77; }
read -r -a net <<<"${KILN_TEST_NET_FLAGS:-}"

tree=$("$KILN_SRC/tests/integration/lib/make-debian-rootfs.sh") || fail "cannot make the Debian tree"
ctx=$(dirname "$(readlink -f "$tree")")
name=$(basename "$(readlink -f "$tree")")
printf 'FROM scratch\nCOPY %s/ /\n' "$name" >"$T/base.Dockerfile"
printf '%s/dev\n%s/proc\n%s/sys\n' "$name" "$name" "$name" >"$T/base.Dockerfile.dockerignore"
kbuild -f "$T/base.Dockerfile" -t debian:min --allow-root-user --no-sbom --no-provenance \
  --output "type=oci,dest=$T/base,tar=false" "$ctx" >/dev/null 2>"$T/base.log" ||
  { cat "$T/base.log"; fail "the Debian base image"; }

mkdir -p "$T/ctx/app"
printf 'import json\n\ndef main():\n    return json.dumps({"ok": True})\n' >"$T/ctx/app/tool.py"
cat >"$T/ctx/Dockerfile" <<'EOF'
FROM base
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
COPY app/ /app/
RUN python3 -m compileall -q /app
USER nobody
EOF
kbuild "${net[@]}" --build-context "base=oci-layout://$T/base:min" -t py:1 \
  --output "type=oci,dest=$T/py,tar=false" "$T/ctx" >/dev/null 2>"$T/build.log" ||
  { tail -20 "$T/build.log"; fail "python3 image (apt-get install needs the Debian mirror)"; }
unpack_tree "$T/py" 1 "$T/u" >/dev/null
r=$T/u/rootfs

# Every .pyc beside its source must be valid: hash-based (flags bit 0), or timestamp-based with
# the source's mtime and size.
py - "$r" <<'PY'
import glob, os, struct, sys
root = sys.argv[1]
n = {"hash": 0, "timestamp": 0}
stale = []
for pyc in glob.glob(root + "/usr/lib/python3*/**/__pycache__/*.pyc", recursive=True) + \
        glob.glob(root + "/app/__pycache__/*.pyc"):
    src = os.path.join(os.path.dirname(os.path.dirname(pyc)), os.path.basename(pyc).split(".")[0] + ".py")
    if not os.path.exists(src):
        continue
    with open(pyc, "rb") as f:
        h = f.read(16)
    if struct.unpack("<I", h[4:8])[0] & 1:
        n["hash"] += 1
        continue
    mtime, size = struct.unpack("<II", h[8:16])
    st = os.stat(src)
    if (int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF) == (mtime, size):
        n["timestamp"] += 1
    else:
        stale.append(src[len(root):])
assert not stale, "%d stale .pyc, e.g. %s" % (len(stale), stale[:5])
assert n["hash"] + n["timestamp"] >= 400, n
assert os.path.exists(root + "/app/__pycache__/tool.cpython-311.pyc"), "compileall wrote nothing"
print("valid .pyc:", n)
PY
ok "every stdlib and app .pyc in the image is valid (hash-checked or matching its source)"

# The image's Python, as its non-root user, loads the bytecode and compiles nothing.
imports='import json, email.parser, http.client, argparse, asyncio, sys; sys.path.insert(0, "/app"); import tool'
chroot --userspec=65534:65534 "$r" /usr/bin/python3 -v -c "$imports" >"$T/v.log" 2>&1 ||
  { tail "$T/v.log"; fail "python3 does not run in the image"; }
matched=$(grep -c '\.pyc matches ' "$T/v.log" || true)
compiled=$(grep -E '^# code object from .*\.py$' "$T/v.log" || true)
[ -z "$compiled" ] || fail "python3 compiled sources at start: $(echo "$compiled" | head -3)"
[ "$matched" -ge 50 ] || fail "python3 used only $matched .pyc files"
grep -q '/app/__pycache__/tool.cpython-311.pyc matches /app/tool.py' "$T/v.log" ||
  fail "the app's bytecode was not used"
start=$(date +%s.%N)
for _ in 1 2 3 4 5; do chroot --userspec=65534:65534 "$r" /usr/bin/python3 -c "$imports"; done
secs=$(echo "$(date +%s.%N) - $start" | bc)
ok "python3 in the image used $matched .pyc files and compiled nothing; five starts took ${secs}s"
