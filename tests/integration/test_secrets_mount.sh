#!/usr/bin/env bash
# RUN --mount=type=secret as BuildKit does it: the file's mode, owner and place, env=, optional
# and required secrets, no stub left in the image; the --secret forms and their start-up errors.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/secrets.sh"

busybox_context "$T/ctx"
random_secret "$T/tok"
want_hash=$(sha256sum <"$T/tok" | cut -d' ' -f1)
{
  busybox_dockerfile
  cat <<'DF'
FROM base
ENV API_TOKEN=public-default
RUN --mount=type=secret,id=tok stat -c '%a %u %g' /run/secrets/tok > /default.txt && sha256sum < /run/secrets/tok > /hash.txt
RUN --mount=type=secret,id=tok,target=/etc/app/token,mode=0440,uid=10001,gid=10001 stat -c '%a %u %g' /etc/app/token > /custom.txt
RUN --mount=type=secret,id=tok,env=API_TOKEN printf '%s' "$API_TOKEN" | sha256sum > /envhash.txt && (test -e /run/secrets/tok && echo file || echo no-file) > /envonly.txt
RUN --mount=type=secret,id=tok,env=API_TOKEN,target=/run/s/both sh -c 'test -f /run/s/both && [ "$(cat /run/s/both)" = "$API_TOKEN" ] && echo both > /both.txt'
RUN --mount=type=secret,id=absent,env=ABSENT sh -c '(test -e /run/secrets/absent && echo present || echo absent; echo "ABSENT=${ABSENT-unset}") > /optional.txt'
RUN --mount=type=secret,id=tok,dst=/x/y/z sh -c 'echo "API_TOKEN=$API_TOKEN" > /env-after.txt; grep " /x/y/z " /proc/mounts | grep -o "ro,nosuid,nodev,noexec" > /flags.txt'
USER app
RUN --mount=type=secret,id=tok,uid=10001 sha256sum < /run/secrets/tok > /tmp/user.txt
DF
} >"$T/ctx/Dockerfile"

kbuild -t sec:1 --secret "id=tok,src=$T/tok" --output "type=oci,dest=$T/out,tar=false" "$T/ctx" >"$T/digest"
check_layout "$T/out" 1
unpack_tree "$T/out" 1 "$T/unpacked" >"$T/tree"
r=$T/unpacked/rootfs
[ "$(cat "$r/default.txt")" = "400 0 0" ] || fail "default mode and owner: $(cat "$r/default.txt")"
[ "$(cut -d' ' -f1 "$r/hash.txt")" = "$want_hash" ] || fail "the file holds the secret"
ok "secret file: /run/secrets/ID, mode 0400, root:root, the value"

[ "$(cat "$r/custom.txt")" = "440 10001 10001" ] || fail "mode/uid/gid: $(cat "$r/custom.txt")"
[ "$(cut -d' ' -f1 "$r/tmp/user.txt")" = "$want_hash" ] || fail "USER app reads a uid=10001 secret"
[ "$(cat "$r/flags.txt")" = "ro,nosuid,nodev,noexec" ] || fail "mount flags: $(cat "$r/flags.txt")"
ok "target/dst, mode, uid, gid; mounted ro,nosuid,nodev,noexec"

[ "$(cut -d' ' -f1 "$r/envhash.txt")" = "$want_hash" ] || fail "env= did not override the ENV of the same name"
[ "$(cat "$r/envonly.txt")" = no-file ] || fail "env= alone mounts no file"
[ "$(cat "$r/both.txt")" = both ] || fail "env= with a target gives both"
[ "$(cat "$r/env-after.txt")" = "API_TOKEN=public-default" ] || fail "env= leaked into a later step: $(cat "$r/env-after.txt")"
image_config "$T/out" | grep -q '"API_TOKEN=public-default"' || fail "image Env"
ok "env= overrides an ENV in that step only"

[ "$(cat "$r/optional.txt")" = "$(printf 'absent\nABSENT=unset')" ] || fail "optional missing secret: $(cat "$r/optional.txt")"
ok "an optional secret that is not given leaves no file and no variable"

if grep -Eq '^(run|x|etc/app|run/secrets|run/s)( |/)' "$T/tree"; then
  fail "a mount stub reached the image: $(grep -E '^(run|x|etc/app)' "$T/tree")"
fi
all_layer_paths "$T/out" "$T/all"
grep -Eq '^(run|x|etc/app)/' "$T/all" && fail "a stub in a layer: $(grep -E '^(run|x|etc/app)/' "$T/all")"
ok "no stub (run/secrets, etc/app/token, x/y/z) in the image or any layer"

