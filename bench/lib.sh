# Shared pieces of the benchmarks: the inputs of ../shared/peers/run-bench.sh, the busybox base,
# and a timing helper (median of N runs of /usr/bin/time; preparation untimed).
# Sourced with KILN (binary), N and W (work dir) set.

PEERS_DIR=${PEERS_DIR:-$HOME/.cache/kiln-peers}

median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# run LABEL PREP CMD: prints the median wall time and peak RSS of CMD over N runs.
run() {
  local label=$1 prep=$2 cmd=$3 walls=() rss=()
  for _ in $(seq "$N"); do
    eval "$prep" >/dev/null 2>&1
    sync # earlier runs' writeback is not charged to this one
    /usr/bin/time -f '%e %M' -o "$W/t" sh -c "$cmd" >/dev/null 2>"$W/err" ||
      { echo "$label: FAILED"; tail -3 "$W/err"; return; }
    read -r w m <"$W/t"
    walls+=("$w") rss+=("$m")
  done
  printf '%-40s wall %6ss  peak RSS %5s MiB  (runs: %s)\n' "$label" \
    "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(printf '%s\n' "${rss[@]}" | median | awk '{printf "%.0f", $1/1024}')" "${walls[*]}"
}

# bench_base: sets $base (an OCI layout) and $ref (":TAG" or "@DIGEST") of a busybox image:
# the peers' busybox:1 when setup-peers.sh made it, else one kiln builds (untimed).
bench_base() {
  base="$PEERS_DIR/base-layout"
  if [ -f "$base/index.json" ]; then
    ref="@$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$base/index.json")"
    return
  fi
  source tests/integration/lib/busybox.sh
  busybox_context "$W/base"
  printf 'FROM scratch\nCOPY rootfs/ /\n' >"$W/base/Dockerfile"
  "$KILN" build --root "$W/base-store" --progress quiet --allow-root-user -t busybox:1 \
    --output "type=oci,dest=$W/base-layout,tar=false" "$W/base" >/dev/null 2>&1 || exit 1
  base="$W/base-layout" ref=:1
}

# bench_input_a DIR: 3 RUN + COPY of 2,000 small files + USER over "FROM base".
bench_input_a() {
  mkdir -p "$1"
  python3 - "$1/ctx" <<'PY'
import hashlib, os, sys
root = sys.argv[1]
for d in range(20):
    os.makedirs(f'{root}/d{d:02d}', exist_ok=True)
    for f in range(100):
        h = hashlib.sha256(f'{d}/{f}'.encode()).hexdigest()
        with open(f'{root}/d{d:02d}/f{f:02d}.txt', 'w') as fh:
            fh.write(f'file {d:02d}/{f:02d}\n' + h * ((d * 100 + f) % 4 + 1) + '\n')
PY
  cat >"$1/Dockerfile" <<'DF'
FROM base
RUN mkdir -p /data && echo one > /data/1
RUN echo two > /data/2 && ls -la /data > /data/listing
RUN for i in 1 2 3 4 5; do echo "$i" > /data/f$i; done
COPY ctx/ /app/
USER app
DF
  printf 'Dockerfile\n' >"$1/.dockerignore"
}

# bench_input_b DIR: COPY of one 200 MiB file (incompressible) over "FROM base".
bench_input_b() {
  mkdir -p "$1"
  openssl enc -aes-128-ctr -pass pass:kiln-bench -nosalt -pbkdf2 -in /dev/zero 2>/dev/null |
    head -c 209715200 >"$1/big.bin"
  printf 'FROM base\nCOPY big.bin /big.bin\n' >"$1/Dockerfile"
  printf 'Dockerfile\n' >"$1/.dockerignore"
}

# docker_ready: dockerd (BuildKit) is running; loads the base into it as base:latest.
docker_ready() {
  D=/usr/bin/docker
  [ -x "$D" ] && $D version >/dev/null 2>&1 || return 1
  skopeo copy -q "oci:$base$([ "${ref:0:1}" = @ ] && echo ":busybox:1" || echo "$ref")" \
    docker-daemon:base:latest >/dev/null 2>&1
}

# bench_input_c DIR: a RUN with a secret mount (DIR/tok.txt is the secret) over "FROM base".
bench_input_c() {
  mkdir -p "$1"
  printf 'FROM base\nRUN --mount=type=secret,id=tok sh -c '"'"'sha256sum /run/secrets/tok > /hash'"'"'\nUSER 10001\n' >"$1/Dockerfile"
  printf 'Dockerfile\ntok.txt\n' >"$1/.dockerignore"
  echo -n 's3cr3t-token-value' >"$1/tok.txt"
}

