#!/usr/bin/env bash
# RUN's default network, attacked through the real kiln binary, inside a network the test
# makes (lib/netlab.sh): kiln runs in a namespace standing for the build host; a second one
# holds the gateway, a private network with a private DNS server, the metadata address and
# stand-ins for the outside world. A step reaches the outside (IPv4, IPv6, DNS through the
# private resolver, ping) and nothing of the host: not its loopback (by 127.0.0.1, the gateway
# or its own address), not the private network, not the metadata service, not through NAT64,
# 6to4 or IPv4-mapped forms; it cannot open raw or packet sockets or change its routing; the
# services' logs show no request got through. --allow-net opens exactly what it names; proxy
# build args reach the step and are allowed; --network none has no network and says so; pasta
# is gone when the step ends, even when kiln is killed; a missing or failing pasta is an
# error, never a fallback.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/netlab.sh"

netlab_start
busybox_context "$T/ctx"
netprobe_build "$T/ctx/rootfs/bin"
kb() { nl_host "$KILN" build --root "$ROOT" --progress plain "$@"; }
df() { { busybox_dockerfile; printf 'FROM base\n'; cat; printf 'USER app\n'; } >"$T/ctx/Dockerfile"; }
out() { grep -E "^#[0-9]+ $1\$" "$T/log" >/dev/null || { cat "$T/log"; fail "$2: expected '$1'"; }; }
none_in_log() { # NAME PATTERN WHAT
  if nl_log "$1" | grep -E "$2"; then fail "$3: the $1 service saw a request"; fi
}

P=/bin/netprobe
df <<DF
RUN $P tcp 198.51.100.10 $NL_PORT; $P tcp 2001:db8:77::10 $NL_PORT; \\
    nslookup world.test | grep -A1 '^Name:'; $P ping 198.51.100.10; \\
    cat /etc/resolv.conf; cat /proc/sys/net/ipv4/ping_group_range; \\
    $P tcp 10.77.0.1 $NL_PORT; $P tcp 10.77.0.1 $NL_LOOP_PORT; $P tcp 169.254.169.254 $NL_PORT; \\
    $P tcp 10.77.0.53 53; $P udp 10.77.0.53 53; $P tcp 169.254.1.1 53; $P udp 169.254.169.254 53; \\
    $P tcp fd77::1 $NL_PORT; $P tcp 64:ff9b::a4d:1 $NL_PORT; $P tcp 64:ff9b::a9fe:a9fe $NL_PORT; \\
    $P tcp 2002:a4d:1::1 $NL_PORT; $P tcp ::ffff:169.254.169.254 $NL_PORT; $P ping 10.77.0.1; \\
    $P tcp 127.0.0.1 $NL_LOOP_PORT; $P tcp 10.77.0.2 $NL_ADDR_PORT; \\
    $P raw; $P packet; $P hdrincl 198.51.100.10; \\
    ip rule del pref 1001 2>&1; ip route add 10.77.1.0/24 dev kh0 2>&1; ip link set kh0 down 2>&1; \\
    echo done
DF
kb --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "build"; }
out "tcp 198.51.100.10 $NL_PORT: ok world reached at 198.51.100.10" "the outside world (IPv4)"
out "tcp 2001:db8:77::10 $NL_PORT: ok world reached at 2001:db8:77::10" "the outside world (IPv6)"
out "Address:[[:space:]]*198.51.100.10" "DNS through the host's private resolver"
out "ping 198.51.100.10: ok reply" "ping (ICMP echo socket) to the outside"
out "nameserver 169.254.1.1" "resolv.conf names pasta's DNS forward"
out "0[[:space:]]+65535" "ping_group_range covers the step's groups"
ok "the default network reaches the outside world: IPv4, IPv6, DNS through a private resolver, ping"

out "tcp 10.77.0.1 $NL_PORT: EACCES" "the gateway / a private network"
out "tcp 10.77.0.1 $NL_LOOP_PORT: EACCES" "the gateway at the host loopback's port"
out "tcp 169.254.169.254 $NL_PORT: EACCES" "the metadata service"
out "tcp 10.77.0.53 53: EACCES" "the private DNS server over TCP"
out "udp 10.77.0.53 53: EACCES" "the private DNS server over UDP, directly"
out "tcp 169.254.1.1 53: EACCES" "TCP to the DNS forward address"
out "udp 169.254.169.254 53: EACCES" "UDP to the metadata address"
out "tcp fd77::1 $NL_PORT: EACCES" "a private IPv6 network"
out "tcp 64:ff9b::a4d:1 $NL_PORT: EACCES" "a private address through NAT64"
out "tcp 64:ff9b::a9fe:a9fe $NL_PORT: EACCES" "the metadata address through NAT64"
out "tcp 2002:a4d:1::1 $NL_PORT: EACCES" "a private address through 6to4"
out "tcp ::ffff:169.254.169.254 $NL_PORT: EACCES" "the metadata address IPv4-mapped"
out "ping 10.77.0.1: EACCES" "ping to a private address"
none_in_log world '^(10\.77\.0\.1|169\.254\.169\.254|10\.77\.0\.53|fd77::1) ' "blocked destinations"
nl_log dns | grep -q '^dns world.test 1$' || fail "the step's query did not reach the DNS server"
none_in_log dns '^short' "the step's direct datagram to the private DNS server"
ok "blocked: the gateway, a private network and DNS server, the metadata service, ULA, NAT64/6to4/mapped forms; their logs are clean"

