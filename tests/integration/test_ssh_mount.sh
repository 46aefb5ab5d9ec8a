#!/usr/bin/env bash
# RUN --mount=type=ssh against a real sshd and real agents: a step clones a Git repository over
# ssh (git clone ssh://...) with the agent of --ssh, from key files (an ssh-agent kiln starts)
# or from the user's own ssh-agent; a step without the mount cannot reach any agent; only list
# and sign requests pass (the step cannot remove the user's keys); the socket is in no layer,
# the agent not in the cache key, the key never in the log; mode/uid/gid as BuildKit; a
# required agent that is missing fails with BuildKit's words. sshd listens on the host's
# 127.0.0.1, which steps on the default network reach through pasta with the operator's
# allowance for that one port (--allow-net 127.0.0.1:PORT); its host key is in the image's
# /etc/ssh/ssh_known_hosts.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/hostbin.sh"

for t in /usr/sbin/sshd ssh ssh-agent ssh-add ssh-keygen git; do
  command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (scripts/setup)"
done

PIDS=()
ssh_cleanup() {
  local rc=$? p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  (exit $rc)
  cleanup
}
trap ssh_cleanup EXIT

# --- an sshd on 127.0.0.1 serving a Git repository to this user ---
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=$(id -un)
mkdir -p "$T/sshd"
ssh-keygen -q -t ed25519 -N '' -C kiln-test-host -f "$T/sshd/hostkey"
ssh-keygen -q -t ed25519 -N '' -C kiln-test-client -f "$T/id"
ssh-keygen -q -t ed25519 -N 'a passphrase' -C kiln-test-locked -f "$T/locked"
cp "$T/id.pub" "$T/sshd/authorized_keys"
cat >"$T/sshd/config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $T/sshd/hostkey
AuthorizedKeysFile $T/sshd/authorized_keys
PidFile $T/sshd/pid
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers $user
LogLevel VERBOSE
CFG
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd # sshd's privilege separation directory
/usr/sbin/sshd -D -e -f "$T/sshd/config" 2>"$T/sshd/log" &
PIDS+=($!)
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

git init -q --bare "$T/repo.git"
git init -q "$T/work"
echo "private code" >"$T/work/hello.txt"
git -C "$T/work" add hello.txt
git -C "$T/work" -c user.name=t -c user.email=t@example.invalid commit -qm one
git -C "$T/work" push -q "$T/repo.git" HEAD:refs/heads/main
git -C "$T/repo.git" symbolic-ref HEAD refs/heads/main
REPO="ssh://$user@127.0.0.1:$port$T/repo.git"

# --- the build: busybox + the host's git, ssh and ssh-add ---
busybox_context "$T/ctx"
hostbin_rootfs "$T/ctx/rootfs" git ssh ssh-add
mkdir -p "$T/ctx/rootfs/usr/lib/git-core"
cp -a /usr/lib/git-core/git "$T/ctx/rootfs/usr/lib/git-core/git"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$T/sshd/hostkey.pub")" >"$T/ctx/known_hosts"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
COPY known_hosts /etc/ssh/ssh_known_hosts
ENV GIT_SSH_COMMAND="ssh -o BatchMode=yes -o StrictHostKeyChecking=yes"
ARG REPO
RUN --mount=type=ssh git clone -q "$REPO" /src && cp /src/hello.txt /cloned.txt && rm -rf /src
RUN { echo "sock=[$SSH_AUTH_SOCK]"; ls /run/buildkit 2>&1; find / -xdev -type s 2>/dev/null; \
      git ls-remote "$REPO" 2>&1 || true; } > /without.txt
RUN --mount=type=ssh { ssh-add -l; ssh-add -D 2>&1; ssh-add -x </dev/null 2>&1; ssh-add -l; } > /agent.txt 2>&1 || true
USER app
DF
} >"$T/ctx/Dockerfile"
NET=(--allow-net "127.0.0.1:$port" --build-arg "REPO=$REPO")

kbuild "${NET[@]}" --progress plain --ssh "default=$T/id" -t ssh:1 -o "type=oci,dest=$T/out1,tar=false" \
  "$T/ctx" >/dev/null 2>"$T/build1.log" || { cat "$T/build1.log" "$T/sshd/log" >&2; fail "the build with --ssh default=KEY"; }
unpack_tree "$T/out1" 1 "$T/u1" >/dev/null
r=$T/u1/rootfs
[ "$(cat "$r/cloned.txt")" = "private code" ] || fail "the clone: $(cat "$r/cloned.txt")"
grep -q "Accepted publickey for $user" "$T/sshd/log" || fail "sshd saw no key login"
ok "a step clones a Git repository over ssh with the key of --ssh default=KEY (an agent kiln starts)"

