#!/usr/bin/env bash
# Secrets in other processes' view (issue 13 item 6): kiln and the step's init are never
# dumpable, so
#   - a step (root or not, with a secret mounted or not) cannot read its init's environ, memory
#     or descriptors, nor ptrace it;
#   - rootless, another process of the same user cannot read a running kiln's environ (which
#     holds an env= secret), memory or descriptors, nor ptrace it or the step's init; kiln's
#     /proc/PID files belong to root (the kernel's mark of a non-dumpable process).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

cc -static -O2 -o "$T/attack" "$KILN_SRC/tests/integration/lib/attack.c" ||
  fail "cannot build the static attack helper (cc -static, libc6-dev)"
busybox_context "$T/ctx"
cp "$T/attack" "$T/ctx/rootfs/bin/attack"
SECRET=dump-me-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$SECRET" >"$T/secret.txt"

# denied LOG WHAT...: every PEEK-<what> line of LOG says DENIED, and there is one for each
denied() {
  local log=$1 w
  shift
  for w in "$@"; do
    grep -q "PEEK-$w-" "$log" || { cat "$log"; fail "no PEEK-$w result"; }
    if grep -q "PEEK-$w-OK" "$log"; then cat "$log"; fail "$(grep "PEEK-$w-OK" "$log")"; fi
  done
}

# ---- from inside the step ----
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN attack peek 1
RUN --mount=type=secret,id=tok attack peek 1
RUN --mount=type=secret,id=tok,env=TOK attack peek 1
USER app
RUN --mount=type=secret,id=tok,mode=0444 attack peek 1
DF
} >"$T/ctx/Dockerfile"
kbuild --progress plain --no-cache --secret "id=tok,src=$T/secret.txt" \
  --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/in.log" 2>&1 ||
  { cat "$T/in.log"; fail "build"; }
[ "$(grep -c 'PEEK-environ-' "$T/in.log")" = 4 ] || { cat "$T/in.log"; fail "four peeks expected"; }
denied "$T/in.log" environ fd mem ptrace
! grep -q "$SECRET" "$T/in.log" || fail "the secret reached the log"
ok "a step (root or not, with a secret or not) cannot read or ptrace its init"

# ---- from outside, rootless: another process of the same user ----
user=kiln-rootless
rootless_user "$user"
chmod 0755 "$T"
mkdir -p "$T/rl" && chown "$user" "$T/rl"
cp "$T/attack" "$T/rl/attack"
chown -R "$user" "$T/ctx" "$T/secret.txt"
{
  busybox_dockerfile
  printf 'FROM base\nRUN --mount=type=secret,id=tok echo step-running && sleep 8\nUSER app\n'
} >"$T/ctx/Dockerfile"
su -s /bin/sh "$user" -c "cd '$T/rl' && echo \$\$ >'$T/rl/kiln.pid' && HOME=$T/rl TOKVAR='$SECRET' exec '$KILN' build \
  --root '$T/rl/store' --progress plain --no-cache --secret id=tok,env=TOKVAR \
  --output type=oci,dest=$T/rl/out,tar=false '$T/ctx'" >"$T/rl.log" 2>&1 &
bg=$!
# whatever happens, kiln (and with it the step, by its parent-death signal) goes before the
# temp dir does
bg_done=
stop_bg() {
  local rc=$?
  if [ -z "$bg_done" ]; then
    kill -KILL "$(cat "$T/rl/kiln.pid" 2>/dev/null)" 2>/dev/null || true
    wait "$bg" 2>/dev/null || true
  fi
  (exit $rc)
  cleanup
}
trap stop_bg EXIT
for _ in $(seq 1 200); do
  grep -Eq '^#[0-9]+ step-running$' "$T/rl.log" 2>/dev/null && break
  kill -0 "$bg" 2>/dev/null || break
  sleep 0.1
done
grep -Eq '^#[0-9]+ step-running$' "$T/rl.log" || { cat "$T/rl.log"; fail "the slow step did not start"; }
uid=$(id -u "$user")
kiln_pid=$(cat "$T/rl/kiln.pid")
# the step's init: kiln's live child that is kiln's code (helpers come and go)
init_pid=$(ps -o pid=,stat=,comm= --ppid "$kiln_pid" | awk '$2 !~ /^Z/ && $3 == "kiln" {print $1}' | tail -1)
[ "$(ps -o comm= -p "$kiln_pid")" = kiln ] && [ "$(ps -o comm= -p "$init_pid")" = kiln ] ||
  { ps -eo pid,ppid,uid,comm | awk -v k="$kiln_pid" '$1 == k || $2 == k'; fail "kiln ($kiln_pid) or its init ($init_pid) not found"; }