out "tcp 127.0.0.1 $NL_LOOP_PORT: ECONNREFUSED" "127.0.0.1 is the step's own loopback"
out "tcp 10.77.0.2 $NL_ADDR_PORT: ECONNREFUSED" "the host's address is the step's own"
none_in_log host-loopback . "the host's loopback"
none_in_log host-address . "the host's own address"
ok "the build host's loopback service and the service on its own address are unreachable"

out "raw: EPERM" "a raw IP socket"
out "packet: EPERM" "an AF_PACKET socket"
out "hdrincl 198.51.100.10: EPERM" "a raw socket with IP_HDRINCL"
[ "$(grep -cE '^#[0-9]+ ip: RTNETLINK answers: Operation not permitted$' "$T/log")" -eq 2 ] ||
  { cat "$T/log"; fail "ip rule del and ip route add must fail"; }
out "ip: SIOCSIFFLAGS: Operation not permitted" "ip link set down"
out "done" "the step ran to its end"
ok "raw, packet and IP_HDRINCL sockets fail (no CAP_NET_RAW); rules, routes and links cannot be changed"

# --allow-net: exactly what it names
df <<DF
RUN $P tcp 127.0.0.1 $NL_LOOP_PORT; $P tcp 10.77.0.1 $NL_PORT; $P tcp 10.77.0.1 $NL_LOOP_PORT; \\
    $P tcp 169.254.169.254 $NL_PORT; true
DF
kb --allow-net "127.0.0.1:$NL_LOOP_PORT" --allow-net "10.77.0.1:$NL_PORT" \
  --output "type=oci,dest=$T/out2,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "build"; }
out "tcp 127.0.0.1 $NL_LOOP_PORT: ok host-loopback reached at 127.0.0.1" "--allow-net 127.0.0.1:PORT"
out "tcp 10.77.0.1 $NL_PORT: ok world reached at 10.77.0.1" "--allow-net 10.77.0.1:PORT"
out "tcp 10.77.0.1 $NL_LOOP_PORT: EACCES" "another port of an allowed address"
out "tcp 169.254.169.254 $NL_PORT: EACCES" "the metadata service with other allowances"
ok "--allow-net lets through the loopback port and the address:port it names, nothing else"

expect_fail 2 "allowed one port at a time" kb --allow-net 127.0.0.1 "$T/ctx"
expect_fail 2 "invalid value 'x/y' for --allow-net" kb --allow-net x/y "$T/ctx"
expect_fail 2 "cannot resolve 'nothing.invalid'" kb --allow-net nothing.invalid:80 "$T/ctx"
ok "--allow-net refuses a loopback without a port, a bad value and a name that does not resolve"

# proxies given as build args reach RUN as in BuildKit, and are allowed through
df <<DF
RUN env | grep -i _proxy | sort; $P tcp 127.0.0.1 $NL_LOOP_PORT
DF
kb --no-cache --build-arg "HTTP_PROXY=http://127.0.0.1:$NL_LOOP_PORT" --build-arg no_proxy=example.test \
  --output "type=oci,dest=$T/out3,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "build"; }
out "HTTP_PROXY=http://127.0.0.1:$NL_LOOP_PORT" "HTTP_PROXY in the step's environment"
out "no_proxy=example.test" "no_proxy in the step's environment"
out "tcp 127.0.0.1 $NL_LOOP_PORT: ok host-loopback reached at 127.0.0.1" "the proxy is reachable"
grep -q "one or more build-args" "$T/log" && fail "proxy build args reported as unused"
py - "$T/out3" "$NL_LOOP_PORT" <<'PY' || fail "a proxy build arg reached the config or the history"
import json, oci, sys
cfg = json.dumps(oci.image_config(sys.argv[1]))
assert "HTTP_PROXY=" not in cfg and "example.test" not in cfg and "://127.0.0.1" not in cfg, cfg
PY
kb --build-arg "HTTP_PROXY=http://127.0.0.1:$NL_LOOP_PORT" --build-arg no_proxy=other.test \
  --output "type=oci,dest=$T/out4,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "build"; }
grep -Eq '^#[0-9]+ CACHED$' "$T/log" || { cat "$T/log"; fail "a changed proxy re-ran the step"; }
ok "proxy build args reach RUN (not the config, the history or the cache key) and are allowed through"

