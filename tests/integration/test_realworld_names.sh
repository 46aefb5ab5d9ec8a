#!/usr/bin/env bash
# Realistic Dockerfile 5: a build context with unicode, space and newline names, an invalid
# UTF-8 name and hard links; a RUN that creates a non-ASCII path. Every name reaches the image
# byte for byte, and the hard links stay links.
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

c=$T/names
mkdir -p "$c/ctx/with space" "$c/ctx/日本語"
echo cv >"$c/ctx/Résumé – café.txt"
echo spaced >"$c/ctx/with space/file name.txt"
echo newline >"$c/ctx/new"$'\n'"line.txt"
echo japanese >"$c/ctx/日本語/テスト.txt"
echo latin1 >"$c/ctx/bad-"$'\xff'".bin"
echo shared >"$c/ctx/a.txt"
ln "$c/ctx/a.txt" "$c/ctx/hard-a.txt"
ln "$c/ctx/a.txt" "$c/ctx/日本語/hard-ü.txt"
ln -s "Résumé – café.txt" "$c/ctx/link-é"
cat >"$c/Dockerfile" <<'DF'
FROM debian:bookworm
COPY ctx/ /data/
RUN mkdir -p /opt/日本語 && echo made > "/opt/日本語/ファイル – ü.txt" \
 && ls /data > /opt/listing.txt
USER nobody
DF
rw_build names "$c"
ok "a context with unicode, space, newline and invalid UTF-8 names builds"

rw_unpack names
r=$T/names.bundle/rootfs
(cd "$c/ctx" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z) >"$T/want.names"
(cd "$r/data" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z) >"$T/got.names"
cmp -s "$T/want.names" "$T/got.names" ||
  fail "the names in /data differ: $(diff <(tr '\0' '\n' <"$T/want.names") <(tr '\0' '\n' <"$T/got.names") | head)"
for f in "Résumé – café.txt" "with space/file name.txt" "new"$'\n'"line.txt" "日本語/テスト.txt" \
  "bad-"$'\xff'".bin" "a.txt"; do
  cmp -s "$c/ctx/$f" "$r/data/$f" || fail "content of /data/$f"
done
[ "$(readlink "$r/data/link-é")" = "Résumé – café.txt" ] || fail "symlink target: $(readlink "$r/data/link-é")"
[ "$(cat "$r/opt/日本語/ファイル – ü.txt")" = made ] || fail "the path the RUN made"
ok "every name and symlink target is in the image byte for byte, with its content"

i=$(stat -c %i "$r/data/a.txt")
[ "$(stat -c %i "$r/data/hard-a.txt")" = "$i" ] && [ "$(stat -c %i "$r/data/日本語/hard-ü.txt")" = "$i" ] ||
  fail "hard links lost: $(stat -c '%i %h %n' "$r/data/a.txt" "$r/data/hard-a.txt" "$r/data/日本語/hard-ü.txt")"
[ "$(stat -c %h "$r/data/a.txt")" = 3 ] || fail "a.txt has $(stat -c %h "$r/data/a.txt") links"
ok "the context's hard links are one file with three names in the image"

rw_out names "ok" sh -c 'test "$(cat "/data/日本語/テスト.txt")" = japanese && test -e "$(printf "/data/bad-\377.bin")" && echo ok'
rw_out names "cv" cat "/data/link-é"
ok "the running image opens the unicode and invalid UTF-8 names"
