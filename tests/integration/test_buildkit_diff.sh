#!/usr/bin/env bash
# Differential checks against BuildKit (Debian's docker.io 20.10: dockerd with BuildKit): the same
# Dockerfiles, which need no network, built by kiln and by BuildKit (`--network none`), exported
# (kiln's OCI layout; `docker-daemon:` through skopeo), unpacked by umoci and compared file by file
# (lib/tree_diff.py: types, modes, owners, contents, link targets, devices, xattrs, hard links).
# Cases: users + WORKDIR + COPY --chown/--chmod, links and unicode names and xattrs in the
# context, ADD of local archives, what RUN steps change, and a Debian base with useradd.
# This test starts its own dockerd (own data root and socket, --bridge=none) and stops it at the
# end; it is skipped where dockerd cannot run.
# ctest-labels: buildkit;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

[ "$(id -u)" -eq 0 ] || skip "dockerd needs root"
for t in /usr/sbin/dockerd /usr/bin/docker umoci skopeo setfattr; do
  command -v "$t" >/dev/null || skip "$t is not installed (../shared/peers/setup-peers.sh docker_install)"
done

# --- dockerd: ours only, one test at a time ---------------------------------------------------
DK=${KILN_TEST_DOCKER_DIR:-/var/tmp/kiln-test-docker}
mkdir -p "$DK"
exec 7>"$DK.lock"
flock 7
DOCKER_HOST=unix://$DK/run/docker.sock
export DOCKER_HOST DOCKER_BUILDKIT=1
dockerd_pid=""
dockerd_stop() {
  [ -n "$dockerd_pid" ] || return 0
  kill "$dockerd_pid" 2>/dev/null || :
  for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$dockerd_pid" 2>/dev/null || :
  wait "$dockerd_pid" 2>/dev/null || :
  dockerd_pid=""
}
trap 'rc=$?; set +e; dockerd_stop; (exit $rc); cleanup' EXIT
mkdir -p "$DK/run"
setsid /usr/sbin/dockerd --storage-driver overlay2 --iptables=false --ip6tables=false --bridge=none \
  --data-root "$DK/data" --exec-root "$DK/run/exec" -H "$DOCKER_HOST" --pidfile "$DK/run/docker.pid" \
  >"$DK/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 150); do /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.2; done
/usr/bin/docker version >/dev/null 2>&1 || { tail -5 "$DK/dockerd.log"; skip "dockerd does not start here"; }
mkdir -p "$T/probe" && printf 'FROM scratch\nCOPY probe /probe\n' >"$T/probe/Dockerfile" && echo x >"$T/probe/probe"
/usr/bin/docker build -q --network none -t kiln-diff-probe "$T/probe" >/dev/null 2>"$T/probe.log" ||
  { cat "$T/probe.log"; skip "BuildKit cannot build here"; }
ok "dockerd (BuildKit) runs"

# --- one case ---------------------------------------------------------------------------------
# unpack_oci LAYOUT REF DEST: the image (out of an index with attestations) unpacked as root
unpack_oci() {
  rm -rf "$3" "$3.single"
  skopeo copy -q "oci:$1:$2" "oci:$3.single:x" >/dev/null 2>"$T/unpack.log" &&
    umoci unpack --image "$3.single:x" "$3" >/dev/null 2>>"$T/unpack.log" ||
    { cat "$T/unpack.log" >&2; fail "unpack $1:$2"; }
}
failed=()
# case NAME CTX [KILN-ARGS...]: build CTX with both, compare; a difference is recorded, not fatal
case_diff() {
  local name=$1 ctx=$2
  shift 2
  if ! "$KILN" build --root "$ROOT" --progress plain -t "$name:1" "$@" \
    --output "type=oci,dest=$T/k-$name,tar=false" "$ctx" >"$T/k-$name.log" 2>&1; then
    failed+=("$name: kiln build failed: $(LC_ALL=C grep -aE '^kiln( build)?: ' "$T/k-$name.log" | tail -1)")
    echo "not ok - $name: kiln cannot build it"
    return 0
  fi
  /usr/bin/docker build --network none -t "kiln-diff-$name" "$ctx" >"$T/b-$name.log" 2>&1 ||
    { cat "$T/b-$name.log"; fail "$name: BuildKit cannot build it (the case is wrong)"; }
  skopeo copy -q --src-daemon-host "$DOCKER_HOST" "docker-daemon:kiln-diff-$name:latest" \
    "oci:$T/b-$name:1" >/dev/null 2>"$T/b-$name.skopeo" || { cat "$T/b-$name.skopeo"; fail "$name: export from dockerd"; }
  unpack_oci "$T/k-$name" 1 "$T/uk-$name"
  unpack_oci "$T/b-$name" 1 "$T/ub-$name"
  if python3 "$KILN_SRC/tests/integration/lib/tree_diff.py" "$T/uk-$name/rootfs" "$T/ub-$name/rootfs" \
    --label-a kiln --label-b buildkit >"$T/diff-$name"; then
    ok "$name: kiln's image and BuildKit's have the same files, modes, owners, links and xattrs"
  else
    sed 's/^/    /' "$T/diff-$name" | head -40
    failed+=("$name: $(wc -l <"$T/diff-$name") differences, first: $(head -1 "$T/diff-$name")")
    echo "not ok - $name: the images differ"
  fi
}

