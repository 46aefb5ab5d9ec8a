#!/usr/bin/env bash
# ADD <url> through the real kiln binary, in a network the test makes (lib/netlab.sh): BuildKit's
# rules (file name from the URL path, mode 0600 unless --chmod, --chown, mtime from
# Last-Modified clamped to the epoch, no unpacking of remote archives, --checksum), a cache key
# that follows the content, and the destination policy RUN has: the build host's loopback, a
# private network or the metadata service are refused, redirects and names included, unless
# --allow-net names them; bodies over --max-download-size fail; proxies from build args are
# used; git URLs and COPY of a URL are clear errors.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/netlab.sh"

netlab_start
busybox_context "$T/ctx"
W=http://198.51.100.10:$NL_PORT
kb() { nl_host "$KILN" build --root "$ROOT" --progress plain "$@"; }
df() { { busybox_dockerfile; printf 'FROM base\n'; cat; printf 'USER app\n'; } >"$T/ctx/Dockerfile"; }
file_sum=$(printf 'kiln netlab file\n' | sha256sum | cut -d' ' -f1)

# entries LAYOUT: "path mode uid:gid mtime sha256-prefix" of every file of the last layer
entries() {
  py - "$1" <<'PY'
import hashlib, json, oci, sys, tarfile, io
lay = sys.argv[1]
m = oci.image_manifest(lay)
for l in m["layers"][1:]:
    with tarfile.open(lay + "/blobs/sha256/" + l["digest"][7:]) as t:
        for e in t.getmembers():
            h = hashlib.sha256(t.extractfile(e).read()).hexdigest()[:12] if e.isfile() else e.type.decode()
            print(e.name, oct(e.mode), "%d:%d" % (e.uid, e.gid), e.mtime, h)
PY
}
has() { grep -qxF "$1" "$T/entries" || { cat "$T/entries"; fail "$2: expected '$1'"; }; }

df <<DF
ADD $W/file.txt /dl/
ADD $W/nolm.txt /dl/renamed.txt
ADD --chmod=0755 --chown=app:app $W/file.txt /dl/owned/
ADD $W/a.tar.gz /dl/
ADD $W/dir/ /dl/
ADD $W/ /dl/
ADD --checksum=sha256:$file_sum $W/file.txt /dl/checked.txt
ADD http://[2001:db8:77::10]:$NL_PORT/file.txt /dl/v6.txt
DF
kb --source-date-epoch 2000000000 --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/log" 2>&1 ||
  { cat "$T/log"; fail "build"; }
entries "$T/out" >"$T/entries"
sum=${file_sum:0:12}
tgz=$(nl_host python3 -c 'import urllib.request,hashlib,sys; print(hashlib.sha256(urllib.request.urlopen(sys.argv[1]).read()).hexdigest()[:12])' "$W/a.tar.gz")
has "dl/file.txt 0o600 0:0 1104537600 $sum" "file name from the URL, 0600, Last-Modified"
has "dl/renamed.txt 0o600 0:0 0 $sum" "a destination file name; no Last-Modified is time 0"
has "dl/owned/file.txt 0o755 10001:10001 1104537600 $sum" "--chmod and --chown"
has "dl/a.tar.gz 0o600 0:0 0 $tgz" "a remote archive is a file, not unpacked"
has "dl/dir 0o600 0:0 0 $sum" "a URL path ending with a slash (Go's path.Base)"
has "dl/__unnamed__ 0o600 0:0 0 $(echo 'world reached at 198.51.100.10' | sha256sum | cut -c1-12)" "a URL without a path"
has "dl/checked.txt 0o600 0:0 1104537600 $sum" "--checksum that matches"
has "dl/v6.txt 0o600 0:0 1104537600 $sum" "an IPv6 server"
grep -q 'inner.txt' "$T/entries" && fail "the remote archive was unpacked"
ok "ADD <url>: BuildKit's names, modes, owners and Last-Modified times; archives stay files; IPv6"

kb --source-date-epoch 1000000000 --output "type=oci,dest=$T/out2,tar=false" "$T/ctx" >"$T/log" 2>&1 ||
  { cat "$T/log"; fail "build"; }
