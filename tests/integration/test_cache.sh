#!/usr/bin/env bash
# The step cache: rebuilds do only what changed, and notice every input that did.
source "$(dirname "$0")/lib/common.sh"

steps() { progress_steps "$1"; }

jbuild() { # LOG ARGS...
  local log=$1
  shift
  "$KILN" build --root "$ROOT" --progress json --allow-root-user "$@" >/dev/null 2>"$log" || { cat "$log" >&2; fail "build failed: $*"; }
}

mkdir -p "$T/ctx/src" "$T/ctx/big"
echo one >"$T/ctx/src/one.txt"
echo two >"$T/ctx/src/two.txt"
echo cfg >"$T/ctx/config.txt"
head -c 20000000 /dev/urandom >"$T/ctx/big/data.bin"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM scratch
ARG FLAVOR=plain
COPY config.txt /etc/app/
COPY big /big
COPY src /app/src
COPY config.txt /etc/app/${FLAVOR}.txt
DF

jbuild "$T/l1" "$T/ctx"
[ "$(steps "$T/l1")" = "|COPY config.txt /etc/app/,COPY big /big,COPY src /app/src,COPY config.txt /etc/app/\${FLAVOR}.txt" ] ||
  fail "cold build: $(steps "$T/l1")"
ok "a cold build runs every step"

jbuild "$T/l2" "$T/ctx"
case "$(steps "$T/l2")" in *"|") ;; *) fail "unchanged rebuild ran steps: $(steps "$T/l2")" ;; esac
ok "an unchanged rebuild runs no step"

touch "$T/ctx/src/one.txt" "$T/ctx/big/data.bin"
jbuild "$T/l3" "$T/ctx"
case "$(steps "$T/l3")" in *"|") ;; *) fail "touch re-ran steps: $(steps "$T/l3")" ;; esac
ok "a touch without a content change is a full hit"

echo changed >>"$T/ctx/src/one.txt"
jbuild "$T/l4" "$T/ctx"
[ "$(steps "$T/l4")" = "COPY config.txt /etc/app/,COPY big /big|COPY src /app/src,COPY config.txt /etc/app/\${FLAVOR}.txt" ] ||
  fail "one-file edit: $(steps "$T/l4")"
ok "a one-file edit re-runs only from the COPY that includes it"

jbuild "$T/l5" --build-arg FLAVOR=fancy "$T/ctx"
[ "$(steps "$T/l5")" = "COPY config.txt /etc/app/,COPY big /big,COPY src /app/src|COPY config.txt /etc/app/\${FLAVOR}.txt" ] ||
  fail "changed build arg: $(steps "$T/l5")"
ok "a changed build arg re-runs only the steps that see it"

# a changed base digest re-runs everything after FROM
mkdir -p "$T/base"
echo v1 >"$T/base/v"
printf 'FROM scratch\nCOPY v /v\n' >"$T/base/Dockerfile"
"$KILN" build --root "$ROOT" --progress quiet --allow-root-user --output "type=oci,dest=$T/bl,tar=false" -t b:1 "$T/base" >/dev/null
printf 'FROM base\nCOPY config.txt /c1\nCOPY src /s\n' >"$T/ctx/Dockerfile.b"
jbuild "$T/b1" -f "$T/ctx/Dockerfile.b" --build-context base=oci-layout://"$T/bl":1 "$T/ctx"
jbuild "$T/b2" -f "$T/ctx/Dockerfile.b" --build-context base=oci-layout://"$T/bl":1 "$T/ctx"
[ "$(steps "$T/b2")" = "COPY config.txt /c1,COPY src /s|" ] || fail "base unchanged: $(steps "$T/b2")"
echo v2 >"$T/base/v"
"$KILN" build --root "$ROOT" --progress quiet --allow-root-user --output "type=oci,dest=$T/bl,tar=false" -t b:1 "$T/base" >/dev/null
jbuild "$T/b3" -f "$T/ctx/Dockerfile.b" --build-context base=oci-layout://"$T/bl":1 "$T/ctx"
[ "$(steps "$T/b3")" = "|COPY config.txt /c1,COPY src /s" ] || fail "base changed: $(steps "$T/b3")"
ok "a changed base digest re-runs everything after FROM"

jbuild "$T/l6" --no-cache "$T/ctx"
case "$(steps "$T/l6")" in "|"*) ;; *) fail "--no-cache used the cache: $(steps "$T/l6")" ;; esac
ok "--no-cache runs every step"

# two concurrent builds on one store
for i in 1 2 3; do
  mkdir -p "$T/cc$i"
  echo "c$i" >"$T/cc$i/f"
  head -c 5000000 /dev/urandom >"$T/cc$i/g"
  printf 'FROM scratch\nCOPY f /f\nCOPY g /g\nUSER 1\n' >"$T/cc$i/Dockerfile"
done
pids=()
for i in 1 2 3; do
  "$KILN" build --root "$ROOT" --progress quiet --output "type=oci,dest=$T/cco$i,tar=false" "$T/cc$i" >"$T/cc$i.d" 2>"$T/cc$i.e" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent build failed: $(cat "$T"/cc*.e)"; done
for i in 1 2 3; do check_layout "$T/cco$i"; done
ok "concurrent builds on one store all succeed"

