#!/usr/bin/env bash
# kiln builds kiln (issue 15, section 3): the repository's Dockerfile, built by kiln with its
# defaults FROM a debootstrap debian:bookworm (named contexts standing in for Docker Hub's
# debian:bookworm and debian:bookworm-slim), gives the image CI users pull: kiln built from
# source, a small non-root runtime with its SBOM and provenance. The image then runs: `kiln
# version`, and in an unprivileged podman container (a user namespace of 65536 ids, /proc
# unmasked, its store in the image's volume) it builds the bundled example (the same image as
# kiln on the host builds) and a Dockerfile whose RUN installs a Debian package through the
# default network, nested.
# ctest-labels: realworld;network;podman
# ctest-timeout: 3600
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/podman.sh"
rw_setup

rw_build kiln "$KILN_SRC" --build-context "debian:bookworm-slim=oci-layout://$RW_BASE:bookworm"
check_layout "$T/kiln.oci" 1
ok "kiln build of the repository's Dockerfile (apt-get through the default network, cmake + ninja)"

# the runtime image: kiln, its libraries and helpers, nothing of the builder; non-root
skopeo inspect --config "oci:$T/kiln.oci:1" >"$T/kiln.config" 2>&1 || { cat "$T/kiln.config"; fail "skopeo inspect"; }
py - "$T/kiln.config" <<'PY' || fail "the image config"
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert c["User"] == "kiln", c["User"]
assert c["Entrypoint"] == ["kiln"], c["Entrypoint"]
assert "KILN_ROOT=/var/lib/kiln" in c["Env"], c["Env"]
assert "/var/lib/kiln" in c.get("Volumes", {}), c.get("Volumes")
PY
grep -q "SetuidFilesInImage" "$T/kiln.log" && fail "setuid files in kiln's image: $(grep SetuidFilesInImage "$T/kiln.log" | head -3)"
rw_unpack kiln
r=$T/kiln.bundle/rootfs
[ -x "$r/usr/bin/kiln" ] && [ -f "$r/usr/share/man/man1/kiln.1" ] &&
  [ -f "$r/usr/share/bash-completion/completions/kiln" ] || fail "kiln, its man page and completion"
[ -e "$r/usr/bin/pasta" ] || fail "no pasta in the image"
[ ! -e "$r/usr/bin/cmake" ] && [ ! -e "$r/usr/bin/gcc" ] && [ ! -d "$r/src" ] || fail "builder leftovers in the image"
[ "$(stat -c %a "$r/usr/bin/newuidmap")" = 755 ] || fail "newuidmap is $(stat -c %a "$r/usr/bin/newuidmap")"
getcap "$r/usr/bin/newuidmap" | grep -q 'cap_setuid=ep' || fail "newuidmap without its file capability"
getcap "$r/usr/bin/newgidmap" | grep -q 'cap_setgid=ep' || fail "newgidmap without its file capability"
[ "$(cat "$r/etc/subuid")" = "$(printf 'kiln:1:999\nkiln:1001:64535')" ] || fail "/etc/subuid: $(cat "$r/etc/subuid")"
[ "$(stat -c '%u %a' "$r/var/lib/kiln")" = "1000 700" ] || fail "/var/lib/kiln: $(stat -c '%u %a' "$r/var/lib/kiln")"
rw_out kiln "kiln 0.1.0" kiln version
ok "a non-root runtime image: kiln, man page, completion, pasta, newuidmap with file capabilities, no setuid file; kiln version runs"

py - "$T/kiln.oci" <<'PY' || fail "the attestations"
import json, sys, oci
att = oci.attestations(sys.argv[1])
spdx = att["https://spdx.dev/Document"]["predicate"]
names = {p["name"] for p in spdx["packages"]}
for want in ("passt", "uidmap", "libarchive13", "libjansson4", "libseccomp2", "libcurl4"):
    assert want in names, want + " not in the SBOM"
for gone in ("cmake", "gcc-12", "ninja-build", "libarchive-dev", "libcap2-bin"):
    assert gone not in names, gone + " in the SBOM of the runtime image"
prov = att["https://slsa.dev/provenance/v1"]["predicate"]
assert prov["buildDefinition"]["buildType"] == "https://kiln.dev/build/v1"
PY
ok "its SBOM lists the runtime packages (pasta, uidmap, kiln's libraries) and none of the builder's; provenance attached"

# in an unprivileged container
if ! pm_try_setup; then
  skip_check "kiln's image in a podman container" "$PM_WHY"
  exit 0
fi
skopeo copy -q "oci:$T/kiln.oci:1" containers-storage:localhost/kiln:1 >"$T/load.log" 2>&1 ||
  { cat "$T/load.log"; fail "skopeo copy into podman's storage"; }
[ "$(pm_run --network none localhost/kiln:1 version 2>&1)" = "kiln 0.1.0" ] || fail "podman run kiln version"
NS=$(pm_userns 620000000 65536) # a Kubernetes pod with hostUsers: false: 65536 ids
RUN_OPTS=($NS --hostname kiln --security-opt 'unmask=/proc/*')

mkdir -p "$T/hello.out"
pm_run "${RUN_OPTS[@]}" --network none -v "$KILN_SRC/examples/hello:/ctx:ro" -v "$T/hello.out:/out:U" \
  localhost/kiln:1 build --progress plain -t hello:1 --output type=oci,dest=/out/hello,tar=false /ctx \
  >"$T/hello-in.log" 2>&1 || { tail -20 "$T/hello-in.log"; fail "examples/hello in kiln's image"; }
kbuild -t hello:1 --output "type=oci,dest=$T/hello-host,tar=false" "$KILN_SRC/examples/hello" >/dev/null ||
  fail "examples/hello on the host"
[ "$(top_digest "$T/hello.out/hello")" = "$(top_digest "$T/hello-host")" ] ||
  fail "examples/hello: kiln's image built $(top_digest "$T/hello.out/hello"), the host $(top_digest "$T/hello-host")"
ok "kiln's image in podman (65536 ids, unmask=/proc/*, its store in the image's volume) builds examples/hello, digest for digest as on the host"

if ! command -v slirp4netns >/dev/null; then
  skip_check "apt-get in a RUN step nested in kiln's image" "no slirp4netns (Debian package slirp4netns)"
  exit 0
fi
# the base for the nested build: the debootstrap layout, readable by the container's kiln user
cp -r "$RW_BASE" "$T/base" && chmod -R a+rX "$T/base"
mkdir -p "$T/apt" "$T/apt.out"
cat >"$T/apt/Dockerfile" <<'DF'
FROM debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends hello \
 && rm -rf /var/lib/apt/lists/*
USER nobody
CMD ["hello"]
DF
pm_run "${RUN_OPTS[@]}" --network slirp4netns --device /dev/net/tun \
  -v "$T/apt:/ctx:ro" -v "$T/base:/base:ro" -v "$T/apt.out:/out:U" \
  localhost/kiln:1 build --progress plain -t apt:1 \
  --build-context debian:bookworm=oci-layout:///base:bookworm \
  --output type=oci,dest=/out/apt.oci,tar=false /ctx >"$T/apt-in.log" 2>&1 ||
  { tail -20 "$T/apt-in.log"; fail "apt-get nested in kiln's image"; }
mv "$T/apt.out/apt.oci" "$T/apt.oci"
rw_out apt "Hello, world!"
ok "a RUN step installs a Debian package through the default network, nested in kiln's image; the image runs it as nobody"
