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