# a build killed mid-step leaves a store the next build uses correctly
mkdir -p "$T/kill"
head -c 150000000 /dev/urandom >"$T/kill/huge"
printf 'FROM scratch\nCOPY huge /huge\nUSER 1\n' >"$T/kill/Dockerfile"
killed=0
for delay in 0.1 0.3 0.8; do
  rm -rf "$T/ko"
  "$KILN" build --root "$ROOT" --progress quiet --output "type=oci,dest=$T/ko,tar=false" "$T/kill" >/dev/null 2>"$T/kill.log" &
  p=$!
  sleep "$delay"
  kill -9 "$p" 2>/dev/null || :
  rc=0
  wait "$p" || rc=$?
  case $rc in
    137) killed=$((killed + 1)) && { [ ! -e "$T/ko" ] || fail "a build killed after ${delay}s left an output"; } ;;
    0) ;; # it finished before the kill: this round proves nothing
    *) cat "$T/kill.log" >&2 && fail "the build failed on its own (exit $rc)" ;;
  esac
done
[ "$killed" -ge 1 ] || fail "every build finished before its kill: nothing was checked"
d=$("$KILN" build --root "$ROOT" --progress quiet --output "type=oci,dest=$T/ko,tar=false" "$T/kill")
check_layout "$T/ko"
d2=$("$KILN" build --root "$T/fresh" --progress quiet "$T/kill")
[ "$d" = "$d2" ] || fail "after a killed build the result differs from a fresh store's"
ok "a build killed mid-step leaves a store the next build uses correctly"

# a damaged cache record is ignored, never trusted
for r in "$ROOT"/cache/steps/*; do printf '{"digest":"sha256:00' >"$r"; done
jbuild "$T/l7" "$T/ctx"
case "$(steps "$T/l7")" in "|"*) ;; *) fail "a damaged record was used: $(steps "$T/l7")" ;; esac
ok "damaged cache records are ignored"

# prune: keeps what the cache uses, --keep-storage drops the oldest, --all empties the store
jbuild "$T/p0" "$T/ctx"
"$KILN" prune --root "$ROOT" >"$T/prune.out" || fail "prune"
grep -q "^removed " "$T/prune.out" || fail "prune prints no summary"
jbuild "$T/p1" "$T/ctx"
case "$(steps "$T/p1")" in *"|") ;; *) fail "prune removed what the cache uses: $(steps "$T/p1")" ;; esac
ok "prune keeps everything the cache records use"

"$KILN" prune --root "$ROOT" --keep-storage 1m >/dev/null
du_kb=$(du -sk "$ROOT/blobs" | cut -f1)
[ "$du_kb" -le 1100 ] || fail "--keep-storage 1m left ${du_kb} KiB of blobs"
jbuild "$T/p2" "$T/ctx"
case "$(steps "$T/p2")" in *"COPY big /big"*"|"*) fail "the big layer should have been pruned: $(steps "$T/p2")" ;; esac
"$KILN" prune --root "$ROOT" --all >/dev/null
[ -z "$(find "$ROOT/blobs" "$ROOT/snapshots" "$ROOT/cache" -type f)" ] || fail "--all left files"
jbuild "$T/p3" "$T/ctx"
case "$(steps "$T/p3")" in "|"*) ;; *) fail "after --all something was cached: $(steps "$T/p3")" ;; esac
ok "--keep-storage and --all"

# prune while a build runs: it waits, and both succeed
"$KILN" build --root "$ROOT" --progress quiet --no-cache --output "type=oci,dest=$T/pw,tar=false" "$T/kill" >/dev/null 2>"$T/pw.err" &
bp=$!
sleep 0.3
"$KILN" prune --root "$ROOT" --all >/dev/null 2>"$T/prune.err" || fail "prune during a build"
wait "$bp" || { cat "$T/pw.err"; fail "the build failed while prune ran"; }
check_layout "$T/pw"
ok "prune during a build waits for it; both succeed"

expect_fail 2 "invalid value 'lots' for --keep-storage" "$KILN" prune --root "$ROOT" --keep-storage lots
expect_fail 2 "store '$T/none'" "$KILN" prune --root "$T/none"
ok "prune: bad flags and a missing store are clear errors"

# --no-cache-filter: only the named stage runs again
mkdir -p "$T/ms"
echo a >"$T/ms/a"
printf 'FROM scratch AS one\nCOPY a /a1\nFROM scratch AS two\nCOPY a /a2\nCOPY --from=one /a1 /a3\n' >"$T/ms/Dockerfile"
jbuild "$T/m1" "$T/ms"
jbuild "$T/m2" --no-cache-filter two "$T/ms"
[ "$(steps "$T/m2")" = "COPY a /a1|COPY a /a2,COPY --from=one /a1 /a3" ] || fail "--no-cache-filter: $(steps "$T/m2")"
ok "--no-cache-filter STAGE re-runs only that stage's steps"

# rebuilding into an existing output reuses its unchanged blobs, never a changed one
jbuild "$T/o1" --output "type=oci,dest=$T/reuse,tar=false" "$T/ctx"
big=$(find "$T/reuse/blobs/sha256" -size +1M | head -1)
printf 'X' | dd of="$big" bs=1 seek=10 conv=notrunc 2>/dev/null
jbuild "$T/o2" --output "type=oci,dest=$T/reuse,tar=false" "$T/ctx"
check_layout "$T/reuse"
ok "a blob changed in the previous output is written again, not reused"
