#!/usr/bin/env bash
# Every benchmark in one run, kiln beside BuildKit and buildah on the same inputs and the same
# base images; prints ONE table (markdown) of medians: wall seconds and peak RSS.
#
#   bench/run-all.sh [KILN_BINARY]
#
#   N=5              runs per figure (the median is shown)
#   ROWS="a b c d e f" the workloads:
#     a  3 RUN + COPY of 2,000 files + USER: cold, unchanged, one-file edit, touch
#     b  COPY of one 200 MiB incompressible file: cold, unchanged, 8 bytes edited
#     c  RUN with a secret mount: cold, unchanged, the secret's value changed
#     d  monorepo context, 50,000 files / 500 MiB, COPY . then a RUN that reads every file:
#        cold, unchanged, one-file edit, cold with a .dockerignore that drops half the tree
#     e  a Debian 12 image (debootstrap minbase + 30 packages = 209 packages, one 190 MiB gzip
#        layer) + a RUN, a COPY and USER: cold, unchanged; kiln without SBOM and provenance, kiln
#        with a secret (its leak scan of every new layer and attestation); the SBOM step alone
#     f  the Debian image + a 256 MiB text tree in a layer: gzip (default), zstd, zstd level 6,
#        uncompressed, zstd with force-compression (the base layer converted too)
#   PEERS="buildkit buildah"   which peers run (those that cannot run here are left out)
#   MIN_FREE=20 TRASH_PAUSE=60  moved-aside stores are deleted (between runs, never during one)
#                when less than MIN_FREE GiB are free, then a pause of TRASH_PAUSE seconds; the
#                log says when ("trash emptied"), so that the runs after it can be told apart
#
# Every figure: /usr/bin/time of the whole command (build and OCI layout written: the peers
# export with skopeo copy / buildah push, as dockerd 20.10 has no OCI exporter), the output
# removed before each run, every store empty before a cold run, and `sync` before each run (the
# previous run's writeback, whichever builder made it, is not charged to the next). Peak RSS: the largest process of
# the command's tree (kiln's RUN rows: pasta, ~31 MiB, kiln itself ~12 MiB; BuildKit: the docker
# CLI and skopeo, not dockerd). BuildKit's RUN steps have --network none (dockerd runs without a
# bridge); kiln's get the default network (pasta). Nothing here deletes during the timed part:
# what a cold run replaces is moved aside and deleted at the end (on a journal-less ext4, files
# created within minutes of a mass deletion are slow to create: see README).
set -uo pipefail
cd "$(dirname "$0")/.."
KILN=$(realpath "${1:-build/release/kiln}")
N=${N:-5}
ROWS=${ROWS:-a b c d e f}
PEERS=${PEERS:-buildkit buildah}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
W=$(mktemp -d /var/tmp/kiln-bench.XXXXXX)
TRASH=$W/trash
RES=$W/results.tsv
mkdir -p "$TRASH"
: >"$RES"
source bench/lib.sh
source bench/peers.sh
unmount_under() { # DIR: buildah's storage keeps an overlay mount of its own
  findmnt -rn -o TARGET | awk -v d="$1/" 'index($0, d) == 1' | sort -r | xargs -r -n1 umount -l
}
finish() {
  peers_docker_stop
  unmount_under "$W"
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap finish EXIT

aside() { # PATH...: moved out of the way (deleted at the end)
  local p
  for p in "$@"; do [ -e "$p" ] && mv "$p" "$TRASH/$(basename "$p").$RANDOM$RANDOM"; done
  return 0
}

# trash_limit: the trash emptied (outside any timed run) when the file system holding it has
# less than MIN_FREE GiB free (default 20): the d rows move ~40 GiB of stores aside, more than
# a CI disk holds. Then a pause, so that files created right after the mass deletion are not
# the slow ones (see README).
trash_limit() {
  local kib
  kib=$(df --output=avail -k "$TRASH" | tail -1)
  [ "$kib" -lt $((${MIN_FREE:-20} * 1048576)) ] || return 0
  unmount_under "$TRASH"
  rm -rf "$TRASH" && mkdir -p "$TRASH" && sync
  echo "[trash emptied at $(date -u +%T); pause of ${TRASH_PAUSE:-60} s]" >&2
  sleep "${TRASH_PAUSE:-60}"
}

# measure ROW BUILDER PREP CMD: N runs of CMD (timed) after PREP (not timed); the medians go to
# $RES and the runs to stderr.
measure() {
  local row=$1 who=$2 prep=$3 cmd=$4 walls=() rss=() fails=0
  for _ in $(seq "$N"); do
    trash_limit
    eval "$prep" >/dev/null 2>&1
    # the previous runs' dirty pages (a peer's store, outputs moved aside) written back before
    # the clock starts, not during the next builder's run
    sync
    if ! /usr/bin/time -f '%e %M' -o "$W/t" bash -c "$cmd" >"$W/out.log" 2>&1; then
      fails=$((fails + 1))
      tail -3 "$W/out.log" | sed "s/^/  [$row $who] /" >&2
      continue
    fi
    read -r w m <"$W/t"
    walls+=("$w") rss+=("$m")
  done
  if [ ${#walls[@]} -eq 0 ]; then
    printf '%s\t%s\tfailed\t\t\n' "$row" "$who" >>"$RES"
    return
  fi
  local mw mr
  mw=$(printf '%s\n' "${walls[@]}" | median)
  mr=$(printf '%s\n' "${rss[@]}" | median | awk '{printf "%.0f", $1/1024}')
  printf '%s\t%s\t%s\t%s\t%s\n' "$row" "$who" "$mw" "$mr" "${walls[*]}${fails:+ failed:$fails}" >>"$RES"
  printf '%-44s %-9s %6ss %4s MiB  (%s)\n' "$row" "$who" "$mw" "$mr" "${walls[*]}" >&2
}

# ---- the builders: build CTX into an OCI layout; fresh: every store empty ----
k_build() { # NAME CTX [KILN-ARGS...]
  local name=$1 ctx=$2
  shift 2
  echo "$KILN build --root $W/k-store --progress quiet --allow-root-user $KBASE $* \
    --output type=oci,dest=$W/k-out-$name,tar=false${KOUT:+,$KOUT} $ctx"
}
k_fresh() { echo "aside $W/k-store $W/k-out-$1"; }
k_clean() { echo "aside $W/k-out-$1"; }

bk_build() { # NAME CTX [DOCKER-ARGS...]
  local name=$1 ctx=$2
  shift 2
  echo "$DOCKER build -q --network none $* -t bench-$name $ctx >/dev/null && \
    skopeo copy -q --src-daemon-host \$DOCKER_HOST ${SKOPEO_ARGS:-} docker-daemon:bench-$name:latest \
    oci:$W/d-out-$name:x"
}
bk_fresh() { echo "aside $W/d-out-$1; docker_fresh"; }
bk_clean() { echo "aside $W/d-out-$1"; }
docker_fresh() { # a new dockerd on an empty data root, with the base images loaded
  peers_docker_stop
  aside "$DK/data"
  peers_docker_start && docker_load "$BASE" "$REF" base && { [ -z "${DEBIAN:-}" ] || docker_load "$DEBIAN" :12 debian; }
}

bh_build() { # NAME CTX [BUILDAH-ARGS...]
  local name=$1 ctx=$2
  shift 2
  echo "buildah_ bud -q --layers --isolation chroot $* -t bench-$name $ctx >/dev/null && \
    buildah_ push -q ${PUSH_ARGS:-} bench-$name oci:$W/h-out-$name:x"
}
bh_fresh() { echo "aside $W/h-out-$1; buildah_fresh"; }
bh_clean() { echo "aside $W/h-out-$1"; }
buildah_fresh() {
  unmount_under "$BUILDAH_STORE"
  aside "$BUILDAH_STORE"
  buildah_load "$BASE" "$REF" base && { [ -z "${DEBIAN:-}" ] || buildah_load "$DEBIAN" :12 debian; }
}
# buildah_ctx CTX: a copy of CTX whose FROM names buildah's local images (no short names)
buildah_ctx() {
  rm -rf "$1.bh"
  cp -a "$1" "$1.bh"
  sed -i 's|^FROM base$|FROM localhost/base|; s|^FROM debian$|FROM localhost/debian|' "$1.bh/Dockerfile"
  echo "$1.bh"
}

has() { [[ " $PEERS " == *" $1 "* ]]; }

# row ROW NAME CTX PREP-KIND [PREP-CMD]: one row for every builder. PREP-KIND: fresh (every
# store empty) or clean (only the output removed); PREP-CMD runs before (an edit).
row() {
  local label=$1 name=$2 ctx=$3 kind=$4 pre=${5:-:}
  measure "$label" kiln "$pre; $(k_$kind "$name")" "$(k_build "$name" "$ctx" ${KARGS:-})"
  if has buildkit; then
    measure "$label" BuildKit "$pre; $(bk_$kind "$name")" "$(bk_build "$name" "$ctx" ${DARGS:-})"
  fi
  if has buildah; then
    measure "$label" buildah "$pre; $(bh_$kind "$name")" "$(bh_build "$name" "$(buildah_ctx "$ctx")" ${HARGS:-})"
  fi
}

# ---- set-up (not timed) ----
bench_base # $base, $ref: busybox
BASE=$base REF=$ref
KBASE="--build-context base=oci-layout://$BASE$REF"
if has buildkit && ! { peers_docker_start && docker_load "$BASE" "$REF" base; }; then
  echo "BuildKit: dockerd does not run here (../shared/peers/setup-peers.sh docker_install)" >&2
  PEERS=${PEERS/buildkit/}
fi
if has buildah && ! { peers_buildah_ready && buildah_load "$BASE" "$REF" base; }; then
  echo "buildah: not usable here (../shared/peers/setup-peers.sh pkgs containers_conf)" >&2
  PEERS=${PEERS/buildah/}
fi
export -f aside unmount_under buildah_ docker_fresh docker_load buildah_fresh buildah_load peers_docker_start \
  peers_docker_stop
export W TRASH DK DOCKER BUILDAH_STORE BASE REF DEBIAN="" DOCKER_HOST=unix://$DK/run/docker.sock
counter=0
for r in $ROWS; do
  case $r in
  a)
    bench_input_a "$W/a"
    row "a cold" a "$W/a" fresh
    row "a unchanged" a "$W/a" clean
    row "a one-file edit" a "$W/a" clean 'echo "edit $RANDOM" >>'"$W/a/ctx/d07/f42.txt"
    row "a touch" a "$W/a" clean "touch $W/a/ctx/d07/f42.txt"
    ;;
  b)
    bench_input_b "$W/b"
    row "b cold" b "$W/b" fresh
    row "b unchanged" b "$W/b" clean
    row "b edit of 8 bytes" b "$W/b" clean \
      "printf '%.8s' \"\$RANDOM\$RANDOM\$RANDOM\" | dd of=$W/b/big.bin bs=1 seek=1000 conv=notrunc"
    ;;
  c)
    bench_input_c "$W/c"
    KARGS="--secret id=tok,src=$W/c/tok.txt" DARGS=$KARGS HARGS=$KARGS row "c cold" c "$W/c" fresh
    KARGS="--secret id=tok,src=$W/c/tok.txt" DARGS=$KARGS HARGS=$KARGS row "c unchanged" c "$W/c" clean
    KARGS="--secret id=tok,src=$W/c/tok.txt" DARGS=$KARGS HARGS=$KARGS \
      row "c secret changed" c "$W/c" clean "echo -n \"tok-\$RANDOM\" > $W/c/tok.txt"
    ;;
  d)
    bench_input_d "$W/d"
    row "d cold (50,000 files, 500 MiB)" d "$W/d" fresh
    row "d unchanged" d "$W/d" clean
    row "d one-file edit" d "$W/d" clean 'echo "edit $RANDOM" >>'"$W/d/src/m0500/f07.txt"
    cp "$W/d/half.dockerignore" "$W/d/.dockerignore"
    row "d cold, .dockerignore drops half" d "$W/d" fresh
    cp "$W/d/full.dockerignore" "$W/d/.dockerignore"
    ;;
  e | f)
    if [ -z "$DEBIAN" ]; then
      DEBIAN=$W/debian
      bench_debian_base "$DEBIAN" || { echo "no Debian base (debootstrap)" >&2; continue; }
      has buildkit && docker_load "$DEBIAN" :12 debian
      has buildah && buildah_load "$DEBIAN" :12 debian
      export DEBIAN
    fi
    KB=$KBASE
    KBASE="--build-context debian=oci-layout://$DEBIAN:12"
    if [ "$r" = e ]; then
      bench_input_e "$W/e"
      row "e cold (Debian, 209 packages)" e "$W/e" fresh
      row "e unchanged" e "$W/e" clean
      echo -n 'bench-secret-value' >"$W/tok"
      measure "e cold, no SBOM/provenance" kiln "$(k_fresh e)" "$(k_build e "$W/e" --no-sbom --no-provenance)"
      measure "e cold, a secret (leak scan)" kiln "$(k_fresh e)" "$(k_build e "$W/e" --secret id=tok,src="$W/tok")"
      sb=$(bench/sbom-bench-build.sh "$(dirname "$KILN")" 2>/dev/null) &&
        measure "e SBOM step alone (209 packages)" kiln ":" \
          "$sb -n 1 ${BENCH_CACHE:-/var/tmp/kiln-bench-cache}/debian200"
    else
      bench_input_f "$W/f"
      row "f gzip (default) cold" f "$W/f" fresh
      KOUT=compression=zstd SKOPEO_ARGS="--dest-compress-format zstd --dest-compress" \
        PUSH_ARGS="--compression-format zstd" row "f zstd cold" f "$W/f" fresh
      # level 6: zstd's tables grow with the level (level 9 ~36 MiB, 19 ~220 MiB with 2 workers)
      measure "f zstd level 6 cold" kiln "$(k_fresh f)" "$(KOUT=compression=zstd,compression-level=6 k_build f "$W/f")"
      measure "f uncompressed cold" kiln "$(k_fresh f)" "$(KOUT=compression=uncompressed k_build f "$W/f")"
      measure "f zstd, force-compression cold" kiln "$(k_fresh f)" "$(KOUT=compression=zstd,force-compression=true k_build f "$W/f")"
    fi
    KBASE=$KB
    ;;
  esac
done

# ---- the table ----
cell() { # ROW BUILDER
  awk -F'\t' -v r="$1" -v b="$2" '$1 == r && $2 == b {
      if ($3 == "failed") print "failed"; else printf "%s s, %s MiB", $3, $4; f = 1 }
    END { if (!f) print "—" }' "$RES"
}
{
  echo "Medians of $N runs, wall seconds and peak RSS; $(date -u +%Y-%m-%d); $(nproc) cores" \
    "($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "Linux $(uname -r), $(findmnt -no FSTYPE -T "$W") ($(findmnt -no SOURCE -T "$W")); load before: $LOAD0"
  echo
  echo "| bench | kiln | BuildKit (dockerd 20.10) | buildah 1.28 |"
  echo "| --- | --- | --- | --- |"
  cut -f1 "$RES" | awk '!seen[$0]++' | while IFS= read -r r; do
    echo "| $r | $(cell "$r" kiln) | $(cell "$r" BuildKit) | $(cell "$r" buildah) |"
  done
} | tee "$W/table.md"
[ -n "${KEEP:-}" ] && echo "results: $W" >&2
