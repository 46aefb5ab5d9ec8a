#!/usr/bin/env bash
# Lint in kiln build: the static checks print warnings before the steps; --strict and
# error=true fail the build (exit 1) before any step runs; the rules on the final image
# (SetuidFilesInImage, SecretLikeFileInImage) name the file and the .dockerignore line that
# would keep a context file out, and never write an output when they fail the build.
source "$(dirname "$0")/lib/common.sh"

# build_log NAME ARGS...: kiln build of $T/NAME with plain progress; stderr in $T/NAME.log,
# the exit status echoed.
build_log() {
  local name=$1
  shift
  local rc=0
  "$KILN" build --root "$ROOT" --progress plain --output "type=oci,dest=$T/out-$name,tar=false" \
    "$@" "$T/$name" >"$T/$name.out" 2>"$T/$name.log" || rc=$?
  echo "$rc"
}

# 1. static checks: warnings first, the build goes on
mkdir -p "$T/static"
printf 'FROM scratch as base\nCOPY a.txt /a.txt\nUSER 1000\n' >"$T/static/Dockerfile"
echo a >"$T/static/a.txt"
[ "$(build_log static)" = 0 ] || { cat "$T/static.log"; fail "warnings must not fail the build"; }
grep -q "^WARNING: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)$" \
  "$T/static.log" || { cat "$T/static.log"; fail "no FromAsCasing warning"; }
first=$(grep -n 'FromAsCasing' "$T/static.log" | cut -d: -f1)
step=$(grep -n '^#1 ' "$T/static.log" | head -1 | cut -d: -f1)
[ "$first" -lt "$step" ] || fail "the lint warnings must come before the first step"
check_layout "$T/out-static"
ok "kiln build prints the static lint warnings before the steps and builds"

# 2. --strict, error=true: exit 1 before any step runs, no output
rm -rf "$T/out-static"
[ "$(build_log static --strict)" = 1 ] || { cat "$T/static.log"; fail "--strict must fail"; }
grep -q 'Dockerfile:1: lint violation found for rules: FromAsCasing' "$T/static.log" ||
  { cat "$T/static.log"; fail "no lint violation error"; }
! grep -q '^#1 ' "$T/static.log" || fail "--strict ran a step"
[ ! -e "$T/out-static" ] || fail "--strict wrote an output"
mkdir -p "$T/errtrue"
printf '# check=error=true\nFROM scratch as base\nUSER 1000\n' >"$T/errtrue/Dockerfile"
[ "$(build_log errtrue)" = 1 ] || fail "error=true must fail the build"
grep -q 'lint violation found for rules: FromAsCasing' "$T/errtrue.log" || fail "error=true message"
[ ! -e "$T/out-errtrue" ] || fail "a failed lint wrote an output"
[ "$(build_log errtrue --build-arg BUILDKIT_DOCKERFILE_CHECK=skip=all)" = 0 ] ||
  { cat "$T/errtrue.log"; fail "BUILDKIT_DOCKERFILE_CHECK=skip=all"; }
! grep -q 'not consumed' "$T/errtrue.log" || fail "BUILDKIT_DOCKERFILE_CHECK reported as unused"
ok "--strict and check=error=true fail before any step (exit 1); BUILDKIT_DOCKERFILE_CHECK overrides"

# 3. a credential in a build argument fails the build and is not printed
mkdir -p "$T/argsecret"
printf 'FROM scratch\nARG DEPLOY\nUSER 1000\n' >"$T/argsecret/Dockerfile"
tok=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8
[ "$(build_log argsecret --build-arg DEPLOY=$tok)" = 1 ] || fail "a token in --build-arg must fail"
grep -q 'SecretValueInArgOrEnv: Build argument "DEPLOY" holds what looks like a GitHub personal access token (ghp_\*\*\*\*, 40 characters)' \
  "$T/argsecret.log" || { cat "$T/argsecret.log"; fail "no SecretValueInArgOrEnv"; }
! grep -qF "$tok" "$T/argsecret.log" "$T/argsecret.out" || fail "the token was printed"
ok "a credential in --build-arg fails the build (SecretValueInArgOrEnv is an error) and is masked"

