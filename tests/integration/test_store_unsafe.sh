#!/usr/bin/env bash
# A store someone else prepared is refused (issue 13 item 8): a --root writable by its group or
# by others, owned by another uid, under a directory another user could rename, with a symlink
# or another user's entry at its top, a planted id map, a planted snapshot directory; and with
# no HOME and no passwd entry there is no /tmp fallback. Each attack runs through kiln build and
# must fail with a clear error, having used nothing of the store.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

[ "$(id -u)" -eq 0 ] || { echo "ok - skipped: needs root (chown to other uids)"; exit 77; }
other=54321 # a uid with no passwd entry
busybox_context "$T/ctx"
{ busybox_dockerfile; printf 'FROM base\nRUN echo built > /built\nUSER app\n'; } >"$T/ctx/Dockerfile"
chmod 0755 "$T"

# refused STORE PATTERN: the build with --root STORE fails (exit 1) with PATTERN, and the store
# is left exactly as it was (nothing created, nothing changed)
listing() { find "$1" -printf '%p %y %s %m %u\n' 2>/dev/null | LC_ALL=C sort; }
refused() {
  local before
  before=$(listing "$1")
  expect_fail 1 "$2" "$KILN" build --root "$1" --no-cache --progress quiet "$T/ctx"
  [ "$(listing "$1")" = "$before" ] || fail "the refused store $1 changed: $(diff <(echo "$before") <(listing "$1") | head -5)"
}

mkdir -m 0775 "$T/group"
refused "$T/group" "store '$T/group': the directory '$T/group' is writable by its group \(mode 0775\)"
mkdir -m 0757 "$T/others"
refused "$T/others" "is writable by others \(mode 0757\)"
mkdir -m 0700 "$T/theirs" && chown "$other:$other" "$T/theirs"
refused "$T/theirs" "belongs to uid $other, not to you \(uid 0\)"
ok "a store writable by its group or others, or owned by another uid, is refused"

mkdir -m 0777 "$T/open" && mkdir -m 0700 "$T/open/store"
refused "$T/open/store" "the parent directory '$T/open' is writable by others"
mkdir -m 0755 "$T/owned" && chown "$other" "$T/owned" && mkdir -m 0700 "$T/owned/store"
refused "$T/owned/store" "the parent directory '$T/owned' belongs to uid $other"
mkdir -m 1777 "$T/sticky" && chown "$other" "$T/sticky" && mkdir -m 0700 "$T/sticky/store"
refused "$T/sticky/store" "the parent directory '$T/sticky' belongs to uid $other"
ok "a store under a directory another user can write or owns is refused"

kbuild --output "type=oci,dest=$T/out-good,tar=false" "$T/ctx" >/dev/null || fail "a store of our own"
good=$ROOT
cp -a "$good" "$T/linked" && rm -rf "$T/linked/blobs" && mkdir -m 0700 "$T/elsewhere" &&
  cp -a "$good/blobs" "$T/elsewhere/" && ln -s "$T/elsewhere/blobs" "$T/linked/blobs"
refused "$T/linked" "'$T/linked/blobs' is a symbolic link"
cp -a "$good" "$T/entry" && chown -R "$other" "$T/entry/cache"
refused "$T/entry" "the entry '$T/entry/cache' belongs to uid $other"
cp -a "$good" "$T/gw" && chmod g+w "$T/gw/snapshots"
refused "$T/gw" "the entry '$T/gw/snapshots' is writable by its group"
ok "a store whose top entries are links, another user's, or writable by others is refused"

# a planted id map: container ids onto host ids of real users
cp -a "$good" "$T/idmap" && printf '1000 65536\n1000 65536\n' >"$T/idmap/idmap"
expect_fail 2 "store '$T/idmap': bad idmap file" "$KILN" build --root "$T/idmap" --no-cache --progress quiet "$T/ctx"
cp -a "$good" "$T/idmap2" && chmod 0666 "$T/idmap2/idmap"
refused "$T/idmap2" "the entry '$T/idmap2/idmap' is writable by others"
ok "a planted id map (host ids below 65536, or writable by others) is refused"

# a planted snapshot: another user's directory under the name of the base layer's diff_id, with
# a shell of its own; the step must not run over it
cp -a "$good" "$T/snap"
for s in "$T"/snap/snapshots/*; do
  [ -x "$s/bin/busybox" ] || continue
  rm -rf "$s" && mkdir -p "$s/bin" && printf '#!/bin/busybox sh\necho PLANTED > /built\n' >"$s/bin/sh"
  chmod 0755 "$s/bin/sh" && chown -R "$other:$other" "$s"
  planted=$(basename "$s")
done
[ -n "${planted:-}" ] || fail "no base snapshot found to replace"
expect_fail 1 "snapshot 'snapshots/$planted' belongs to $other:$other, outside the store's ids" \
  "$KILN" build --root "$T/snap" --no-cache --progress quiet --output "type=oci,dest=$T/out-snap,tar=false" "$T/ctx"
[ ! -e "$T/out-snap" ] || fail "an output was written over the planted snapshot"
ok "a planted snapshot directory (another owner) is refused, not trusted"

# no HOME, no passwd entry: no store in /tmp, a clear error
rm -rf /tmp/.local/share/kiln.engine-test-probe
before=$(stat -c %Y /tmp/.local/share/kiln 2>/dev/null || echo none)
expect_fail 2 "no directory for kiln's store: HOME is not set and uid $other has no home .*pass --root" \
  setpriv --reuid="$other" --regid="$other" --clear-groups env -u HOME -u XDG_DATA_HOME -u KILN_ROOT \
  "$KILN" build --progress quiet "$T/ctx"
[ "$(stat -c %Y /tmp/.local/share/kiln 2>/dev/null || echo none)" = "$before" ] || fail "a store was made in /tmp"
expect_fail 2 "no directory for kiln's store" \
  setpriv --reuid="$other" --regid="$other" --clear-groups env -u HOME -u XDG_DATA_HOME -u KILN_ROOT \
  "$KILN" prune
ok "with no HOME and no passwd entry kiln asks for --root instead of using /tmp"

kbuild --output "type=oci,dest=$T/out-again,tar=false" "$T/ctx" >/dev/null || fail "the good store after all that"
ok "a store of one's own (0700 under a root-owned sticky /tmp) still works"
