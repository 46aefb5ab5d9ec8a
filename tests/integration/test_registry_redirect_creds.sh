#!/usr/bin/env bash
# Cross-origin registry redirects never carry credentials (issue 13 item 10b), whatever libcurl
# would do: kiln follows blob redirects itself and sends the registry's Authorization only to
# the registry's own origin (scheme, host and port as the registry was reached).
#
# A front on 127.0.0.1 asks for Basic credentials and answers every blob GET with a redirect to a
# "blob store" that records the headers it gets: on another port of the same host (the case of
# CVE-2022-27776) and on another host name (localhost). The store must never see an
# Authorization header; the front must (the check can fail).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/registry.sh"
registry_require

USER=redir-user
PASS='R3direct-Pa55'
registry_start backend
cat >"$T/front.py" <<'PY'
import base64, http.client, http.server, sys, threading
front_port, store_port, upstream, target_host, log = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
want = "Basic " + base64.b64encode(sys.argv[6].encode()).decode()
lock = threading.Lock()

def note(line):
    with lock, open(log, "a") as f:
        f.write(line + "\n")

def upstream_get(method, path, headers):
    c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
    c.request(method, path, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data

class Base(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

class Front(Base):
    def handle_any(self):
        auth = self.headers.get("Authorization")
        note("FRONT %s %s auth=%s" % (self.command, self.path, "yes" if auth else "no"))
        if auth != want:
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                             [("WWW-Authenticate", 'Basic realm="redirect-test"')])
        if self.command == "GET" and "/blobs/sha256:" in self.path:
            loc = "http://%s:%d/store%s" % (target_host, store_port, self.path)
            return self.send(307, b"", [("Location", loc)])
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "connection")}
        r, data = upstream_get(self.command, self.path, hdrs)
        self.send(r.status, data, [(k, v) for k, v in r.getheaders()
                                   if k.lower() not in ("content-length", "transfer-encoding", "connection")])
    do_GET = do_HEAD = handle_any

class Store(Base):
    def do_GET(self):
        auth = self.headers.get("Authorization")
        note("STORE %s %s auth=%s" % (self.headers.get("Host"), self.path, repr(auth) if auth else "no"))
        r, data = upstream_get("GET", self.path[len("/store"):], {})
        self.send(r.status, data, [("Content-Type", "application/octet-stream")])

servers = [http.server.ThreadingHTTPServer(("127.0.0.1", front_port), Front),
           http.server.ThreadingHTTPServer(("127.0.0.1", store_port), Store)]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
PY

# a base image on the backend, pushed there directly (it needs no credentials)
mkdir -p "$T/ctx"
head -c 300000 /dev/urandom >"$T/ctx/big.bin"
printf 'FROM scratch\nCOPY big.bin /big.bin\nUSER 10001\n' >"$T/ctx/Dockerfile.base"
kbuild -f "$T/ctx/Dockerfile.base" --output "type=registry,name=127.0.0.1:$REG_PORT/team/base:1" "$T/ctx" >/dev/null
printf 'FROM REG/team/base:1\nUSER 10001\n' >"$T/ctx/Dockerfile.tmpl"

n=0
for host in 127.0.0.1 localhost; do
  n=$((n + 1))
  FRONT=$(free_port)
  STORE=$(free_port)
  LOG=$T/redirect-$host.log
  : >"$LOG"
  python3 "$T/front.py" "$FRONT" "$STORE" "$REG_PORT" "$host" "$LOG" "$USER:$PASS" >"$T/front-$n.out" 2>&1 &
  REG_PIDS+=($!)
  wait_http "http://127.0.0.1:$FRONT/v2/"
  R=127.0.0.1:$FRONT
  mkdir -p "$T/cfg$n"
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$R" "$(printf '%s:%s' "$USER" "$PASS" | base64 -w0)" >"$T/cfg$n/config.json"
  sed "s|REG|$R|" "$T/ctx/Dockerfile.tmpl" >"$T/ctx/Dockerfile.$n"
  DOCKER_CONFIG=$T/cfg$n "$KILN" build --root "$T/root$n" --progress plain -f "$T/ctx/Dockerfile.$n" \
    --output "type=oci,dest=$T/out$n,tar=false" "$T/ctx" >"$T/build$n.log" 2>&1 ||
    { cat "$T/build$n.log" "$LOG"; fail "build through redirects to $host:$STORE"; }
  grep -q "^FRONT GET /v2/team/base/manifests/1 auth=yes" "$LOG" ||
    { cat "$LOG"; fail "control: the registry itself never got the credentials"; }
  grep -q "^FRONT GET /v2/team/base/blobs/sha256:[0-9a-f]* auth=yes" "$LOG" ||
    { cat "$LOG"; fail "control: the blob GETs to the registry carried no credentials"; }
  [ "$(grep -c '^STORE ' "$LOG")" -ge 2 ] || { cat "$LOG"; fail "the redirects to $host:$STORE were not followed"; }
  if grep '^STORE ' "$LOG" | grep -v ' auth=no$'; then
    cat "$LOG"
    fail "credentials went to another origin ($host:$STORE)"
  fi
  ! grep -rqF "$PASS" "$T/build$n.log" "$T/root$n" || fail "the password reached the log or the store"
  check_layout "$T/out$n"
  ok "blob redirects to $host:$STORE (another origin) carry no credentials; the blobs verify"
done
