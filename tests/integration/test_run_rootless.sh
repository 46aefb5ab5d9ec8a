#!/usr/bin/env bash
# Rootless: the same build as a normal user (with a subordinate id range in /etc/subuid and
# /etc/subgid, newuidmap/newgidmap) gives the same image digest as the build as root, and its
# steps run with the user's range mapped, never host root.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

user=kiln-rootless
rootless_user "$user"

busybox_context "$T/ctx"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN echo hi > /hi && rm /bin/vi && mkdir -p /home/app/x && chown -R app:app /home/app/x
RUN rm -rf /root && mkdir /root && echo fresh > /root/f
USER app
RUN touch /home/app/x/f && id -u > /home/app/x/id
DF
} >"$T/ctx/Dockerfile"
chmod 0755 "$T"
chown -R "$user" "$T/ctx"
mkdir -p "$T/rl" && chown "$user" "$T/rl"

kbuild -t rl:1 --output "type=oci,dest=$T/out-root,tar=false" "$T/ctx" >"$T/d-root"
su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress quiet -t rl:1 \
  --output type=oci,dest=$T/rl/out,tar=false '$T/ctx'" >"$T/d-user" 2>"$T/user.log" ||
  { cat "$T/user.log"; fail "rootless build"; }
[ "$(cat "$T/d-root")" = "$(cat "$T/d-user")" ] ||
  fail "rootless digest $(cat "$T/d-user") differs from root's $(cat "$T/d-root")"
ok "rootless build gives the same image digest as root ($(cat "$T/d-root"))"

check_layout "$T/rl/out"
unpack_tree "$T/rl/out" 1 "$T/unpacked" >"$T/tree"
grep -q '^home/app/x/f file 644 10001:10001' "$T/tree" || fail "owner of a file made as USER app: $(grep x/f "$T/tree")"
ok "rootless layers carry container ids"

{ busybox_dockerfile; printf 'FROM base\nRUN cat /proc/self/uid_map\nUSER app\n'; } >"$T/ctx/Dockerfile"
su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress plain \
  --output type=oci,dest=$T/rl/out2,tar=false '$T/ctx'" >"$T/user.log" 2>&1 ||
  { cat "$T/user.log"; fail "rootless build"; }
uid=$(id -u "$user")
sub=$(grep "^$user:" /etc/subuid | cut -d: -f2)
grep -Eq " 0 +$uid +1\$" "$T/user.log" || { cat "$T/user.log"; fail "container root is not the user"; }
grep -Eq " 1 +$sub +65535\$" "$T/user.log" || { cat "$T/user.log"; fail "subordinate range not mapped"; }
ok "rootless steps map container root to the user and the rest to its subordinate range"

# a limit the user cannot apply (no delegated cgroup) fails the build, unless the operator
# says otherwise (then a warning)
rc=0
su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress plain --no-cache \
  --memory 64m --output type=oci,dest=$T/rl/out3,tar=false '$T/ctx'" >"$T/user.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q 'kiln: Dockerfile:.*memory limit of 64 MiB cannot be enforced: .*--allow-unenforced-limits' "$T/user.log" ||
  { cat "$T/user.log"; fail "rootless --memory without a cgroup: exit $rc"; }
[ ! -e "$T/rl/out3" ] || fail "an output was written"
su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress plain --no-cache \
  --memory 64m --allow-unenforced-limits --output type=oci,dest=$T/rl/out3,tar=false '$T/ctx'" >"$T/user.log" 2>&1 ||
  { cat "$T/user.log"; fail "rootless build with --memory --allow-unenforced-limits"; }
grep -q 'WARNING: .*memory limit of 64 MiB not enforced' "$T/user.log" || { cat "$T/user.log"; fail "no word about the memory limit"; }
ok "a limit the user cannot apply fails the build; --allow-unenforced-limits makes it a warning"

# the last fallback: a user without a subordinate range gets a single-id map, with a warning
single=kiln-single
id "$single" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh "$single"
sed -i "/^$single:/d" /etc/subuid /etc/subgid
{ busybox_dockerfile; printf 'FROM base\nRUN echo hi > /hi && cat /proc/self/uid_map\nUSER app\n'; } >"$T/ctx/Dockerfile"
mkdir -p "$T/single" && chown "$single" "$T/single" && chown -R "$single" "$T/ctx"
su -s /bin/sh "$single" -c "HOME=$T/single '$KILN' build --root '$T/single/store' --progress plain \
  --output type=oci,dest=$T/single/out,tar=false '$T/ctx'" >"$T/single.log" 2>&1 ||
  { cat "$T/single.log"; fail "single-id build"; }
grep -q 'WARNING: .*single-id user namespace' "$T/single.log" || { cat "$T/single.log"; fail "no warning"; }
grep -Eq "^#[0-9]+ +0 +$(id -u "$single") +1$" "$T/single.log" || { cat "$T/single.log"; fail "single-id map"; }
ok "without a subordinate range: a single-id map and a warning"

sub=$(awk -F: -v u="$user" '$1 == u { print $2; exit }' /etc/subuid)
[ -n "$(find "$T/rl/store/snapshots" -uid +$((sub - 1)) -print -quit)" ] ||
  fail "no snapshot file owned by a subordinate id to prune: $(ls -ln "$T/rl/store/snapshots")"
su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' prune --root '$T/rl/store' --all" >"$T/prune.log" 2>&1 ||
  { cat "$T/prune.log"; fail "rootless prune"; }
[ -d "$T/rl/store/snapshots" ] && [ -z "$(ls -A "$T/rl/store/snapshots")" ] || fail "rootless prune left snapshots: $(ls "$T/rl/store/snapshots")"
ok "rootless prune removes snapshots owned by subordinate ids"
