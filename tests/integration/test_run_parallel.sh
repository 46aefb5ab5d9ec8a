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