# --- the cases --------------------------------------------------------------------------------
# bb DIR: a context with the busybox tree (lib/busybox.sh) and a Dockerfile from stdin after it.
# The tree has /dev, /proc and /sys as real bases do: without them BuildKit leaves the empty
# directories runc makes for its mounts in the first RUN's layer (kept for compatibility, see
# moby/buildkit#7039), where kiln leaves no mount point in any layer (test_run_layers).
bb() {
  busybox_context "$1"
  mkdir -p "$1/rootfs/dev" "$1/rootfs/proc" "$1/rootfs/sys"
  { busybox_dockerfile; cat; } >"$1/Dockerfile"
}

# 1. users, WORKDIR (as root and as the user), COPY --chown (names, numbers) and --chmod
c=$T/users
mkdir -p "$c/conf/sub"
printf '{"name": "web"}\n' >"$c/package.json"
printf '#!/bin/sh\necho tool\n' >"$c/tool.sh"
echo a >"$c/conf/a.conf" && echo b >"$c/conf/sub/b.conf"
chmod 0600 "$c/conf/a.conf"
bb "$c" <<'DF'
FROM base
RUN echo 'web:x:10002:10002::/home/web:/bin/sh' >> /etc/passwd && echo 'web:x:10002:' >> /etc/group \
 && mkdir -p /home/web && chown web:web /home/web
WORKDIR /srv/app
COPY --chown=web:web package.json ./
COPY --chown=10003:10004 --chmod=0750 tool.sh /opt/tools/
COPY --chmod=0640 conf/ /etc/app/
COPY conf/ /etc/app-plain/
USER web
WORKDIR /home/web/work/deep
RUN echo built > built.txt && mkdir -p sub/dir && ln -s ../built.txt sub/link && chmod 0700 sub
USER app
DF
case_diff users "$c"

# 2. names, links and xattrs in the context
c=$T/names
mkdir -p "$c/ctx/with space" "$c/ctx/日本語" "$c/ctx/dir"
echo cv >"$c/ctx/Résumé – café.txt"
echo spaced >"$c/ctx/with space/file name.txt"
echo nl >"$c/ctx/new"$'\n'"line.txt"
echo jp >"$c/ctx/日本語/テスト.txt"
echo raw >"$c/ctx/bad-"$'\xff'".bin"
echo shared >"$c/ctx/a.txt"
ln "$c/ctx/a.txt" "$c/ctx/hard-a.txt"
ln "$c/ctx/a.txt" "$c/ctx/dir/hard-ü.txt"
ln -s "Résumé – café.txt" "$c/ctx/rel-link"
ln -s /etc/passwd "$c/ctx/abs-link"
ln -s nowhere "$c/ctx/dangling"
echo x >"$c/ctx/xattr.txt" && setfattr -n user.kiln.note -v "hello" "$c/ctx/xattr.txt"
echo exe >"$c/ctx/cap.bin" && chmod 0755 "$c/ctx/cap.bin"
# cap_net_bind_service=ep, a v2 value, as setcap writes it
setfattr -n security.capability -v 0x0100000200040000000000000000000000000000 "$c/ctx/cap.bin"
bb "$c" <<'DF'
FROM base
COPY ctx/ /data/
COPY ctx/dir /one-dir/
USER app
DF
case_diff names "$c"