grep -qx 'sock=\[\]' "$r/without.txt" || fail "a step without the mount has SSH_AUTH_SOCK: $(cat "$r/without.txt")"
grep -q 'No such file or directory' "$r/without.txt" || fail "/run/buildkit exists without the mount"
! grep -q '^/' "$r/without.txt" || fail "a socket is visible without the mount: $(cat "$r/without.txt")"
grep -qF 'Permission denied (publickey)' "$r/without.txt" || fail "git without an agent: $(cat "$r/without.txt")"
ok "a step without the ssh mount has no socket, no SSH_AUTH_SOCK and cannot authenticate"

head -1 "$r/agent.txt" | grep 'kiln-test-client (ED25519)' >/dev/null || fail "the step cannot list the key: $(cat "$r/agent.txt")"
grep -q 'Failed to remove all identities' "$r/agent.txt" || fail "the step removed the keys: $(cat "$r/agent.txt")"
[ "$(grep -c 'kiln-test-client' "$r/agent.txt")" = 2 ] || fail "the keys changed: $(cat "$r/agent.txt")"
ok "only list and sign reach the agent: remove and lock are refused"

# the sshd is reached only through the operator's allowance: without it the default network
# refuses the host's loopback before ssh gets to authenticate
expect_fail 1 "ssh: connect to host 127.0.0.1 port $port: (Connection refused|Network is unreachable)" \
  "$KILN" build --root "$ROOT" --progress plain --no-cache --build-arg "REPO=$REPO" --ssh "default=$T/id" "$T/ctx"
ok "without --allow-net 127.0.0.1:PORT the step cannot reach the host's sshd"

# the user's own agent: a socket, and --ssh default from SSH_AUTH_SOCK
eval "$(ssh-agent -s -a "$T/user-agent.sock")" >/dev/null
PIDS+=("$SSH_AGENT_PID")
ssh-add -q "$T/id" 2>/dev/null
kbuild "${NET[@]}" --progress plain --no-cache --ssh default -o "$T/out2" "$T/ctx" >/dev/null 2>"$T/build2.log" ||
  { cat "$T/build2.log" >&2; fail "the build with --ssh default (SSH_AUTH_SOCK)"; }
[ "$(cat "$T/out2/cloned.txt")" = "private code" ] || fail "clone through the user's agent"
ssh-add -l >"$T/user-keys" && grep -q kiln-test-client "$T/user-keys" || fail "the user's agent lost its key"
ok "--ssh default forwards \$SSH_AUTH_SOCK; the user's agent keeps its keys"

# not in the cache key beyond the mount: another agent, the same step is reused
kbuild "${NET[@]}" --progress plain --ssh "default=$SSH_AUTH_SOCK" -o "$T/out3" "$T/ctx" >/dev/null 2>"$T/build3.log"
grep -A1 'RUN --mount=type=ssh git clone' "$T/build3.log" | grep CACHED >/dev/null ||
  { cat "$T/build3.log"; fail "the clone step was not reused with another agent"; }
ok "the agent is not in the step's cache key (a rebuild through another agent is cached)"

# never in a layer, never in the log
for n in $(seq 1 "$(layer_count "$T/out1")"); do layer_list "$T/out1" "$n"; done >"$T/all-layers"
! grep -Eq '(^|/)run/buildkit|ssh_agent|kiln-ssh' "$T/all-layers" || fail "an agent socket reached a layer: $(grep -E 'buildkit|ssh' "$T/all-layers")"
secret_line=$(sed -n 2p "$T/id")
for f in "$T"/build*.log; do ! grep -qF "$secret_line" "$f" || fail "the private key reached $f"; done
! grep -rqF "$secret_line" "$ROOT" || fail "the private key reached the store"
ok "the socket is in no layer; the private key is in no log and nowhere in the store"

# required, missing agents, bad --ssh
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=ssh,required=true true\nUSER app\n'; } >"$T/ctx/Dockerfile.req"
expect_fail 2 'no SSH key "default" forwarded from the client' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.req" "$T/ctx"
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=ssh,id=other echo "[$SSH_AUTH_SOCK]" > /o.txt; ls /run/buildkit >> /o.txt 2>&1 || true\nUSER app\n'; } >"$T/ctx/Dockerfile.opt"
kbuild -f "$T/ctx/Dockerfile.opt" --ssh "default=$T/id" -o "$T/out4" "$T/ctx" >/dev/null 2>&1
grep -q '^\[/run/buildkit/ssh_agent.0\]$' "$T/out4/o.txt" && grep -q 'No such file' "$T/out4/o.txt" ||
  fail "an optional missing agent: $(cat "$T/out4/o.txt")"
