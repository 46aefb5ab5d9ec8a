#!/usr/bin/env bash
# A RUN step must not reach the user's terminal or kiln's process group (issue 13 item 1):
#   - under a pseudo-terminal, a step that pushes a command into the terminal's input queue
#     (TIOCSTI through /dev/tty, as `perl -e 'ioctl($t,0x5412,...)'` does) injects nothing: the
#     step has its own session and no controlling terminal (/dev/tty fails with ENXIO, as in
#     runc without a terminal);
#   - escape sequences a step prints (OSC 52 clipboard, window title, cursor and screen
#     control) reach the terminal escaped, in plain and tty progress;
#   - rootless (the step's root is the invoking user), `kill -9 0`, `kill -STOP 0` and
#     `kill -9 -1` kill or stop neither kiln nor a sentinel in the caller's process group.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

command -v script >/dev/null || fail "script (util-linux) is needed to give kiln a terminal"
cc -static -O2 -o "$T/attack" "$KILN_SRC/tests/integration/lib/attack.c" ||
  fail "cannot build the static attack helper (cc -static, libc6-dev)"
busybox_context "$T/ctx"
cp "$T/attack" "$T/ctx/rootfs/bin/attack"

# in_pty SECONDS CMD: CMD (a shell string) in a fresh pseudo-terminal made by script(1); its
# input stays open for SECONDS so that a line pushed into the terminal would be read back
in_pty() {
  (sleep "$1" | script -qec "$2" /dev/null) 2>&1
}

# ---- TIOCSTI ----
{ busybox_dockerfile; printf 'FROM base\nRUN attack tiocsti\nUSER app\n'; } >"$T/ctx/Dockerfile"
in_pty 5 "'$KILN' build --root '$ROOT' --progress plain --no-cache \
  --output type=oci,dest=$T/out-sti,tar=false '$T/ctx' >'$T/sti.log' 2>&1; echo \"kiln rc=\$?\"; \
  read -t 3 line; echo \"READ[\$line]\"" >"$T/pty.log"
cat "$T/sti.log" >>"$T/pty.log"
grep -q 'kiln rc=0' "$T/pty.log" || { cat "$T/pty.log"; fail "the TIOCSTI build did not run"; }
grep -q 'TIOCSTI-BLOCKED open /dev/tty: No such device or address' "$T/sti.log" ||
  { cat "$T/pty.log"; fail "/dev/tty in the step is not without a terminal (ENXIO)"; }
if grep -q 'TIOCSTI-INJECTED' "$T/sti.log" || grep -q 'PWNED' "$T/pty.log"; then
  cat "$T/pty.log"
  fail "a step pushed input into the user's terminal"
fi
grep -q 'READ\[\]' "$T/pty.log" || { cat "$T/pty.log"; fail "the shell read something"; }
ok "TIOCSTI from a step under a terminal injects nothing (no controlling terminal in the step)"

# ---- escape sequences in the output ----
cat >"$T/ctx/Dockerfile" <<'DF'
FROM scratch AS base
COPY rootfs/ /
FROM base
RUN printf '\033]52;c;SGVsbG8=\007\033]0;PWNTITLE\007\033[2J\033[H\033[31mred\033[0m h\303\251llo\tTAB \302\233 \342\200\256 end\r\n'; \
    printf 'bar 10%%\rbar 100%%\n\033[1A'
USER app
DF
for mode in plain tty; do
  in_pty 1 "stty cols 300; '$KILN' build --root '$ROOT' --progress $mode --no-cache \
    --output type=oci,dest=$T/out-esc,tar=false '$T/ctx'" >"$T/esc-$mode.log"
  grep -q 'SBOM\|sha256:' "$T/esc-$mode.log" || { cat -A "$T/esc-$mode.log"; fail "$mode: build"; }
  # the step's sequences show as text...
  for want in '\x1b]52;c;SGVsbG8=\x07' '\x1b]0;PWNTITLE\x07' '\x1b[2J\x1b[H\x1b[31mred' \
    'héllo	TAB \u009b \u202e end'; do
    grep -qF -- "$want" "$T/esc-$mode.log" || { cat -A "$T/esc-$mode.log"; fail "$mode: no '$want'"; }
  done
  # ...and none of them reaches the terminal raw: no OSC at all, no C1 CSI, no bidi override
  if LC_ALL=C grep -qaP '\x1b\]|\xc2\x9b|\xe2\x80\xae|\x1b\[2J|\x1b\[31m' "$T/esc-$mode.log"; then
    cat -A "$T/esc-$mode.log"
    fail "$mode: a raw escape sequence of the step reached the terminal"
  fi
