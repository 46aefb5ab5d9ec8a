#!/usr/bin/env bash
# Limits that cannot apply (issue 13 item 9): a --memory, --pids-limit or --cpus that kiln cannot
# enforce fails the build before the step runs, with an error naming the limit and why, unless
# the operator passes --allow-unenforced-limits (then a warning). RLIMIT_NPROC stands in for the
# pids cgroup where it bounds the whole step (a step that is not root).
#
# "Cannot apply" is made real, not simulated: kiln runs as root in a mount namespace of the
# test's own where every cgroup hierarchy is mounted read-only; and rootless, where this
# machine delegates no cgroup to the user.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

[ "$(id -u)" = 0 ] || skip "needs root to make a private mount namespace"
command -v unshare >/dev/null && command -v findmnt >/dev/null ||
  fail "unshare and findmnt (util-linux) are needed"
cc -static -O2 -o "$T/attack" "$KILN_SRC/tests/integration/lib/attack.c" ||
  fail "cannot build the static attack helper (cc -static, libc6-dev)"
busybox_context "$T/ctx"
cp "$T/attack" "$T/ctx/rootfs/bin/attack"
{ busybox_dockerfile; printf 'FROM base\nRUN echo step-ran > /ran\nUSER app\n'; } >"$T/ctx/Dockerfile"
{ busybox_dockerfile; printf 'FROM base\nUSER app\nRUN attack forks 100\n'; } >"$T/ctx/Dockerfile.app"

# ro_cgroups CMD...: CMD in a private mount namespace where every cgroup mount is read-only
ro_cgroups() {
  unshare -m --propagation private sh -c '
    for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
      mount -o bind,remount,ro "$m" "$m" || exit 97
    done
    exec "$@"' ro "$@"
}
[ -n "$(findmnt -rn -t cgroup,cgroup2 -o TARGET)" ] || skip "no cgroup mounted"

n=0
for limit in "--memory 64m" "--cpus 0.5" "--pids-limit 32"; do
  n=$((n + 1))
  case $limit in
    --memory*) what='memory limit of 64 MiB' ;;
    --cpus*) what='cpu limit of 0.50 CPUs' ;;
    --pids*) what='pids limit of 32' ;;
  esac
  # shellcheck disable=SC2086
  expect_fail 1 "Dockerfile:4: RUN echo step-ran > /ran: $what cannot be enforced: .*Read-only file system.*--allow-unenforced-limits" \
    ro_cgroups "$KILN" build --root "$ROOT" --progress plain --no-cache $limit \
    --output "type=oci,dest=$T/out$n,tar=false" "$T/ctx"
  grep -q '^#[0-9]* step-ran' "$T/out.log" && fail "$limit: the step ran"
  [ ! -e "$T/out$n" ] || fail "$limit: an output was written"
  ok "$limit that cannot be enforced (read-only cgroups) fails the build before the step runs"
done

# the operator's override: the step runs, with a warning naming the limit
ro_cgroups "$KILN" build --root "$ROOT" --progress plain --no-cache --memory 64m --cpus 0.5 \
  --allow-unenforced-limits --output "type=oci,dest=$T/out-allowed,tar=false" "$T/ctx" >"$T/allowed.log" 2>&1 ||
  { cat "$T/allowed.log"; fail "--allow-unenforced-limits"; }
grep -q "WARNING: Dockerfile:4: RUN: memory limit of 64 MiB not enforced: .*Read-only file system" "$T/allowed.log" &&
  grep -q "WARNING: Dockerfile:4: RUN: cpu limit of 0.50 CPUs not enforced" "$T/allowed.log" ||
  { cat "$T/allowed.log"; fail "no warning for the unenforced limits"; }
check_layout "$T/out-allowed"
ok "--allow-unenforced-limits runs the step and warns about each limit"

# a step that is not root: RLIMIT_NPROC bounds all its processes, so the pids limit holds
ro_cgroups "$KILN" build --root "$ROOT" --progress plain --no-cache --pids-limit 16 -f "$T/ctx/Dockerfile.app" \
  --output "type=oci,dest=$T/out-app,tar=false" "$T/ctx" >"$T/app.log" 2>&1 ||
  { cat "$T/app.log"; fail "--pids-limit for a USER app step"; }
forks=$(sed -n 's/^#[0-9]* FORKS \([0-9]*\) of 100$/\1/p' "$T/app.log")
[ -n "$forks" ] && [ "$forks" -le 15 ] && [ "$forks" -ge 5 ] ||
  { cat "$T/app.log"; fail "a non-root step forked ${forks:-?} of 100 processes under --pids-limit 16"; }
! grep -q 'WARNING.*pids' "$T/app.log" || { cat "$T/app.log"; fail "the pids limit is enforced: no warning"; }
ok "without a pids cgroup, RLIMIT_NPROC holds a non-root step to --pids-limit ($forks more processes)"

# the same limits where the cgroups are writable: nothing to say (the control of the checks above)
"$KILN" build --root "$ROOT" --progress plain --no-cache --memory 64m --cpus 0.5 --pids-limit 32 \
  --output "type=oci,dest=$T/out-rw,tar=false" "$T/ctx" >"$T/rw.log" 2>&1 ||
  { cat "$T/rw.log"; fail "limits with writable cgroups"; }
! grep -q 'not enforced\|cannot be enforced' "$T/rw.log" || { cat "$T/rw.log"; fail "limits not applied as root"; }
ok "the same limits apply where the cgroups are writable"