entries "$T/out2" >"$T/entries"
has "dl/file.txt 0o600 0:0 1000000000 $sum" "Last-Modified after the epoch is clamped to it"
ok "a Last-Modified time later than the epoch is clamped to the epoch"

# the cache key follows the content; with --checksum no download is needed
echo one >"$T/www/dyn.txt"
df <<DF
ADD $W/files/dyn.txt /dyn.txt
ADD --checksum=sha256:$file_sum $W/file.txt /pinned.txt
DF
kb --output "type=oci,dest=$T/c1,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "build"; }
: >"$T/netlab-world.log"
kb --output "type=oci,dest=$T/c2,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "build"; }
[ "$(grep -cE '^#[0-9]+ CACHED$' "$T/log")" -eq 3 ] || { cat "$T/log"; fail "unchanged URLs were not cached"; }
nl_log world | grep -q 'file.txt' && fail "a --checksum ADD was fetched again for a cached step"
nl_log world | grep -q 'dyn.txt' || fail "an ADD without --checksum was not fetched again"
echo two >"$T/www/dyn.txt"
kb --output "type=oci,dest=$T/c3,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "build"; }
[ "$(grep -cE '^#[0-9]+ CACHED$' "$T/log")" -eq 1 ] || { cat "$T/log"; fail "changed content was cached (only the base COPY may be)"; }
entries "$T/c3" >"$T/entries"
grep -q "^dyn.txt 0o600 0:0 0 $(echo two | sha256sum | cut -c1-12)$" "$T/entries" ||
  { cat "$T/entries"; fail "the new content"; }
ok "the cache key is the content: unchanged is cached, changed is fetched; --checksum needs no fetch"

# --checksum and other ADD errors
df <<DF
ADD --checksum=sha256:$(printf '0%.0s' $(seq 64)) $W/file.txt /x
DF
expect_fail 2 "Dockerfile:4: ADD.*digest mismatch for $W/file.txt: sha256:$file_sum \(expected: sha256:0{64}\)" kb "$T/ctx"
df <<DF
ADD --checksum=md5:abc $W/file.txt /x
DF
expect_fail 2 "Dockerfile:4: .*invalid checksum digest format" kb "$T/ctx"
echo local >"$T/ctx/local.txt"
df <<DF
ADD --checksum=sha256:$file_sum local.txt /x
DF
expect_fail 2 "checksum can't be specified for non-HTTP\(S\) sources" kb "$T/ctx"
df <<DF
ADD $W/missing /x
DF
expect_fail 1 "Dockerfile:4: ADD.*invalid response status 404" kb "$T/ctx"
: >"$T/netlab-world.log"
df <<DF
ADD $W/repo.git /src
DF
expect_fail 1 "git repositories as sources .* are not supported yet" kb "$T/ctx"
[ -s "$T/netlab-world.log" ] && fail "a git URL was fetched"
df <<DF
COPY $W/file.txt /x
DF
expect_fail 2 "source can't be a URL for COPY" kb "$T/ctx"
df <<DF
ADD --unpack=true $W/a.tar.gz /x/
DF
expect_fail 1 "unpack of a remote archive is not supported yet" kb "$T/ctx"
ok "a checksum mismatch names the line; bad or misplaced --checksum, 404, git URLs and COPY of a URL fail clearly"

