#!/usr/bin/env bash
# The non-root policy: a final image that would run as root is refused (exit 1, no output)
# unless the operator passes --allow-root-user.
source "$(dirname "$0")/lib/common.sh"

# a base image whose /etc/passwd maps "toor" to uid 0, and a base with a non-root config User
mkdir -p "$T/base/etc" "$T/base2/etc"
printf 'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\napp:x:10001:10001::/app:/bin/sh\n' >"$T/base/etc/passwd"
printf 'root:x:0:\napp:x:10001:\n' >"$T/base/etc/group"
printf 'FROM scratch\nCOPY etc /etc\n' >"$T/base/Dockerfile"
kbuild --allow-root-user -t base:1 --output "type=oci,dest=$T/root-base,tar=false" "$T/base" >/dev/null
cp "$T/base/etc/"* "$T/base2/etc/"
printf 'FROM scratch\nCOPY etc /etc\nUSER app\n' >"$T/base2/Dockerfile"
kbuild -t base:1 --output "type=oci,dest=$T/app-base,tar=false" "$T/base2" >/dev/null

# case NAME EXPECT(pass|fail) PATTERN DOCKERFILE-BODY (FROM base = the root base, FROM appbase = app)
policy_case() {
  local name=$1 expect=$2 pattern=$3 body=$4
  mkdir -p "$T/c-$name"
  printf '%b\n' "$body" >"$T/c-$name/Dockerfile"
  local args=(build --root "$ROOT" --progress quiet --build-context base=oci-layout://"$T/root-base":1
    --build-context appbase=oci-layout://"$T/app-base":1 --output "type=oci,dest=$T/o-$name,tar=false" "$T/c-$name")
  if [ "$expect" = fail ]; then
    expect_fail 1 "$pattern" "$KILN" "${args[@]}"
    [ ! -e "$T/o-$name" ] || fail "$name: output written by a refused build"
  else
    "$KILN" "${args[@]}" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "$name: expected to pass"; }
    check_layout "$T/o-$name"
  fi
  ok "policy: $name ($expect)"
}

policy_case no-user-root-base fail 'Dockerfile:1: FROM base: the image would run as root: the final stage sets no USER' 'FROM base'
policy_case user-root fail 'Dockerfile:2: USER root: the image would run as root' 'FROM base\nUSER root'
policy_case user-0-0 fail 'Dockerfile:2: USER 0:0: the image would run as root: uid 0' 'FROM base\nUSER 0:0'
policy_case user-0-group fail 'Dockerfile:2: USER 0:app' 'FROM base\nUSER 0:app'
policy_case name-uid-0 fail "Dockerfile:2: USER toor: .*'toor' has uid 0" 'FROM base\nUSER toor'
policy_case arg-root fail 'Dockerfile:3: USER root' 'FROM base\nARG U=root\nUSER ${U}'
policy_case earlier-stage-only fail 'Dockerfile:3: FROM base' 'FROM base AS b\nUSER app\nFROM base\nCOPY --from=b /etc/passwd /x'
policy_case unknown-name fail 'Dockerfile:2: USER ghost: the user does not exist' 'FROM base\nUSER ghost'
policy_case inherited-nonroot pass '' 'FROM appbase\nENV X=1'
policy_case numeric-nonroot pass '' 'FROM base\nUSER 1001'
policy_case openshift-gid-0 pass '' 'FROM base\nUSER 1001:0'
policy_case name-nonroot pass '' 'FROM base\nUSER app:app'
policy_case later-user-wins fail 'Dockerfile:3: USER root' 'FROM appbase\nUSER app\nUSER root'

# the operator override: a warning, and the override recorded in an annotation
mkdir -p "$T/ov"
printf 'FROM scratch\nENV A=1\n' >"$T/ov/Dockerfile"
d=$("$KILN" build --root "$ROOT" --progress plain --allow-root-user --output "type=oci,dest=$T/ov-out,tar=false" "$T/ov" 2>"$T/ov.log")
grep -q "WARNING: --allow-root-user" "$T/ov.log" || fail "no warning for --allow-root-user"
blob_json "$T/ov-out" "$(manifest_digest "$T/ov-out")" | grep -q '"dev.kiln.policy.allow-root-user":"true"' || fail "override not recorded"
ok "--allow-root-user warns and is recorded in the manifest annotations"

# the shared checker agrees with the policy on a passing image
check_layout "$T/o-name-nonroot" "" --require-nonroot
ok "check-oci-layout --require-nonroot accepts the images kiln lets through"
