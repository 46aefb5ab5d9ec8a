# Registry helpers for tests/integration/test_registry_*.sh (source after common.sh):
#   registry_start NAME [--tls] [--htpasswd FILE]   Debian's docker-registry on a free loopback
#                                                  port; sets REG_PORT and REG_DIR (config.yml,
#                                                  data/, log). Stopped by PID when the test exits.
#   tls_make DIR                                    a CA (DIR/ca.pem) and a server certificate for
#                                                  127.0.0.1/localhost (DIR/cert.pem, DIR/key.pem)
#   htpasswd_make FILE USER PASS                    a bcrypt htpasswd entry (distribution needs bcrypt)
#   proxy_start NAME UPSTREAM_PORT [OPTIONS]        a python3 proxy in front of a registry; sets
#                                                  PROXY_PORT; logs requests to $T/proxy-NAME.log.
#     --bearer USER:PASS   Docker token auth (realm on the proxy) in front of an open registry
#     --refresh-token T    with --bearer: also accept the OAuth2 refresh token T (POST /token)
#     --expire N           with --bearer: a token stops working after N requests (invalid_token)
#     --anonymous          with --bearer: tokens without credentials, for pull only (Docker Hub)
#     --flip-blobs         flip one byte of every blob it serves
#     --cut-blobs          cut the first download of each blob halfway (Range resumes it)
#     --fail N             answer 503 to the first N manifest requests
#     --oci-subject        answer manifest PUTs that have a subject with OCI-Subject (as an
#                          OCI 1.1 registry with the referrers API does)
#   blob_path DIGEST                                a blob's data file in the registry's storage
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
REG_PIDS=()

registry_require() {
  local t
  for t in "$REGISTRY_BIN" skopeo openssl perl python3 curl; do
    if ! command -v "$t" >/dev/null 2>&1; then
      skip "$t is not installed"
    fi
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

registry_stop_all() {
  local p
  for p in "${REG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 20); do
    local alive=0
    for p in "${REG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${REG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  REG_PIDS=()
}

registry_cleanup() {
  local rc=$?
  set +e
  registry_stop_all
  (exit $rc)
  cleanup
}
trap registry_cleanup EXIT

# wait_http URL: until anything answers (any HTTP status)
wait_http() {
  local code
  for _ in $(seq 100); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true)
    [ -n "$code" ] && [ "$code" != 000 ] && return 0
    sleep 0.1
  done
  fail "nothing answers at $1"
}

registry_start() {
  local name=$1 tls=0 htpasswd=""
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --tls) tls=1 ;;
      --htpasswd) htpasswd=$2; shift ;;
      *) fail "registry_start: unknown option $1" ;;
    esac
    shift
  done
  REG_DIR=$T/reg-$name
  REG_PORT=$(free_port)
  mkdir -p "$REG_DIR/data"
  {
    printf 'version: 0.1\nlog:\n  level: warn\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n' "$REG_DIR"
    if [ -n "$htpasswd" ]; then
      printf 'auth:\n  htpasswd:\n    realm: kiln-test\n    path: %s\n' "$htpasswd"
    fi
    printf 'http:\n  addr: 127.0.0.1:%s\n' "$REG_PORT"
    if [ "$tls" = 1 ]; then
      tls_make "$REG_DIR/tls"
      printf '  tls:\n    certificate: %s\n    key: %s\n' "$REG_DIR/tls/cert.pem" "$REG_DIR/tls/key.pem"
    fi
  } >"$REG_DIR/config.yml"
  "$REGISTRY_BIN" serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
  REG_PIDS+=($!)
  local scheme=http
  [ "$tls" = 1 ] && scheme=https
  wait_http "$scheme://127.0.0.1:$REG_PORT/v2/"
}

tls_make() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kiln test CA" \
    -keyout "$d/ca-key.pem" -out "$d/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/key.pem" -out "$d/req.pem" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/req.pem" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null
}

