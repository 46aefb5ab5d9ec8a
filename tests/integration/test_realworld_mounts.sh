#!/usr/bin/env bash
# Realistic Dockerfile 7: apt through cache mounts (BuildKit's documented pattern: the .debs and
# lists in /var/cache/apt and /var/lib/apt, sharing=locked), a bind mount of a context file and a
# tmpfs. The packages work in the image; the caches and mounted files are in no layer; a second
# build takes the .debs from the cache instead of the mirror.
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

c=$T/mounts
mkdir -p "$c"
echo '{"name": "kiln", "tags": ["a", "b"]}' >"$c/data.json"
cat >"$c/Dockerfile" <<'DF'
FROM debian:bookworm
RUN rm -f /etc/apt/apt.conf.d/docker-clean \
 && echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends jq
RUN --mount=type=bind,source=data.json,target=/tmp/data.json \
    --mount=type=tmpfs,target=/scratch \
    jq -r '.tags | join(",")' /tmp/data.json > /scratch/t && cp /scratch/t /tags.txt \
 && jq -r .name /tmp/data.json > /name.txt
USER nobody
DF
rw_build mounts "$c"
ok "apt-get through cache mounts, a bind mount and a tmpfs build"

rw_out mounts "2" sh -c 'echo "{\"a\": 2}" | jq .a'
rw_out mounts "kiln a,b" sh -c 'echo "$(cat /name.txt) $(cat /tags.txt)"'
ok "jq runs in the image; the step read the bound file"

rw_unpack mounts
r=$T/mounts.bundle/rootfs
[ -z "$(ls "$r/var/cache/apt/archives/"*.deb 2>/dev/null)" ] || fail "downloaded .debs in the image"
[ -z "$(find "$r/var/lib/apt/lists" -name '*Packages*' 2>/dev/null)" ] || fail "apt lists in the image"
[ ! -e "$r/tmp/data.json" ] && [ ! -e "$r/scratch/t" ] || fail "a mounted file is in the image"
[ -x "$r/usr/bin/jq" ] || fail "no jq in the image (the checks above would be empty anyway)"
debs=$(find "$ROOT/cache/mounts" -name 'jq_*.deb' | wc -l)
[ "$debs" = 1 ] || fail "the apt cache mount in the store holds $debs jq .debs"
ok "the .debs and lists stay in the store's cache mounts, not in any layer"

rw_build mounts2 "$c" --no-cache
grep -q 'Need to get 0 B' "$T/mounts2.log" || fail "the rebuild downloaded the packages again: $(grep 'Need to get' "$T/mounts2.log")"
ok "a rebuild (--no-cache) installs from the cached .debs: nothing downloaded"
