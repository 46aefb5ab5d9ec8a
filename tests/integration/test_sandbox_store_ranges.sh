#!/usr/bin/env bash
# As root, each store gets a host id range of its own (issue 13 item 10c, SECURITY.md "a
# dedicated range per store"): two stores' steps and snapshots never share host ids, a new
# range overlaps no other user's /etc/subuid or /etc/subgid range, a store keeps the range it
# recorded (a store made by an older kiln keeps the shared one), and the range of a store that
# is gone is given out again.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

[ "$(id -u)" = 0 ] || skip "stores have ranges of their own only when kiln runs as root"
export KILN_IDMAP_RANGES=$T/idmap-ranges
busybox_context "$T/ctx"
{ busybox_dockerfile; printf 'FROM base\nRUN cat /proc/self/uid_map /proc/self/gid_map && touch /home/app/f && chown app:app /home/app/f\nUSER app\n'; } >"$T/ctx/Dockerfile"

# /etc/subuid and /etc/subgid as kiln sees them, in a private mount namespace (the host's files
# stay as they are): another user's range right where kiln's pool starts, which new stores
# must avoid
command -v unshare >/dev/null || fail "unshare (util-linux) is needed"
squat=kiln-sbx-squat
{ cat /etc/subuid; echo "$squat:1000000000:200000"; } >"$T/subuid"
{ cat /etc/subgid; echo "$squat:1000000000:200000"; } >"$T/subgid"

build_in() { # STORE OUT
  unshare -m --propagation private sh -c 'mount --bind "$1" /etc/subuid && mount --bind "$2" /etc/subgid &&
    shift 2 && exec "$@"' sh "$T/subuid" "$T/subgid" \
    "$KILN" build --root "$1" --progress plain --no-cache --output "type=oci,dest=$2,tar=false" "$T/ctx" 2>&1
}
base_of() { head -1 "$1/idmap" | cut -d' ' -f1; }

build_in "$T/s1" "$T/o1" >"$T/s1.log" || { cat "$T/s1.log"; fail "store 1"; }
build_in "$T/s2" "$T/o2" >"$T/s2.log" || { cat "$T/s2.log"; fail "store 2"; }
b1=$(base_of "$T/s1")
b2=$(base_of "$T/s2")
[ "$b1" != "$b2" ] || fail "two stores share the base $b1"
for b in "$b1" "$b2"; do
  # no overlap with the squatter's range [1000000000, 1000200000) or any other user's
  while IFS=: read -r name start count; do
    [ "$name" = root ] || [ "$name" = 0 ] && continue
    if [ "$b" -lt $((start + count)) ] && [ "$start" -lt $((b + 65536)) ]; then
      fail "store range $b+65536 overlaps $name's subordinate range $start+$count"
    fi
  done <"$T/subuid"
  [ "$b" -ge 65536 ] && [ $((b + 65536)) -le 2147483648 ] || fail "range $b out of bounds"
done
grep -Eq "^#[0-9]+ +0 +$b1 +65536\$" "$T/s1.log" || { cat "$T/s1.log"; fail "store 1's steps do not run in its range"; }
grep -Eq "^#[0-9]+ +0 +$b2 +65536\$" "$T/s2.log" || { cat "$T/s2.log"; fail "store 2's steps do not run in its range"; }
# the snapshot files of a step carry its store's host ids (container 10001 + base)
f1=$(find "$T/s1/snapshots" -path '*/home/app/f' | head -1)
f2=$(find "$T/s2/snapshots" -path '*/home/app/f' | head -1)
[ "$(stat -c %u:%g "$f1")" = "$((b1 + 10001)):$((b1 + 10001))" ] || fail "store 1's files: $(stat -c %u:%g "$f1")"
[ "$(stat -c %u:%g "$f2")" = "$((b2 + 10001)):$((b2 + 10001))" ] || fail "store 2's files: $(stat -c %u:%g "$f2")"
[ "$(top_digest "$T/o1")" = "$(top_digest "$T/o2")" ] || fail "the two stores built different images"
ok "two stores as root: ranges of their own ($b1, $b2), clear of other users' subordinate ids; same image"

# the range is the store's: a rebuild keeps it, the list names both stores
build_in "$T/s1" "$T/o1b" >"$T/s1b.log" || { cat "$T/s1b.log"; fail "store 1 again"; }
[ "$(base_of "$T/s1")" = "$b1" ] || fail "store 1 changed its range"
grep -q "^$b1 65536 $T/s1\$" "$KILN_IDMAP_RANGES" && grep -q "^$b2 65536 $T/s2\$" "$KILN_IDMAP_RANGES" ||
  { cat "$KILN_IDMAP_RANGES"; fail "the list of ranges"; }
ok "a store keeps its range; the host-wide list records each store's"

# a store made by an older kiln (every store had IDMAP_ROOT_BASE) keeps working with its range,
# and that shared range is never given to a new store
mkdir -p "$T/old"
printf '1000000000 65536\n1000000000 65536\n' >"$T/old/idmap"
build_in "$T/old" "$T/o-old" >"$T/old.log" || { cat "$T/old.log"; fail "a store from an older kiln"; }
grep -Eq "^#[0-9]+ +0 +1000000000 +65536\$" "$T/old.log" || { cat "$T/old.log"; fail "the old store's range"; }
ok "a store made before stores had their own ranges keeps its range"

# the range of a store that is gone goes to the next new store; the dead entry leaves the list
rm -rf "$T/s1"
build_in "$T/s3" "$T/o3" >"$T/s3.log" || { cat "$T/s3.log"; fail "store 3"; }
[ "$(base_of "$T/s3")" = "$b1" ] || fail "store 3 got $(base_of "$T/s3"), not the free range $b1"
! grep -q " $T/s1\$" "$KILN_IDMAP_RANGES" || { cat "$KILN_IDMAP_RANGES"; fail "a dead store stays listed"; }
ok "the range of a removed store is given out again"

# root's own subordinate range, where it has one of at least two ranges (the same for uids and
# gids): new stores take theirs from it, after its first range (which older kilns gave every
# store)
echo "root:1500000000:196608" >>"$T/subuid"
echo "root:1500000000:196608" >>"$T/subgid"
build_in "$T/s4" "$T/o4" >"$T/s4.log" || { cat "$T/s4.log"; fail "store 4"; }
build_in "$T/s5" "$T/o5" >"$T/s5.log" || { cat "$T/s5.log"; fail "store 5"; }
b4=$(base_of "$T/s4")
b5=$(base_of "$T/s5")
[ "$b4" = 1500065536 ] && [ "$b5" = 1500131072 ] || fail "stores 4 and 5 in root's range: $b4, $b5"
build_in "$T/s6" "$T/o6" >"$T/s6.log" || { cat "$T/s6.log"; fail "store 6"; }
b6=$(base_of "$T/s6")
[ "$b6" -lt 1500000000 ] || [ "$b6" -ge 1500196608 ] || fail "store 6 ($b6) inside root's full range"
grep -Eq "^#[0-9]+ +0 +$b4 +65536\$" "$T/s4.log" || { cat "$T/s4.log"; fail "store 4's steps"; }
ok "new stores take ranges from root's own subordinate ids while they last ($b4, $b5), then from kiln's pool ($b6)"