# bench_tree DIR FILES MIB: FILES text files (compressible about 3:1, every one different) of
# MIB MiB in all, 50 to a directory, sizes from 1/4 to 7/4 of the mean. Deterministic.
bench_tree() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
root, files, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(16)
words = [''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rnd.randint(2, 9)))
         for _ in range(4096)]
pool = ' '.join(rnd.choice(words) for _ in range(400000)).encode()
mean = mib * 1048576 // files
for i in range(files):
    d = f'{root}/m{i // 50:04d}'
    if i % 50 == 0:
        os.makedirs(d, exist_ok=True)
    size = mean // 4 + (i * 7919) % (mean * 3 // 2)
    off = (i * 104729) % (len(pool) - size - 1)
    with open(f'{d}/f{i % 50:02d}.txt', 'wb') as f:
        f.write(b'%d\n' % i + pool[off:off + size])
PY
}

# bench_input_d DIR: a monorepo context (50,000 files, 500 MiB): COPY . /src, then a RUN that
# reads every file. DIR/half.dockerignore drops half the tree (the even directories).
bench_input_d() {
  mkdir -p "$1"
  [ -d "$1/src/m0999" ] || bench_tree "$1/src" 50000 500
  cat >"$1/Dockerfile" <<'DF'
FROM base
COPY src/ /src/
RUN find /src -type f | wc -l > /count && cat /src/m*/* | wc -c > /bytes
USER 10001
DF
  printf 'Dockerfile\n*.dockerignore\n' >"$1/full.dockerignore"
  { cat "$1/full.dockerignore"; for i in $(seq 0 2 999); do printf 'src/m%04d\n' "$i"; done; } >"$1/half.dockerignore"
  cp "$1/full.dockerignore" "$1/.dockerignore"
}

# bench_debian_base OUT: an OCI layout (tag 12) of a Debian 12 minbase with ~200 packages, made
# once with debootstrap (needs the Debian mirror) in $BENCH_CACHE (default
# /var/tmp/kiln-bench-cache); one gzip layer written by tar(1), as a base from elsewhere.
bench_debian_base() {
  local cache=${BENCH_CACHE:-/var/tmp/kiln-bench-cache} mirror
  local pkgs=ca-certificates,curl,wget,git,openssh-client,gnupg,less,procps,iproute2,netbase
  pkgs=$pkgs,xz-utils,bzip2,unzip,zip,vim-tiny,tzdata,locales,sudo,file,python3,python3-venv
  pkgs=$pkgs,make,patch,jq,rsync,dnsutils,iputils-ping,lsof,strace,openssl,nano,htop,tree
  mkdir -p "$cache"
  if [ ! -s "$cache/debian200/var/lib/dpkg/status" ]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    rm -rf "$cache/debian200.tmp"
    debootstrap --variant=minbase --include="$pkgs" bookworm "$cache/debian200.tmp" \
      "${mirror:-http://deb.debian.org/debian}" >"$cache/debootstrap.log" 2>&1 || return 1
    rm -f "$cache/debian200.tmp"/var/cache/apt/archives/*.deb
    mv "$cache/debian200.tmp" "$cache/debian200"
  fi
  if [ ! -s "$cache/debian200-layout/index.json" ]; then
    rm -rf "$cache/debian200-layout" "$cache/layer.tar"
    tar --sort=name --numeric-owner --xattrs --xattrs-include='*' -C "$cache/debian200" \
      -cf "$cache/layer.tar" .
    python3 tests/integration/lib/mklayout.py "$cache/debian200-layout" 12 "$cache/layer.tar"
    rm -f "$cache/layer.tar"
  fi
  rm -rf "$1"
  cp -a "$cache/debian200-layout" "$1"
}

# bench_input_e DIR: a service image on that Debian base: a user, Python's bytecode compiled in a
# RUN (a layer of ~2,000 new files for the leak scan), the application copied, USER.
bench_input_e() {
  mkdir -p "$1/app"
  cat >"$1/Dockerfile" <<'DF'
FROM debian
RUN useradd -m -u 10001 app && python3 -m compileall -q /usr/lib/python3.11 > /dev/null
COPY app/ /home/app/
USER app
DF
  [ -d "$1/app/m0001" ] || bench_tree "$1/app" 100 2
  printf 'Dockerfile\n' >"$1/.dockerignore"
}

# bench_input_f DIR: Debian base + a 256 MiB tree of text (compressible) copied in a layer of its
# own, for the compressions of new layers (and the base layer with force-compression).
bench_input_f() {
  mkdir -p "$1"
  [ -d "$1/data/m0099" ] || bench_tree "$1/data" 5000 256
  printf 'FROM debian\nCOPY data/ /data/\nUSER 10001\n' >"$1/Dockerfile"
  printf 'Dockerfile\n' >"$1/.dockerignore"
}