done
# plain: kiln itself prints no escape at all; a carriage return ends a line
if LC_ALL=C grep -qaP '\x1b' "$T/esc-plain.log"; then cat -A "$T/esc-plain.log"; fail "plain: raw ESC"; fi
grep -q '^#[0-9]* bar 10%' "$T/esc-plain.log" && grep -q '^#[0-9]* bar 100%' "$T/esc-plain.log" ||
  { cat -A "$T/esc-plain.log"; fail "plain: carriage returns"; }
ok "escape sequences a step prints reach the terminal escaped (plain and tty progress)"

# ---- signals to the caller's process group, rootless ----
user=kiln-rootless
rootless_user "$user"
chmod 0755 "$T"
mkdir -p "$T/rl" && chown "$user" "$T/rl"
chown -R "$user" "$T/ctx"

# as_user_guarded NAME SCRIPT: runs SCRIPT as the user in a new session (so that a failure
# cannot signal this test), waits at most 120 s, then reports the group's state and kills it
as_user_guarded() {
  local name=$1 script=$2
  setsid su -s /bin/sh "$user" -c "HOME=$T/rl sh $script" >"$T/$name.log" 2>&1 &
  local pid=$! i
  for i in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    ps -o pid,pgid,stat,cmd -s "$pid" >&2 || true
    kill -KILL -- "-$pid" 2>/dev/null || true
    cat "$T/$name.log"
    fail "$name: the build did not end (stopped?)"
  fi
  wait "$pid" || true
}

for attack in 'kill -9 0' 'kill -STOP 0' 'kill -9 -1'; do
  name=sig-$(echo "$attack" | tr -c 'a-zA-Z0-9' '_')
  { busybox_dockerfile; printf 'FROM base\nRUN %s; echo step-survived\nUSER app\n' "$attack"; } >"$T/ctx/Dockerfile"
  cat >"$T/rl/$name.sh" <<EOF
sleep 600 &
echo \$! >$T/rl/$name.sentinel
echo "pgids: shell \$(ps -o pgid= -p \$\$) sentinel \$(ps -o pgid= -p \$!)"
'$KILN' build --root '$T/rl/store' --progress plain --no-cache --step-timeout 8 \
  --output type=oci,dest=$T/rl/out-$name,tar=false '$T/ctx'
echo "kiln rc=\$?"
echo "caller-survived"
EOF
  as_user_guarded "$name" "$T/rl/$name.sh"
  sentinel=$(cat "$T/rl/$name.sentinel")
  state=$(ps -o stat= -p "$sentinel" || echo gone)
  kill -KILL "$sentinel" 2>/dev/null || true
  log=$T/$name.log
  grep -Eq 'pgids: shell +([0-9]+) sentinel +\1$' "$log" || { cat "$log"; fail "$attack: sentinel not in the caller's group"; }
  grep -q 'caller-survived' "$log" || { cat "$log"; fail "$attack killed the shell that ran kiln"; }
  case "$state" in
    gone) cat "$log"; fail "$attack killed the sentinel in the caller's process group" ;;
    T*) cat "$log"; fail "$attack stopped the sentinel in the caller's process group" ;;
  esac
  grep -Eq 'kiln rc=[01]$' "$log" || { cat "$log"; fail "$attack: kiln was killed ($(grep 'kiln rc' "$log"))"; }
  case "$attack" in
    'kill -9 0') grep -q 'killed by signal 9' "$log" || { cat "$log"; fail "$attack: the step should die alone"; } ;;
    'kill -STOP 0') grep -q 'step timeout of 8 s exceeded' "$log" || { cat "$log"; fail "$attack: the stopped step should time out"; } ;;
    'kill -9 -1') grep -q 'kiln rc=0' "$log" || { cat "$log"; fail "$attack: the step should survive it"; } ;;
  esac
  ok "rootless '$attack' in a step: kiln, its caller and a sentinel in the caller's group survive"
done