# 4. the final image: setuid files and credential files, with their .dockerignore lines
c=$T/img
mkdir -p "$c/bin" "$c/config" "$c/home/.docker" "$c/keys" "$c/docs"
printf '#!/bin/sh\n' >"$c/bin/tool" && chmod 4755 "$c/bin/tool"
printf '#!/bin/sh\n' >"$c/bin/grouptool" && chmod 2755 "$c/bin/grouptool"
printf '#!/bin/sh\n' >"$c/bin/plain" && chmod 0755 "$c/bin/plain"
printf 'DB_PASSWORD=hunter2\n' >"$c/config/.env"
printf 'EXAMPLE=1\n' >"$c/config/.env.example"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n-----END OPENSSH PRIVATE KEY-----\n' >"$c/keys/id_ed25519"
printf -- '-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n' >"$c/keys/server.pem"
printf -- '-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n' >"$c/keys/ca.pem"
printf '//registry.npmjs.org/:_authToken=npm_xxx\n' >"$c/home/.npmrc"
printf 'registry=https://registry.npmjs.org/\n' >"$c/docs/.npmrc"
printf '[pypi]\nusername = __token__\npassword = pypi-xxx\n' >"$c/home/.pypirc"
printf 'https://user:pass@example.com\n' >"$c/home/.git-credentials"
printf '{"auths":{"example.com":{"auth":"dXNlcjpwYXNz"}}}\n' >"$c/home/.docker/config.json"
cat >"$c/Dockerfile" <<'EOF'
FROM scratch
COPY bin /usr/local/bin/
WORKDIR /app
COPY config/ ./config/
COPY keys /keys
COPY home /root
COPY docs /docs
USER 1000
EOF
[ "$(build_log img)" = 0 ] || { cat "$T/img.log"; fail "image rules are warnings"; }
expect_line() {
  grep -qF -- "$1" "$T/img.log" || { cat "$T/img.log" >&2; fail "missing: $1"; }
}
expect_line "WARNING: SetuidFilesInImage: /usr/local/bin/tool is setuid (mode 4755"
expect_line "it came from the build context ('bin/tool'): the .dockerignore line 'bin/tool' would exclude it (line 2)"
expect_line "WARNING: SetuidFilesInImage: /usr/local/bin/grouptool is setgid (mode 2755"
expect_line "WARNING: SecretLikeFileInImage: /app/config/.env is an environment file (.env files hold credentials); it came from the build context ('config/.env'): the .dockerignore line 'config/.env' would exclude it (line 4)"
expect_line "WARNING: SecretLikeFileInImage: /keys/id_ed25519 is an SSH private key; it came from the build context ('keys/id_ed25519')"
expect_line "WARNING: SecretLikeFileInImage: /keys/server.pem is a private key"
expect_line "WARNING: SecretLikeFileInImage: /root/.npmrc is an npm configuration with a registry token"
expect_line "WARNING: SecretLikeFileInImage: /root/.pypirc is a PyPI configuration with a password"
expect_line "WARNING: SecretLikeFileInImage: /root/.git-credentials is a Git credentials file"
expect_line "WARNING: SecretLikeFileInImage: /root/.docker/config.json is a Docker client configuration with registry credentials; it came from the build context ('home/.docker/config.json')"
for clean in /usr/local/bin/plain .env.example /keys/ca.pem /docs/.npmrc; do
  ! grep -F -- "$clean" "$T/img.log" | grep -q 'InImage' || fail "false positive: $clean"
done
[ "$(grep -c 'SetuidFilesInImage' "$T/img.log")" = 2 ] || fail "setuid count"
[ "$(grep -c 'SecretLikeFileInImage' "$T/img.log")" = 7 ] || fail "secret-like count"
check_layout "$T/out-img"
ok "SetuidFilesInImage and SecretLikeFileInImage name each file and the .dockerignore line"

# 5. the suggested lines work: with them in .dockerignore, nothing is reported
grep -o "the .dockerignore line '[^']*'" "$T/img.log" | sed "s/.*line '\(.*\)'/\1/" | sort -u >"$c/.dockerignore"
rm -rf "$T/out-img"
[ "$(build_log img)" = 0 ] || { cat "$T/img.log"; fail "rebuild"; }
! grep -q 'InImage' "$T/img.log" || { cat "$T/img.log"; fail "the suggested .dockerignore lines did not exclude the files"; }
ok "the suggested .dockerignore lines keep the files out of the image"

# 6. --strict fails on the image rules before the export; check=skip turns a rule off
rm "$c/.dockerignore"
rm -rf "$T/out-img"
[ "$(build_log img --strict)" = 1 ] || fail "--strict with image findings must fail"
grep -q 'lint violation found for rules: .*SetuidFilesInImage' "$T/img.log" || fail "strict message (setuid)"
grep -q 'lint violation found for rules: .*SecretLikeFileInImage' "$T/img.log" || fail "strict message (secret)"
[ ! -e "$T/out-img" ] || fail "an output was written by a build that failed its lint"
sed -i '1i # check=skip=SetuidFilesInImage,SecretLikeFileInImage' "$c/Dockerfile"
[ "$(build_log img --strict)" = 0 ] || { cat "$T/img.log"; fail "skipped rules must not fail --strict"; }
! grep -q 'InImage' "$T/img.log" || fail "skipped rules reported"
ok "--strict fails on image findings without writing an output; check=skip turns them off"

# 7. InvalidBaseImagePlatform: a base image (named context) built for another platform
mkdir -p "$T/arm" "$T/plat"
python3 - "$T/arm" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
os.makedirs(d + "/blobs/sha256", exist_ok=True)
def blob(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
cfg = blob(json.dumps({"architecture": "arm64", "os": "linux", "config": {"User": "1000"},
                       "rootfs": {"type": "layers", "diff_ids": []}}).encode())
man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
                       "layers": []}).encode())
json.dump({"schemaVersion": 2, "manifests": [dict(man, mediaType="application/vnd.oci.image.manifest.v1+json",
           annotations={"org.opencontainers.image.ref.name": "1"})]}, open(d + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(d + "/oci-layout", "w"))
PY
printf 'FROM base\nUSER 1000\n' >"$T/plat/Dockerfile"
[ "$(build_log plat --build-context "base=oci-layout://$T/arm:1")" = 0 ] || { cat "$T/plat.log"; fail "platform build"; }
grep -q 'WARNING: InvalidBaseImagePlatform: Base image base was pulled with platform "linux/arm64", expected "linux/amd64" for current build (line 1)' \
  "$T/plat.log" || { cat "$T/plat.log"; fail "no InvalidBaseImagePlatform"; }
! grep -q 'BaseImageNotPinned' "$T/plat.log" || fail "a named context is not an image to pin"
ok "InvalidBaseImagePlatform once the base image is resolved"