htpasswd_make() {
  local file=$1 user=$2 pass=$3 salt
  salt=$(head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9./' | head -c 22)
  [ ${#salt} = 22 ] || salt=abcdefghijklmnopqrstuv
  printf '%s:%s\n' "$user" "$(perl -e 'print crypt($ARGV[0], "\$2b\$05\$" . $ARGV[1])' "$pass" "$salt")" >"$file"
  grep -q ':\$2b\$05\$' "$file" || fail "this system's crypt(3) has no bcrypt"
}

blob_path() {
  local hex=${1#sha256:}
  echo "$REG_DIR/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

proxy_start() {
  local name=$1 up=$2
  shift 2
  PROXY_PORT=$(free_port)
  python3 "$T/registry_proxy.py" --port "$PROXY_PORT" --upstream "$up" --log "$T/proxy-$name.log" "$@" \
    >"$T/proxy-$name.out" 2>&1 &
  REG_PIDS+=($!)
  wait_http "http://127.0.0.1:$PROXY_PORT/healthz"
}

cat >"$T/registry_proxy.py" <<'PY'
import argparse, base64, http.client, http.server, json, secrets, threading, urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--upstream", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--bearer")
ap.add_argument("--anonymous", action="store_true")
ap.add_argument("--refresh-token")
ap.add_argument("--expire", type=int, default=0)
ap.add_argument("--flip-blobs", action="store_true")
ap.add_argument("--cut-blobs", action="store_true")
ap.add_argument("--fail", type=int, default=0)
ap.add_argument("--oci-subject", action="store_true")
args = ap.parse_args()
lock = threading.Lock()
tokens = {}      # token -> {repo: set(actions)}
uses = {}        # token -> requests made with it
cut_done = set()
fail_left = [args.fail]

def log(line):
    with lock, open(args.log, "a") as f:
        f.write(line + "\n")

def parse_scopes(scopes):
    out = {}
    for s in scopes:
        for one in s.split(" "):
            parts = one.split(":")
            if len(parts) == 3 and parts[0] == "repository":
                out.setdefault(parts[1], set()).update(parts[2].split(","))
    return out

class H(http.server.BaseHTTPRequestHandler):
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

    def challenge(self, scope=None, error=None):
        c = 'Bearer realm="http://127.0.0.1:%d/token",service="kiln-test"' % args.port
        if scope:
            c += ',scope="%s"' % scope
        if error:
            c += ',error="%s"' % error
        body = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}).encode()
        log("%s %s -> 401" % (self.command, self.path))
        self.send(401, body, [("WWW-Authenticate", c), ("Content-Type", "application/json")])

    def token(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        user, pw = args.bearer.split(":", 1)
        auth = self.headers.get("Authorization", "")
        ok = False
        if auth.startswith("Basic "):
            ok = base64.b64decode(auth[6:]).decode() == "%s:%s" % (user, pw)
        if not ok and (auth or not args.anonymous):
            log("GET /token -> 401 (%s)" % ("bad credentials" if auth else "no credentials"))
            return self.send(401, b'{"details":"incorrect username or password"}')
        t = "tok-" + secrets.token_hex(16)
        granted = parse_scopes(q.get("scope", []))
        if not ok:  # anonymous: pull only
            granted = {r: a & {"pull"} for r, a in granted.items()}
            log("GET /token anonymous")
        with lock:
            tokens[t] = granted
        log("GET /token scopes=%s -> 200" % ",".join(sorted(q.get("scope", []))))
        self.send(200, json.dumps({"token": t, "expires_in": 300}).encode(),
                  [("Content-Type", "application/json")])

    def refresh(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if form.get("grant_type") != ["refresh_token"] or form.get("refresh_token") != [args.refresh_token]:
            log("POST /token -> 401")
            return self.send(401, b'{"error":"invalid_grant"}')
        t = "tok-" + secrets.token_hex(16)
        with lock:
            tokens[t] = parse_scopes(form.get("scope", []))
        log("POST /token scope=%s -> 200" % ",".join(form.get("scope", [])))
        self.send(200, json.dumps({"access_token": t, "expires_in": 300}).encode(),
                  [("Content-Type", "application/json")])

    def authorized(self, path):
        """None when the request may go on, else (scope, error) for the 401."""
        auth = self.headers.get("Authorization", "")
        granted = tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if granted is None:
            return ("", None)
        if args.expire:
            with lock:
                uses[auth] = uses.get(auth, 0) + 1
                expired = uses[auth] > args.expire
            if expired:
                return ("", "invalid_token")
        parts = path.split("/")
        if path.rstrip("/") == "/v2":
            return None
        for kind in ("manifests", "blobs", "tags"):
            if kind in parts:
                repo = "/".join(parts[2:parts.index(kind)])
                break
        else:
            return None
        need = "pull" if self.command in ("GET", "HEAD") else "push"
        if need not in granted.get(repo, set()):
            return ("repository:%s:%s" % (repo, "pull" if need == "pull" else "pull,push"), "insufficient_scope")
        return None

    def handle_any(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/healthz":
            return self.send(200, b"ok")
        if args.bearer and u.path == "/token":
            return self.refresh() if self.command == "POST" and args.refresh_token else self.token()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path
        if args.bearer:
            denied = self.authorized(u.path)
            if denied is not None:
                return self.challenge(*denied)
            q = urllib.parse.parse_qs(u.query)
            if "mount" in q:
                granted = tokens.get(self.headers.get("Authorization", "")[7:], {})
                if "pull" not in granted.get(q.get("from", [""])[0], set()):
                    path = u.path  # no pull right on the source: a plain upload
        if args.fail and "/manifests/" in u.path:
            with lock:
                n = fail_left[0]
                fail_left[0] = max(0, n - 1)
            if n > 0:
                log("%s %s -> 503 (injected)" % (self.command, u.path))
                return self.send(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}',
                                 [("Retry-After", "0")])
        self.forward(path, body, u.path)

    def forward(self, path, body, plain_path):
        c = http.client.HTTPConnection("127.0.0.1", args.upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "connection")}
        c.request(self.command, path, body=body if body or self.command in ("PUT", "POST", "PATCH") else None, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        c.close()
        rng = self.headers.get("Range", "")
        mount = "?mount" if "mount=" in path else ""
        log("%s %s%s%s -> %d" % (self.command, plain_path, mount, " range=" + rng if rng else "", r.status))
        headers = [(k, v) for k, v in r.getheaders()
                   if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        is_blob = self.command == "GET" and "/blobs/sha256:" in plain_path and r.status in (200, 206)
        if is_blob and args.flip_blobs and data:
            data = data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1:]
        if is_blob and args.cut_blobs and not rng and plain_path not in cut_done and len(data) > 1:
            cut_done.add(plain_path)
            log("CUT %s after %d of %d bytes" % (plain_path, len(data) // 2, len(data)))
            self.send_response(r.status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if args.oci_subject and self.command == "PUT" and "/manifests/" in plain_path and r.status == 201:
            try:
                subject = json.loads(body).get("subject", {}).get("digest")
            except ValueError:
                subject = None
            if subject:
                headers.append(("OCI-Subject", subject))
        self.send(r.status, data, headers)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

http.server.ThreadingHTTPServer(("127.0.0.1", args.port), H).serve_forever()
PY