# the destination policy
refused() { # URL PATTERN WHAT [FLAGS...]
  local url=$1 pat=$2 what=$3
  shift 3
  df <<DF
ADD $url /x
DF
  expect_fail 1 "Dockerfile:4: ADD.*destination $pat is not allowed" kb "$@" "$T/ctx" || fail "$what"
}
refused "http://127.0.0.1:$NL_LOOP_PORT/" "127.0.0.1:$NL_LOOP_PORT" "the host's loopback"
refused "http://[::1]:$NL_LOOP_PORT/" "\[::1\]:$NL_LOOP_PORT" "the host's IPv6 loopback"
refused "http://10.77.0.2:$NL_ADDR_PORT/" "10.77.0.2:$NL_ADDR_PORT" "the host's own address"
refused "http://10.77.0.1:$NL_PORT/" "10.77.0.1:$NL_PORT" "the gateway, a private network"
refused "http://169.254.169.254:$NL_PORT/latest/meta-data/" "169.254.169.254:$NL_PORT" "the metadata service"
grep -q "is not allowed: a link-local address (where cloud metadata services live)" "$T/out.log" || fail "the reason"
refused "http://meta.test:$NL_PORT/" "169.254.169.254:$NL_PORT" "a name that resolves to the metadata service"
refused "http://[::ffff:169.254.169.254]:$NL_PORT/" ".*169.254.169.254.*" "an IPv4-mapped metadata address"
refused "$W/redirect?to=http://169.254.169.254:$NL_PORT/secret" "169.254.169.254:$NL_PORT" "a redirect to the metadata service"
refused "$W/redirect?to=http://127.0.0.1:$NL_LOOP_PORT/" "127.0.0.1:$NL_LOOP_PORT" "a redirect to the host's loopback"
refused "http://127.0.0.1:$NL_LOOP_PORT/" "127.0.0.1:$NL_LOOP_PORT" "another port allowed only" --allow-net "127.0.0.1:$NL_PORT"
nl_log world | grep -E '^(10\.77\.0\.1|169\.254\.169\.254) ' && fail "a refused destination saw a request"
[ -s "$T/netlab-host-loopback.log" ] && fail "the host's loopback service saw a request"
[ -s "$T/netlab-host-address.log" ] && fail "the service on the host's address saw a request"
ok "ADD refuses the host's loopback and address, the gateway, the metadata service (by address, name, mapped form, redirect); the services saw nothing"

df <<DF
ADD http://127.0.0.1:$NL_LOOP_PORT/ /loop.txt
ADD $W/redirect?to=http://10.77.0.1:$NL_PORT/ /priv.txt
DF
kb --allow-net "127.0.0.1:$NL_LOOP_PORT" --allow-net 10.77.0.0/24 --output "type=oci,dest=$T/a1,tar=false" "$T/ctx" >"$T/log" 2>&1 ||
  { cat "$T/log"; fail "build with --allow-net"; }
entries "$T/a1" >"$T/entries"
grep -q "^loop.txt 0o600 0:0 0 $(echo 'host-loopback reached at 127.0.0.1' | sha256sum | cut -c1-12)$" "$T/entries" ||
  { cat "$T/entries"; fail "the loopback service with --allow-net"; }
grep -q "^priv.txt 0o600 0:0 0 $(echo 'world reached at 10.77.0.1' | sha256sum | cut -c1-12)$" "$T/entries" ||
  { cat "$T/entries"; fail "a redirect to an allowed private range"; }
ok "--allow-net lets ADD reach a loopback port and a private range (redirects included)"

# size limit, with and without Content-Length
for p in big big-stream; do
  df <<DF
ADD $W/$p /big
DF
  expect_fail 2 "Dockerfile:4: ADD.*larger than 1048576 bytes \(--max-download-size" kb --max-download-size 1m "$T/ctx"
done
kb --max-download-size 3m --output "type=oci,dest=$T/b1,tar=false" "$T/ctx" >"$T/log" 2>&1 || { cat "$T/log"; fail "3m is enough"; }
ok "--max-download-size stops an oversized body, announced or streamed"

# a proxy given as a build arg is used (and allowed: the operator named it)
: >"$T/netlab-host-loopback.log"
df <<DF
ADD $W/nolm.txt?via-proxy /p.txt
DF
kb --build-arg "HTTP_PROXY=http://127.0.0.1:$NL_LOOP_PORT" --output "type=oci,dest=$T/p1,tar=false" "$T/ctx" >"$T/log" 2>&1 ||
  { cat "$T/log"; fail "build through the proxy"; }
grep -q "$W/nolm.txt?via-proxy" "$T/netlab-host-loopback.log" || fail "the proxy was not used"
ok "ADD goes through the operator's HTTP_PROXY build arg"
