#!/usr/bin/env bash
# Realistic Dockerfile 9: nginx installed with apt, its configuration COPYed and checked with
# `nginx -t` in a heredoc RUN, the site's page fetched with ADD <url> from a server on this
# machine's loopback (allowed to kiln with --allow-net 127.0.0.1:PORT, the operator's flag for
# hosts its default policy refuses). The image serves the page as a non-root user.
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

# the loopback web server, stopped by its PID when the test ends
mkdir -p "$T/www"
printf '<h1>served by kiln-built nginx</h1>\n' >"$T/www/index.html"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$port" >"$T/http.log" 2>&1 &
http_pid=$!
trap 'rc=$?; set +e; kill "$http_pid" 2>/dev/null || :; wait "$http_pid" 2>/dev/null || :; (exit $rc); cleanup' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/index.html" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/index.html" >/dev/null || fail "the loopback server does not answer"

c=$T/nginx
mkdir -p "$c"
cat >"$c/nginx.conf" <<'CONF'
pid /tmp/nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    client_body_temp_path /tmp/body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    server {
        listen 127.0.0.1:8080;
        root /srv/www;
    }
}
CONF
cat >"$c/Dockerfile" <<DF
# syntax=docker/dockerfile:1
FROM debian:bookworm
RUN apt-get update \\
 && apt-get install -y --no-install-recommends nginx-light \\
 && rm -rf /var/lib/apt/lists/*
COPY nginx.conf /etc/nginx/nginx.conf
ADD --chmod=0644 http://127.0.0.1:$port/index.html /srv/www/index.html
RUN <<SH
set -e
rm -f /etc/nginx/sites-enabled/default
nginx -t -e stderr
chown -R www-data:www-data /srv/www
SH
USER www-data
EXPOSE 8080
CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]
DF
rw_build nginx "$c" --allow-net "127.0.0.1:$port"
grep -q 'GET /index.html' "$T/http.log" || fail "kiln did not fetch the page from the loopback server"
ok "apt nginx, COPY config, ADD <url> from the loopback (allowed), heredoc RUN with nginx -t"

rw_out nginx "syntax is ok" sh -c 'nginx -t -e stderr 2>&1 | grep -o "syntax is ok"'
rw_run nginx bash -c '
  nginx -e stderr
  for i in $(seq 50); do [ -s /tmp/nginx.pid ] && break; sleep 0.1; done
  exec 3<>/dev/tcp/127.0.0.1/8080
  printf "GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n" >&3
  cat <&3
  kill "$(cat /tmp/nginx.pid)"' >"$T/served" 2>&1 || { cat "$T/served"; fail "running nginx in the image"; }
grep -q '^HTTP/1.1 200 OK' "$T/served" || fail "nginx answered: $(head -3 "$T/served")"
grep -q '<h1>served by kiln-built nginx</h1>' "$T/served" || fail "the page: $(cat "$T/served")"
ok "the image runs nginx as www-data and serves the ADDed page"

rw_unpack nginx
[ "$(stat -c '%a %u:%g' "$T/nginx.bundle/rootfs/srv/www/index.html")" = "644 33:33" ] ||
  fail "index.html: $(stat -c '%a %u:%g' "$T/nginx.bundle/rootfs/srv/www/index.html")"
ok "the ADDed file: mode 0644 (--chmod), owned by www-data (33) after the RUN"