# --network none: no network, and a failing step says so
df <<DF
RUN $P tcp 198.51.100.10 $NL_PORT; wget -q -O- http://198.51.100.10:$NL_PORT/
DF
expect_fail 1 "the step had no network \(--network=none\)" kb --network none "$T/ctx"
grep -q "tcp 198.51.100.10 $NL_PORT: ENETUNREACH" "$T/out.log" || { cat "$T/out.log"; fail "--network none reached out"; }
df <<DF
RUN wget -q -O- http://nothing.test/
DF
expect_fail 1 "names resolve through the build host's resolver" kb "$T/ctx"
df <<DF
RUN nc 10.77.0.1 $NL_PORT </dev/null
DF
expect_fail 1 "not the build host, its networks, link-local or private addresses: --allow-net" kb "$T/ctx"
ok "--network none has no network; failed steps hint at none, DNS and the policy"

# pasta ends with the step, even when kiln is killed
leftover() { # pids in the host namespace that are not the lab's services
  local p
  for p in $(ip netns pids "$NL_HOST"); do
    [[ " ${NL_PIDS[*]} " == *" $p "* ]] && continue
    grep -q python3 "/proc/$p/cmdline" 2>/dev/null && continue
    echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
  done
}
[ -z "$(leftover)" ] || fail "left behind after the builds: $(leftover)"
df <<DF
RUN sleep 60
DF
kb --no-cache "$T/ctx" >"$T/log" 2>&1 &
kpid=$!
for _ in $(seq 100); do leftover | grep -q pasta && break; sleep 0.1; done
leftover | grep -q pasta || { cat "$T/log"; fail "no pasta while the step runs"; }
pasta_pid=$(leftover | awk '/pasta/ {print $1; exit}')
[ "$(awk '/^Uid:/ {print $2}' "/proc/$pasta_pid/status")" -ne 0 ] || fail "pasta runs as host root"
[ "$(readlink "/proc/$pasta_pid/ns/user")" != "$(readlink /proc/self/ns/user)" ] ||
  fail "pasta is in the host's user namespace"
for p in $(pgrep -f -- "build --root $ROOT --progress plain"); do kill -9 "$p" 2>/dev/null || true; done
wait "$kpid" 2>/dev/null || true
for _ in $(seq 50); do [ -z "$(leftover)" ] && break; sleep 0.1; done
[ -z "$(leftover)" ] || fail "left behind after kiln was killed: $(leftover)"
ok "pasta runs as an unprivileged id in the step's user namespace; it and the step end with kiln"

# no fallback: a missing or failing pasta is an error
df <<DF
RUN touch /ran
DF
KILN_PASTA=/nonexistent/pasta expect_fail 1 "needs pasta, from Debian's passt package .*--network none" \
  kb --no-cache "$T/ctx"
printf '#!/bin/sh\necho "pasta: cannot do it" >&2\nexit 3\n' >"$T/badpasta"
chmod 755 "$T/badpasta"
chmod 711 "$T" # pasta runs as the step's root (an unprivileged host id)
KILN_PASTA=$T/badpasta expect_fail 1 "default network: pasta failed \(exit status 3\): pasta: cannot do it" \
  kb --no-cache "$T/ctx"
KILN_PASTA=/nonexistent/pasta kb --no-cache --network none --output "type=oci,dest=$T/out5,tar=false" "$T/ctx" >"$T/log" 2>&1 ||
  { cat "$T/log"; fail "--network none must not need pasta"; }
ok "a missing or failing pasta fails the step with its message (no fallback); --network none needs none"

# rootless: the same network and the same policy
user=kiln-rootless
rootless_user "$user"
chmod 0755 "$T"
chown -R "$user" "$T/ctx"
mkdir -p "$T/rl" && chown "$user" "$T/rl"
df <<DF
RUN $P tcp 198.51.100.10 $NL_PORT; $P tcp 10.77.0.1 $NL_PORT; $P tcp 169.254.169.254 $NL_PORT; \\
    $P tcp 127.0.0.1 $NL_LOOP_PORT; $P raw; true
DF
nl_host su -s /bin/sh "$user" -c "HOME=$T/rl '$KILN' build --root '$T/rl/store' --progress plain \
  --allow-net 127.0.0.1:$NL_LOOP_PORT '$T/ctx'" >"$T/log" 2>&1 || { cat "$T/log"; fail "rootless build"; }
out "tcp 198.51.100.10 $NL_PORT: ok world reached at 198.51.100.10" "rootless: the outside world"
out "tcp 10.77.0.1 $NL_PORT: EACCES" "rootless: a private network"
out "tcp 169.254.169.254 $NL_PORT: EACCES" "rootless: the metadata service"
out "tcp 127.0.0.1 $NL_LOOP_PORT: ok host-loopback reached at 127.0.0.1" "rootless: an allowed loopback port"
out "raw: EPERM" "rootless: a raw socket"
ok "rootless builds get the same default network and policy"
