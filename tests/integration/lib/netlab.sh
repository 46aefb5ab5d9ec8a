# A network made by the test, for the network tests (source after lib/common.sh, as root).
# kiln runs in a namespace that stands for the build host; every address a step may try is in
# namespaces the test creates, never a real one (rule: no probe of real private, link-local or
# public addresses).
#
#   netlab_start    makes two network namespaces joined by a veth pair:
#     $NL_HOST  "the build host": kh0 10.77.0.2/24 and fd77::2/64, default routes via the
#               world; an HTTP service on its loopback (127.0.0.1:$NL_LOOP_PORT) and one on its
#               own address (10.77.0.2:$NL_ADDR_PORT); resolv.conf names 10.77.0.53 (private)
#     $NL_WORLD "everything else": 10.77.0.1/24 (the gateway, a private network), 10.77.0.53
#               (a private DNS server answering world.test and meta.test), 169.254.169.254
#               (the metadata service), 198.51.100.10 and 2001:db8:77::10 (stand-ins for the
#               outside world), fd77::1/64; one HTTP service on all of them, port $NL_PORT,
#               serving $T/www under /files/ (lib/netlab.py lists its paths); the service on
#               the host's loopback is also an HTTP proxy
#   nl_host CMD...  runs CMD in the build host's namespace
#   nl_log NAME     requests a service saw ("world", "host-loopback", "host-address", "dns")
# Everything is removed when the test exits.
NL_PORT=8080
NL_LOOP_PORT=8081
NL_ADDR_PORT=8082
NL_HOST=net-kh-$$
NL_WORLD=net-w-$$
NL_PIDS=()

netlab_require() {
  local t
  if [ "$(id -u)" -ne 0 ]; then
    echo "ok - skipped: the network lab needs root (ip netns)"
    exit 0
  fi
  for t in ip python3 cc; do
    command -v "$t" >/dev/null || { echo "ok - skipped: $t is not installed"; exit 0; }
  done
}

netlab_stop() {
  local p
  for p in "${NL_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${NL_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$NL_HOST" 2>/dev/null || true
  ip netns del "$NL_WORLD" 2>/dev/null || true
  rm -rf "/etc/netns/$NL_HOST"
}

nl_host() { ip netns exec "$NL_HOST" "$@"; }
nl_world() { ip netns exec "$NL_WORLD" "$@"; }
nl_log() { cat "$T/netlab-$1.log" 2>/dev/null || true; }

_nl_service() { # NS NAME ARGS...
  local ns=$1 name=$2
  shift 2
  : >"$T/netlab-$name.log"
  ip netns exec "$ns" python3 "$KILN_SRC/tests/integration/lib/netlab.py" "$@" \
    >"$T/netlab-$name.out" 2>&1 &
  NL_PIDS+=($!)
}

_nl_wait_tcp() { # NS ADDR PORT
  local i
  for i in $(seq 100); do
    ip netns exec "$1" python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' "$2" "$3" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "netlab: no service at $2:$3 in $1"
}

netlab_start() {
  netlab_require
  local prev
  prev=$(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT$/\1/")
  trap "netlab_stop; $prev" EXIT
  ip netns add "$NL_HOST"
  ip netns add "$NL_WORLD"
  ip link add kh0 netns "$NL_HOST" type veth peer name w0 netns "$NL_WORLD"
  nl_world ip link set lo up
  nl_world ip link set w0 up
  nl_world ip addr add 10.77.0.1/24 dev w0
  nl_world ip addr add 10.77.0.53/32 dev w0
  nl_world ip addr add 169.254.169.254/32 dev w0
  nl_world ip addr add 198.51.100.10/32 dev w0
  nl_world ip addr add fd77::1/64 dev w0 nodad
  nl_world ip addr add 2001:db8:77::10/128 dev w0 nodad
  nl_host ip link set lo up
  nl_host ip link set kh0 up
  # pasta relays a step's ping through ICMP echo sockets on the host: allowed for every group,
  # as systemd's default sysctl (50-default.conf) sets it on Debian
  nl_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"
  nl_host ip addr add 10.77.0.2/24 dev kh0
  nl_host ip addr add fd77::2/64 dev kh0 nodad
  nl_host ip route add default via 10.77.0.1
  nl_host ip -6 route add default via fd77::1
  mkdir -p "/etc/netns/$NL_HOST"
  echo "nameserver 10.77.0.53" >"/etc/netns/$NL_HOST/resolv.conf"
  mkdir -p "$T/www"
  _nl_service "$NL_WORLD" world http :: "$NL_PORT" world "$T/netlab-world.log" "$T/www"
  _nl_service "$NL_WORLD" dns dns 10.77.0.53 "$T/netlab-dns.log"
  _nl_service "$NL_HOST" host-loopback http 127.0.0.1 "$NL_LOOP_PORT" host-loopback "$T/netlab-host-loopback.log"
  _nl_service "$NL_HOST" host-address http 10.77.0.2 "$NL_ADDR_PORT" host-address "$T/netlab-host-address.log"
  _nl_wait_tcp "$NL_HOST" 198.51.100.10 "$NL_PORT"
  _nl_wait_tcp "$NL_HOST" 127.0.0.1 "$NL_LOOP_PORT"
  _nl_wait_tcp "$NL_HOST" 10.77.0.2 "$NL_ADDR_PORT"
  : >"$T/netlab-world.log" >"$T/netlab-host-loopback.log" >"$T/netlab-host-address.log"
}

# netprobe_build DIR: a static tests/integration/lib/netprobe.c at DIR/netprobe
netprobe_build() {
  mkdir -p "$1"
  cc -static -O2 -o "$1/netprobe" "$KILN_SRC/tests/integration/lib/netprobe.c" ||
    fail "cannot build netprobe (needs a static libc: libc6-dev)"
}