# 3. ADD of local archives: owners, modes, hard and symbolic links, a .tar.gz. (Not ADD --chown of
#    an archive: BuildKit applies it to the extracted entries since v0.23, as kiln does, but the
#    BuildKit 0.8 in dockerd 20.10 does not.)
c=$T/add
mkdir -p "$c/arch/top/private" "$c/arch/top/pub"
echo in >"$c/arch/top/pub/in.txt" && ln "$c/arch/top/pub/in.txt" "$c/arch/top/pub/in-hard.txt"
ln -s pub/in.txt "$c/arch/top/link"
echo secret >"$c/arch/top/private/p.txt"
chmod 0700 "$c/arch/top/private" && chmod 0600 "$c/arch/top/private/p.txt" && chmod 2755 "$c/arch/top/pub"
tar --sort=name --owner=7 --group=8 --numeric-owner -C "$c/arch" -cf "$c/plain.tar" top
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$c/arch" -czf "$c/gz.tar.gz" top
rm -rf "$c/arch"
bb "$c" <<'DF'
FROM base
ADD plain.tar /opt/plain/
ADD gz.tar.gz /opt/gz
USER app
DF
case_diff add "$c"

# 4. what RUN steps change: deleted, replaced and chmod'ed base files, new owners, links, a fifo
c=$T/run
mkdir -p "$c/rootfs/data/old" && echo o >"$c/rootfs/data/old/a" && echo k >"$c/rootfs/data/keep"
bb "$c" <<'DF'
FROM base
RUN rm -rf /data/old && mkdir /data/old && echo new > /data/old/b && rm /bin/vi \
 && chmod 0600 /data/keep && chown 10001:10001 /data/keep && ln /data/keep /data/keep-hard \
 && mkfifo /data/fifo && mkdir -m 1777 /data/sticky && touch /data/sticky/f
USER app
RUN echo mine > /tmp/mine && ln -s /tmp/mine /tmp/mine-link
DF
case_diff run "$c"

# 5. a Debian base (debootstrap, device nodes in /dev): useradd, WORKDIR + COPY --chown + RUN as
#    the user, COPY into /etc
debian_case() { # BASE-LAYOUT
  skopeo copy -q --dest-daemon-host "$DOCKER_HOST" "oci:$1:bookworm" "docker-daemon:debian:bookworm" \
    >/dev/null 2>"$T/load.log" || { cat "$T/load.log"; fail "loading debian:bookworm into dockerd"; }
  c=$T/debian
  mkdir -p "$c"
  printf '{"name": "web"}\n' >"$c/package.json"
  echo 'greeting=hello' >"$c/app.conf"
  cat >"$c/Dockerfile" <<'DF'
FROM debian:bookworm
RUN useradd --uid 10001 --create-home app
COPY app.conf /etc/app/app.conf
WORKDIR /app
RUN chown app:app /app
COPY --chown=app:app package.json ./
USER app
RUN mkdir node_modules && cp package.json node_modules/.installed
WORKDIR /home/app/data
RUN touch made-here
DF
  case_diff debian "$c" --build-context "debian:bookworm=oci-layout://$1:bookworm"
}
rc=0
base=$("$KILN_SRC/tests/integration/lib/make-debian-base.sh") || rc=$?
if [ "$rc" -eq 77 ]; then
  skip_check "the Debian case" "this machine cannot make the Debian base"
else
  [ "$rc" -eq 0 ] || fail "make-debian-base.sh failed (exit $rc)"
  debian_case "$base"
fi

/usr/bin/docker rmi -f kiln-diff-probe kiln-diff-users kiln-diff-names kiln-diff-add kiln-diff-run \
  kiln-diff-debian >/dev/null 2>&1 || :
if [ ${#failed[@]} -gt 0 ]; then
  printf '  %s\n' "${failed[@]}" >&2
  fail "${#failed[@]} case(s) differ from BuildKit or do not build with kiln"
fi
