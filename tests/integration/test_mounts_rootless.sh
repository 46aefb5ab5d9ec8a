#!/usr/bin/env bash
# Mounts in a rootless build (a normal user with subordinate ids): a secret for a non-root
# uid, a cache owned by another container id, bind (ro and rw) and tmpfs work, twice (the
# cache survives), and give the same image as the build as root.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

user=kiln-rootless
rootless_user "$user"

busybox_context "$T/ctx"
mkdir -p "$T/ctx/src" && echo hello >"$T/ctx/src/h.txt"
random_secret "$T/ctx/tok"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN --mount=type=secret,id=tok,uid=10001 --mount=type=cache,target=/c,uid=10001,gid=10001 \
    --mount=type=bind,source=src,target=/src --mount=type=bind,source=src,target=/rw,rw \
    --mount=type=tmpfs,target=/t \
    sh -c 'stat -c "%u %a" /run/secrets/tok > /secret-owner; stat -c "%u:%g" /c > /cache-owner; cat /src/h.txt > /bound; echo x > /rw/new; echo x > /t/x; echo run >> /c/log; sha256sum < /run/secrets/tok > /h'
USER app
DF
} >"$T/ctx/Dockerfile"
printf 'tok\n' >"$T/ctx/.dockerignore"
chmod 0755 "$T"
chown -R "$user" "$T/ctx"
mkdir -p "$T/rl" && chown "$user" "$T/rl"

kbuild -t m:1 --no-cache --secret "id=tok,src=$T/ctx/tok" --output "type=oci,dest=$T/out-root,tar=false" "$T/ctx" >"$T/d-root"
for i in 1 2; do
  su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress quiet --no-cache -t m:1 \
    --secret id=tok,src=$T/ctx/tok --output type=oci,dest=$T/rl/out$i,tar=false '$T/ctx'" >"$T/d-user" 2>"$T/user.log" ||
    { cat "$T/user.log"; fail "rootless build $i"; }
done
[ "$(cat "$T/d-root")" = "$(cat "$T/d-user")" ] || fail "rootless digest differs from root's"
ok "secret, cache, bind (ro, rw) and tmpfs mounts in a rootless build: the same image as root"

unpack_tree "$T/rl/out2" 1 "$T/u" >/dev/null
[ "$(cat "$T/u/rootfs/secret-owner")" = "10001 400" ] || fail "secret owner: $(cat "$T/u/rootfs/secret-owner")"
[ "$(cat "$T/u/rootfs/cache-owner")" = "10001:10001" ] || fail "cache owner: $(cat "$T/u/rootfs/cache-owner")"
[ "$(cat "$T/u/rootfs/bound")" = hello ] || fail "bind"
log=$(find "$T/rl/store/cache/mounts" -name log)
[ "$(wc -l <"$log")" = 2 ] || fail "the cache did not survive the rebuild"
[ -d "$T/rl/store/tmp" ] && [ -z "$(ls -A "$T/rl/store/tmp")" ] || fail "private copies left in the store: $(ls "$T/rl/store/tmp")"
secret_grep "$T/ctx/tok" "$T/rl"
ok "rootless: owners as asked, the cache survives, no copy left behind, no secret in the store"