# the kernel gives a non-dumpable process's /proc files to root
for p in "$kiln_pid" "$init_pid"; do
  [ "$(stat -c %u "/proc/$p/environ")" = 0 ] ||
    fail "pid $p ($(ps -o args= -p "$p" | cut -c1-40)...) is dumpable: /proc/$p/environ belongs to $(stat -c %U "/proc/$p/environ")"
done
for who in kiln:$kiln_pid init:$init_pid; do
  su -s /bin/sh "$user" -c "'$T/rl/attack' peek ${who#*:}" >"$T/peek-${who%%:*}.log" 2>&1
  denied "$T/peek-${who%%:*}.log" environ fd mem ptrace
  # the same user's own non-kiln process is readable: the checks above can fail
done
su -s /bin/sh "$user" -c "sleep 30 & '$T/rl/attack' peek \$!; kill \$!" >"$T/peek-own.log" 2>&1
grep -q 'PEEK-environ-OK' "$T/peek-own.log" || { cat "$T/peek-own.log"; fail "control: the user cannot read its own sleep"; }
bg_rc=0
wait "$bg" || bg_rc=$?
bg_done=1
[ "$bg_rc" = 0 ] || { cat "$T/rl.log"; fail "rootless build"; }
! grep -q "$SECRET" "$T/rl.log" "$T"/peek-*.log || fail "the secret was seen"
ok "rootless: the same user cannot read or ptrace a running kiln or its step's init (non-dumpable)"

# ---- what the step's init holds: no secret (as root, which may read any process's memory) ----
# secret A is mounted in the step, B is not; kiln itself holds both (the control: the scan can
# find them), the step's init neither (the values are unmapped in the sandbox child, and A
# reaches the step's tmpfs through a memfd)
A=init-scan-a-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
B=init-scan-b-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$A" >"$T/a.txt"
printf '%s' "$B" >"$T/b.txt"
{
  busybox_dockerfile
  printf 'FROM base\nRUN --mount=type=secret,id=a echo init-scan-running && sleep 8\nUSER app\n'
} >"$T/ctx/Dockerfile"
sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/rl/kiln.pid" "$KILN" build --root "$ROOT" \
  --progress plain --no-cache --secret "id=a,src=$T/a.txt" --secret "id=b,src=$T/b.txt" \
  --output "type=oci,dest=$T/out-scan,tar=false" "$T/ctx" >"$T/scan.log" 2>&1 &
bg=$!
bg_done= # stop_bg now stops this build
for _ in $(seq 1 200); do
  grep -Eq '^#[0-9]+ init-scan-running$' "$T/scan.log" 2>/dev/null && break
  kill -0 "$bg" 2>/dev/null || break
  sleep 0.1
done
grep -Eq '^#[0-9]+ init-scan-running$' "$T/scan.log" || { cat "$T/scan.log"; fail "the slow step did not start"; }
kiln_pid=$(cat "$T/rl/kiln.pid")
init_pid=$(ps -o pid=,stat=,comm= --ppid "$kiln_pid" | awk '$2 !~ /^Z/ && $3 == "kiln" {print $1}' | tail -1)
[ -n "$init_pid" ] || fail "the step's init not found"
scan_mem() { # PID: prints "a" and/or "b" for each secret found in its memory
  python3 - "$1" "$A" "$B" <<'PY'
import sys
pid, secrets = sys.argv[1], {"a": sys.argv[2].encode(), "b": sys.argv[3].encode()}
found = set()
with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        rng, perms = line.split()[:2]
        if perms[0] != "r":
            continue
        start, end = (int(x, 16) for x in rng.split("-"))
        if end - start > 1 << 30:
            continue  # a sanitizer's shadow memory, not kiln's data
        tail = b""
        for off in range(start, end, 1 << 22):
            try:
                mem.seek(off)
                chunk = tail + mem.read(min(1 << 22, end - off))
            except (OSError, ValueError, OverflowError):
                break
            found |= {k for k, v in secrets.items() if v in chunk}
            tail = chunk[-64:]
print(" ".join(sorted(found)))
PY
}
in_kiln=$(scan_mem "$kiln_pid")
in_init=$(scan_mem "$init_pid")
bg_rc=0
wait "$bg" || bg_rc=$?
bg_done=1
[ "$bg_rc" = 0 ] || { cat "$T/scan.log"; fail "the build with two secrets"; }
[ "$in_kiln" = "a b" ] || fail "control: kiln's memory should hold both secrets, found '$in_kiln'"
[ -z "$in_init" ] || fail "the step's init holds secret(s): $in_init"
ok "the step's init holds no secret, mounted or not (kiln holds both)"
