#!/usr/bin/env bash
# Realistic Dockerfile 6: file capabilities set in a RUN step with setcap (libcap2-bin), as
# images that bind low ports as a non-root user do. getcap in the image, and the xattr in the
# unpacked layer (a v2 value or a v3 value for root 0: never the build's host uid).
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

mkdir -p "$T/caps"
cat >"$T/caps/Dockerfile" <<'DF'
FROM debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
RUN cp /usr/bin/sleep /usr/local/bin/bind-low \
 && setcap cap_net_bind_service=+ep /usr/local/bin/bind-low \
 && cp /usr/bin/sleep /usr/local/bin/plain
USER nobody
DF
rw_build caps "$T/caps"
ok "setcap in a RUN step builds"

rw_out caps "/usr/local/bin/bind-low cap_net_bind_service=ep" getcap /usr/local/bin/bind-low
rw_out caps "" getcap /usr/local/bin/plain
ok "getcap in the image: the capability on the file that got it, none on the other"

rw_unpack caps
hex=$(getfattr --absolute-names -e hex -n security.capability \
  "$T/caps.bundle/rootfs/usr/local/bin/bind-low" 2>/dev/null | sed -n 's/^security.capability=//p') ||
  fail "no security.capability xattr in the unpacked image"
[ -n "$hex" ] || fail "no security.capability xattr in the unpacked image"
python3 - "$hex" <<'PY' || fail "security.capability: $hex"
import sys
v = bytes.fromhex(sys.argv[1].removeprefix("0x"))
magic = int.from_bytes(v[0:4], "little")
rev, eff = magic & 0xFF000000, magic & 1
perm = int.from_bytes(v[4:8], "little")
assert perm == 1 << 10 and eff == 1, "cap_net_bind_service=ep: %s" % v.hex()
if rev == 0x03000000:
    assert int.from_bytes(v[20:24], "little") == 0, "a v3 value for root uid %d" % int.from_bytes(v[20:24], "little")
else:
    assert rev == 0x02000000 and len(v) == 20, "revision %#x" % rev
PY
ok "the layer's xattr is cap_net_bind_service=ep for the image's root (v2, or v3 with root 0)"
