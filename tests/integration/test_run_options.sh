#!/usr/bin/env bash
# --add-host, --ulimit and --shm-size reach every RUN step (and its cache key) as in BuildKit;
# a hard limit kiln may not raise, and core dumps, are refused with a clear error.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

busybox_context "$T/ctx"
{
  busybox_dockerfile
  cat <<'DF'
FROM base
RUN cat /etc/hosts > /hosts.txt && df -k /dev/shm | tail -1 | awk '{print $2}' > /shm.txt && \
    { ulimit -Sn; ulimit -Hn; ulimit -Ss; ulimit -Sc; } > /limits.txt
USER app
DF
} >"$T/ctx/Dockerfile"

hard=$(ulimit -Hn)
low=$((hard / 2))
kbuild --add-host db.Example:10.1.2.3 --add-host "v6=[::1],127.0.0.2" --shm-size 96m \
  --ulimit "nofile=100:$low" --ulimit stack=4096000 -o "$T/out" "$T/ctx" >/dev/null
grep -qx "$(printf '10.1.2.3\tdb.example')" "$T/out/hosts.txt" || fail "add-host: $(cat "$T/out/hosts.txt")"
grep -qx "$(printf '::1\tv6')" "$T/out/hosts.txt" && grep -qx "$(printf '127.0.0.2\tv6')" "$T/out/hosts.txt" ||
  fail "add-host with two addresses: $(cat "$T/out/hosts.txt")"
grep -qx "$(printf '127.0.0.1\tlocalhost')" "$T/out/hosts.txt" || fail "the localhost line went"
[ "$(cat "$T/out/shm.txt")" = 98304 ] || fail "shm-size: $(cat "$T/out/shm.txt") KiB"
[ "$(cat "$T/out/limits.txt")" = "$(printf '100\n%s\n4000\n0' "$low")" ] || fail "ulimits: $(cat "$T/out/limits.txt")"
ok "--add-host, --shm-size and --ulimit reach the RUN step"

kbuild -o "$T/plain" "$T/ctx" >/dev/null
grep -q db.example "$T/plain/hosts.txt" && fail "the cached step with --add-host was reused without it"
[ "$(cat "$T/plain/shm.txt")" = 65536 ] || fail "default /dev/shm is $(cat "$T/plain/shm.txt") KiB, want 64 MiB"
ok "without the flags the step runs again (they are in the cache key); /dev/shm is 64 MiB by default"

if [ "$hard" != unlimited ] && ! capsh --has-p=cap_sys_resource 2>/dev/null; then
  expect_fail 1 "hard limit $((hard + 1)) is above kiln's own \($hard\), and raising it needs CAP_SYS_RESOURCE" \
    "$KILN" build --root "$ROOT" --ulimit "nofile=10:$((hard + 1))" -o "$T/never" "$T/ctx"
  [ ! -e "$T/never" ] || fail "an output was written"
  ok "a hard limit above kiln's own fails the step when kiln may not raise it"
fi
expect_fail 2 "core dumps stay off in RUN steps" "$KILN" build --root "$ROOT" --ulimit core=-1 "$T/ctx"
expect_fail 2 "invalid ulimit type: files" "$KILN" build --root "$ROOT" --ulimit files=1 "$T/ctx"
expect_fail 2 "invalid host nohost" "$KILN" build --root "$ROOT" --add-host nohost "$T/ctx"
expect_fail 1 "host-gateway is not supported" "$KILN" build --root "$ROOT" --add-host h:host-gateway "$T/ctx"
expect_fail 2 "invalid value '0' for --shm-size" "$KILN" build --root "$ROOT" --shm-size 0 "$T/ctx"
ok "bad --ulimit, --add-host and --shm-size values are usage errors in Docker's words"

# --ulimit nproc reaches the step; where RLIMIT_NPROC stands in for a pids cgroup kiln cannot
# have (every cgroup mount read-only in a mount namespace of the test's own, as in
# test_run_limits_unenforced.sh), the lower of the two applies
{ busybox_dockerfile; printf 'FROM base\nUSER app\nRUN { ulimit -Su; ulimit -Hu; } > /tmp/nproc.txt\n'; } >"$T/ctx/Dockerfile.nproc"
kbuild -f "$T/ctx/Dockerfile.nproc" --ulimit nproc=500:1000 -o "$T/np1" "$T/ctx" >/dev/null
[ "$(cat "$T/np1/tmp/nproc.txt")" = "$(printf '500\n1000')" ] || fail "ulimit nproc: $(cat "$T/np1/tmp/nproc.txt")"
ok "--ulimit nproc=500:1000 reaches the step"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && [ -n "$(findmnt -rn -t cgroup,cgroup2 -o TARGET)" ]; then
  ro_cgroups() {
    unshare -m --propagation private sh -c '
      for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
        mount -o bind,remount,ro "$m" "$m" || exit 97
      done
      exec "$@"' ro "$@"
  }
  ro_cgroups "$KILN" build --root "$ROOT" --no-cache -f "$T/ctx/Dockerfile.nproc" --pids-limit 32 \
    --ulimit nproc=500:1000 -o "$T/np2" "$T/ctx" >"$T/np2.log" 2>&1 || { cat "$T/np2.log"; fail "pids-limit with ulimit nproc"; }
  [ "$(cat "$T/np2/tmp/nproc.txt")" = "$(printf '32\n32')" ] || fail "pids stand-in under ulimit nproc: $(cat "$T/np2/tmp/nproc.txt")"
  ro_cgroups "$KILN" build --root "$ROOT" --no-cache -f "$T/ctx/Dockerfile.nproc" --pids-limit 32 \
    --ulimit nproc=10:20 -o "$T/np3" "$T/ctx" >"$T/np3.log" 2>&1 || { cat "$T/np3.log"; fail "pids-limit with a lower ulimit nproc"; }
  [ "$(cat "$T/np3/tmp/nproc.txt")" = "$(printf '10\n20')" ] || fail "a lower ulimit nproc: $(cat "$T/np3/tmp/nproc.txt")"
  ok "RLIMIT_NPROC standing in for the pids cgroup: --ulimit nproc cannot lift it, a lower one stays"
else
  skip_check "--ulimit nproc with the RLIMIT_NPROC stand-in" "needs root, unshare and a mounted cgroup"
fi