expect_fail 2 "--ssh default: ssh-add could not load the key files .*passphrase" \
  "$KILN" build --root "$ROOT" --ssh "default=$T/locked" "$T/ctx"
(unset SSH_AUTH_SOCK; expect_fail 2 "invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set" \
  "$KILN" build --root "$ROOT" --ssh default "$T/ctx")
expect_fail 2 "invalid duplicate ID x" "$KILN" build --root "$ROOT" --ssh "x=$T/id" --ssh "x=$T/id" "$T/ctx"
expect_fail 2 "invalid combination of keys and sockets" "$KILN" build --root "$ROOT" --ssh "x=$T/id,$SSH_AUTH_SOCK" "$T/ctx"
ok "required=true without --ssh, an optional agent, a passphrase key, no SSH_AUTH_SOCK, duplicates: BuildKit's words"

# the mount's owner and mode: USER app reaches a socket made for it, not root's
{ busybox_dockerfile; cat <<'DF'
FROM base
USER app
RUN --mount=type=ssh,uid=10001,gid=10001 ssh-add -l > /tmp/mine.txt 2>&1; stat -c '%u:%g %a' $SSH_AUTH_SOCK >> /tmp/mine.txt
RUN --mount=type=ssh ssh-add -l > /tmp/root.txt 2>&1; stat -c '%u:%g %a' $SSH_AUTH_SOCK >> /tmp/root.txt; true
RUN --mount=type=ssh,mode=0666,target=/agent.sock ssh-add -l > /tmp/open.txt 2>&1; stat -c '%a' /agent.sock >> /tmp/open.txt
DF
} >"$T/ctx/Dockerfile.owner"
kbuild -f "$T/ctx/Dockerfile.owner" --ssh "default=$T/id" -o "$T/out5" "$T/ctx" >/dev/null 2>"$T/build5.log" ||
  { cat "$T/build5.log"; fail "owner build"; }
grep -q 'kiln-test-client' "$T/out5/tmp/mine.txt" && grep -q '^10001:10001 600$' "$T/out5/tmp/mine.txt" ||
  fail "uid=10001: $(cat "$T/out5/tmp/mine.txt")"
! grep -q 'kiln-test-client' "$T/out5/tmp/root.txt" && grep -q '^0:0 600$' "$T/out5/tmp/root.txt" ||
  fail "a root-owned 0600 socket was usable by app: $(cat "$T/out5/tmp/root.txt")"
grep -q 'kiln-test-client' "$T/out5/tmp/open.txt" && grep -q '^666$' "$T/out5/tmp/open.txt" ||
  fail "mode=0666,target=: $(cat "$T/out5/tmp/open.txt")"
ok "uid, gid, mode and target of the ssh mount, as BuildKit (default 0600 root:root)"

# rootless: the same mount owners through a subordinate id range (the step chowns its socket)
if [ "$(id -u)" = 0 ] && [ "$(cat /proc/sys/user/max_user_namespaces)" != 0 ] && command -v newuidmap >/dev/null; then
  rl=kiln-rootless
  rootless_user "$rl"
  mkdir -p "$T/rl" && cp "$T/id" "$T/rl/id" && chmod 0755 "$T" && chown -R "$rl" "$T/rl" "$T/ctx"
  su -s /bin/sh "$rl" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress plain -f '$T/ctx/Dockerfile.owner' \
    --ssh default=$T/rl/id -o '$T/rl/out' '$T/ctx'" >/dev/null 2>"$T/rl.log" || { cat "$T/rl.log"; fail "rootless ssh build"; }
  grep -q 'kiln-test-client' "$T/rl/out/tmp/mine.txt" && grep -q '^10001:10001 600$' "$T/rl/out/tmp/mine.txt" ||
    fail "rootless uid=10001: $(cat "$T/rl/out/tmp/mine.txt")"
  ! grep -q 'kiln-test-client' "$T/rl/out/tmp/root.txt" || fail "rootless: root's socket usable by app"
  [ "$(stat -c %u "$T/rl/out/tmp/mine.txt")" = "$(id -u "$rl")" ] || fail "rootless local output owner"
  ok "rootless (subordinate ids): the ssh mount's owner and mode hold; the local output is the user's"
fi
