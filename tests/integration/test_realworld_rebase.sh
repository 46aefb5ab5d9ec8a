#!/usr/bin/env bash
# Realistic Dockerfile 8: an image built FROM an image kiln built (a team's base image): RUN as
# root and as the base's user on top of it, into directories the base made.
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

mkdir -p "$T/base" "$T/app"
echo 'mode=base' >"$T/base/app.conf"
cat >"$T/base/Dockerfile" <<'DF'
FROM debian:bookworm
RUN useradd --uid 10001 --create-home app && mkdir -p /srv/data && chown app:app /srv/data
COPY app.conf /etc/app/app.conf
USER app
WORKDIR /srv/data
DF
rw_build base "$T/base"
echo hello >"$T/app/hello.txt"
cat >"$T/app/Dockerfile" <<'DF'
FROM company/base:1
USER root
RUN echo 'mode=app' >> /etc/app/app.conf && mkdir /srv/data/cache && chown app /srv/data/cache
COPY --chown=app hello.txt ./
USER app
RUN cp hello.txt cache/copied.txt && id -un > cache/who
CMD ["cat", "/etc/app/app.conf"]
DF
rw_build app "$T/app" --build-context "company/base:1=oci-layout://$T/base.oci:1"
ok "an image FROM a kiln-built image, with RUN as root and as the base's user"

rw_out app "$(printf 'mode=base\nmode=app')"
rw_out app "hello app /srv/data" sh -c 'echo "$(cat cache/copied.txt) $(cat cache/who) $(pwd)"'
rw_unpack app
[ "$(stat -c '%u %a' "$T/app.bundle/rootfs/srv/data/cache/copied.txt")" = "10001 644" ] ||
  fail "copied.txt: $(stat -c '%u:%g %a' "$T/app.bundle/rootfs/srv/data/cache/copied.txt")"
[ "$(stat -c '%u:%g' "$T/app.bundle/rootfs/srv/data")" = "10001:10001" ] ||
  fail "/srv/data: $(stat -c '%u:%g' "$T/app.bundle/rootfs/srv/data")"
ok "the new steps wrote as their users into the base's directories; the base's owners are kept"

py - "$T/base.single" "$T/app.single" <<'PY' || fail "the base's layers are not the first layers of the app, as they are"
import sys, oci
b, a = oci.image_manifest(sys.argv[1])["layers"], oci.image_manifest(sys.argv[2])["layers"]
assert a[:len(b)] == b, (b, a)
PY
ok "the app image starts with the base image's layers, unchanged"
