#!/usr/bin/env bash
# RUN steps of independent stages run at the same time (kiln builds them in threads): each gets
# its own sandbox, and the result is the same as a build of one stage at a time.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

busybox_context "$T/ctx"
{
  busybox_dockerfile
  for s in one two three four; do
    printf 'FROM base AS %s\nRUN for i in 1 2 3 4 5 6 7 8; do echo %s $i > /%s.$i; sleep 0.05; done\nRUN cat /%s.* > /%s\n' \
      "$s" "$s" "$s" "$s" "$s"
  done
  printf 'FROM base\n'
  for s in one two three four; do printf 'COPY --from=%s /%s /out/%s\n' "$s" "$s" "$s"; done
  printf 'RUN cat /out/* | wc -l > /lines\nUSER app\n'
} >"$T/ctx/Dockerfile"

for i in 1 2 3; do
  rm -rf "$ROOT"
  timeout 120 "$KILN" build --root "$ROOT" --progress quiet -t par:1 --output "type=oci,dest=$T/out$i,tar=false" \
    "$T/ctx" >"$T/d$i" 2>"$T/e$i" || { cat "$T/e$i"; fail "parallel build $i"; }
done
[ "$(cat "$T/d1")" = "$(cat "$T/d2")" ] && [ "$(cat "$T/d2")" = "$(cat "$T/d3")" ] ||
  fail "parallel builds differ: $(cat "$T"/d?)"
check_layout "$T/out1"
unpack_tree "$T/out1" 1 "$T/u" >/dev/null
[ "$(cat "$T/u/rootfs/lines")" = 32 ] || fail "the final stage does not see the four stages' output"
ok "RUN steps in parallel stages: three cold builds, one digest ($(cat "$T/d1"))"

# The stages really ran at the same time: each step notes when it started and ended (the
# uptime clock, the same in every namespace), and the four one-second steps must overlap.
{
  busybox_dockerfile
  for s in one two three four; do
    printf 'FROM base AS %s\nRUN read a _ < /proc/uptime; sleep 1; read b _ < /proc/uptime; echo "$a $b" > /%s\n' "$s" "$s"
  done
  printf 'FROM base\n'
  for s in one two three four; do printf 'COPY --from=%s /%s /t/%s\n' "$s" "$s" "$s"; done
  printf 'USER app\n'
} >"$T/ctx/Dockerfile.overlap"
kbuild -t ov:1 -f "$T/ctx/Dockerfile.overlap" --output "type=oci,dest=$T/ov,tar=false" "$T/ctx" >/dev/null
unpack_tree "$T/ov" 1 "$T/uov" >/dev/null
cat "$T"/uov/rootfs/t/* >"$T/intervals"
[ "$(wc -l <"$T/intervals")" = 4 ] || fail "intervals: $(cat "$T/intervals")"
python3 - "$T/intervals" <<'PY' || fail "the stages ran one after another: $(tr '\n' ';' <"$T/intervals")"
import sys
iv = sorted(tuple(map(float, l.split())) for l in open(sys.argv[1]))
# some two steps overlapped: one started before another ended
sys.exit(0 if any(iv[i + 1][0] < iv[i][1] for i in range(len(iv) - 1)) else 1)
PY
ok "independent stages' RUN steps overlap in time"