# required and missing
printf 'FROM base\nRUN --mount=type=secret,id=nope,required true\n' | cat <(busybox_dockerfile) - >"$T/ctx/Dockerfile.req"
expect_fail 2 "secret nope: not found" "$KILN" build --root "$ROOT" --progress plain -f "$T/ctx/Dockerfile.req" "$T/ctx"
printf 'FROM base\nRUN --mount=type=secret,id=nope,required=true true\n' | cat <(busybox_dockerfile) - >"$T/ctx/Dockerfile.req2"
expect_fail 2 "secret nope: not found" "$KILN" build --root "$ROOT" --progress plain -f "$T/ctx/Dockerfile.req2" "$T/ctx"
ok "a required secret that is not given fails: secret ID: not found"

# the --secret forms give the same value (no cache: the step really reads it)
printf 'FROM base\nRUN --mount=type=secret,id=tok sha256sum < /run/secrets/tok > /h\n' | cat <(busybox_dockerfile) - >"$T/ctx/Dockerfile.forms"
form() { # [VAR=VALUE...] KILN-ARGS...: a build in $T, the digest
  local envs=(KILN_TEST=1)
  while [[ $1 == *=* ]]; do envs+=("$1") && shift; done
  (cd "$T" && env "${envs[@]}" "$KILN" build --root "$ROOT" --progress quiet --no-cache --allow-root-user \
    -f "$T/ctx/Dockerfile.forms" "$@" "$T/ctx" 2>/dev/null) || fail "build with $*"
}
base=$(form --secret "id=tok,src=$T/tok" | tail -1)
TOKVAR=$(cat "$T/tok")
for args in "--secret id=tok,source=$T/tok" "--secret id=tok,env=TOKVAR" "--secret type=env,id=tok,src=TOKVAR" \
  "--secret type=file,id=tok,src=$T/tok"; do
  # shellcheck disable=SC2086
  d=$(form "TOKVAR=$TOKVAR" $args | tail -1)
  [ "$d" = "$base" ] || fail "$args gives another image"
done
d=$(form "tok=$TOKVAR" --secret id=tok | tail -1)
[ "$d" = "$base" ] || fail "bare id=tok with \$tok set"
d=$(form --secret id=tok | tail -1) # the file ./tok in $T
[ "$d" = "$base" ] || fail "bare id=tok read from the file tok"
ok "--secret forms: src=, source=, env=, type=env, type=file, bare id (variable, then file)"

expect_fail 2 "secret 'tok': open '/nonexistent/tok': No such file" "$KILN" build --root "$ROOT" --progress plain --secret id=tok,src=/nonexistent/tok "$T/ctx"
grep -q '^#1 ' "$T/out.log" && fail "a step ran before the missing secret was noticed"
expect_fail 2 "secret 'tok': environment variable 'KILN_NO_SUCH_VAR' is not set" "$KILN" build --root "$ROOT" --progress plain --secret id=tok,env=KILN_NO_SUCH_VAR "$T/ctx"
head -c 600000 /dev/urandom >"$T/big"
expect_fail 2 "secret 'big' is larger than 500 KiB" "$KILN" build --root "$ROOT" --secret id=big,src="$T/big" "$T/ctx"
expect_fail 2 "unexpected key 'bogus'" "$KILN" build --root "$ROOT" --secret id=x,bogus=1 "$T/ctx"
expect_fail 2 "id= is required" "$KILN" build --root "$ROOT" --secret src="$T/tok" "$T/ctx"
ok "a missing file or variable, an oversized secret, a bad --secret: exit 2 before any step"

printf 'FROM base\nRUN --mount=type=ssh,required=true true\n' | cat <(busybox_dockerfile) - >"$T/ctx/Dockerfile.ssh"
expect_fail 2 'no SSH key "default" forwarded from the client' "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.ssh" "$T/ctx"
printf 'FROM base\nRUN --mount=type=secret,id=a,from=base true\n' | cat <(busybox_dockerfile) - >"$T/ctx/Dockerfile.bad"
expect_fail 2 "secret mount should not have a from" "$KILN" build --root "$ROOT" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
printf 'FROM base\nRUN --mount=type=secret,id=tok,env= true\n' | cat <(busybox_dockerfile) - >"$T/ctx/Dockerfile.bad"
expect_fail 2 'invalid secret env name ""' "$KILN" build --root "$ROOT" --secret "id=tok,src=$T/tok" -f "$T/ctx/Dockerfile.bad" "$T/ctx"
ok "a required ssh agent that --ssh did not give, bad mount options: BuildKit's errors"
