#!/usr/bin/env bash
# kiln build --check (docker build --check: the checks only, no build, exit 1 only when a check
# is an error), BuildKit's "# check=error=true" makes BuildKit's checks errors and never kiln's
# own rules (those follow --strict), and BuildKit's predefined BUILDKIT_* build arguments.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

busybox_context "$T/ctx"

# 1. --check: BuildKit's output on stdout, nothing built
{ busybox_dockerfile; printf 'FROM base as final\nRUN touch /x\nCMD echo hi\nUSER app\n'; } >"$T/ctx/Dockerfile"
"$KILN" build --root "$ROOT" --check -o "$T/never" "$T/ctx" >"$T/check.out" 2>"$T/check.err" ||
  { cat "$T/check.err"; fail "--check with warnings must exit 0"; }
grep -q "^WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/$" "$T/check.out" ||
  fail "no FromAsCasing: $(cat "$T/check.out")"
grep -q '^WARNING: JSONArgsRecommended' "$T/check.out" || fail "no JSONArgsRecommended"
grep -q '^Check complete, [0-9]* warnings have been found!$' "$T/check.out" || fail "no summary"
[ ! -e "$T/never" ] && [ ! -d "$ROOT/snapshots" -o -z "$(ls -A "$ROOT/snapshots" 2>/dev/null)" ] ||
  fail "--check built something"
ok "--check prints BuildKit's check output, builds nothing and exits 0 on warnings"

{ busybox_dockerfile; printf 'FROM base\nUSER app\n'; } >"$T/ctx/Dockerfile.clean"
out=$("$KILN" build --root "$ROOT" --check -f "$T/ctx/Dockerfile.clean" "$T/ctx")
[ "$out" = "Check complete, no warnings found." ] || fail "clean --check: $out"
{ printf '# check=error=true\n'; cat "$T/ctx/Dockerfile"; } >"$T/ctx/Dockerfile.err"
expect_fail 1 "lint violation found for rules: .*FromAsCasing" "$KILN" build --root "$ROOT" --check -f "$T/ctx/Dockerfile.err" "$T/ctx"
grep -q '^ERROR: FromAsCasing' "$T/out.log" || fail "the error is not shown"
expect_fail 1 "lint violation found for rules:" "$KILN" build --root "$ROOT" --check --strict "$T/ctx"
printf 'FROM scratch\nFROBNICATE\n' >"$T/ctx/Dockerfile.bad"
expect_fail 2 "unknown instruction: FROBNICATE" "$KILN" build --root "$ROOT" --check -f "$T/ctx/Dockerfile.bad" "$T/ctx"
out=$("$KILN" build --root "$ROOT" --check -f "$T/ctx/Dockerfile.err" --build-arg BUILDKIT_DOCKERFILE_CHECK=skip=all "$T/ctx")
[ "$out" = "Check complete, no warnings found." ] || fail "BUILDKIT_DOCKERFILE_CHECK with --check: $out"
ok "--check: no warnings, error=true, --strict (exit 1), a bad Dockerfile (exit 2), BUILDKIT_DOCKERFILE_CHECK"

# 2. error=true is BuildKit's: kiln's own rules stay warnings, so this builds (as under BuildKit)
{ printf '# check=error=true\n'; busybox_dockerfile; printf 'FROM base\nRUN chmod 777 /tmp\nEXPOSE 22\nUSER app\n'; } \
  >"$T/ctx/Dockerfile.kiln"
kbuild --progress plain -f "$T/ctx/Dockerfile.kiln" -o "$T/kiln-out" "$T/ctx" 2>"$T/kiln.log" >/dev/null ||
  { cat "$T/kiln.log"; fail "error=true made kiln's own rules errors"; }
grep -q 'WARNING: ExposeSsh' "$T/kiln.log" || fail "kiln's rule did not warn"
expect_fail 1 "lint violation found for rules: .*ExposeSsh" "$KILN" build --root "$ROOT" --strict -f "$T/ctx/Dockerfile.kiln" "$T/ctx"
"$KILN" lint -f "$T/ctx/Dockerfile.kiln" "$T/ctx" >/dev/null || fail "kiln lint: error=true made kiln's rule an error"
ok "check=error=true fails on BuildKit's checks only; kiln's rules warn (errors with --strict)"

# 3. BUILDKIT_* build arguments
{ busybox_dockerfile; printf 'FROM base\nRUN --mount=type=cache,target=/c,id=shared sh -c "ls /c > /seen; touch /c/$(hostname)"\nUSER app\n'; } \
  >"$T/ctx/Dockerfile.args"
kbuild --progress plain -f "$T/ctx/Dockerfile.args" --build-arg BUILDKIT_SANDBOX_HOSTNAME=one \
  --build-arg BUILDKIT_CACHE_MOUNT_NS=ns1 --build-arg BUILDKIT_INLINE_CACHE=1 --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1 \
  -o "$T/a1" "$T/ctx" 2>"$T/args.log" >/dev/null || { cat "$T/args.log"; fail "build with BUILDKIT_* args"; }
grep -q 'build-arg BUILDKIT_INLINE_CACHE is ignored: kiln writes no inline cache' "$T/args.log" || fail "no INLINE_CACHE warning"
grep -q 'build-arg BUILDKIT_SYNTAX is ignored' "$T/args.log" || fail "no SYNTAX warning"
! grep -q 'not consumed' "$T/args.log" || fail "a BUILDKIT_* arg was reported as unused: $(grep 'not consumed' "$T/args.log")"
kbuild -f "$T/ctx/Dockerfile.args" --build-arg BUILDKIT_SANDBOX_HOSTNAME=two --build-arg BUILDKIT_CACHE_MOUNT_NS=ns1 \
  -o "$T/a2" "$T/ctx" >/dev/null 2>&1
[ "$(cat "$T/a2/seen")" = one ] || fail "same namespace: the cache mount was not shared ($(cat "$T/a2/seen"))"
kbuild -f "$T/ctx/Dockerfile.args" --build-arg BUILDKIT_SANDBOX_HOSTNAME=three --build-arg BUILDKIT_CACHE_MOUNT_NS=ns2 \
  -o "$T/a3" "$T/ctx" >/dev/null 2>&1
[ ! -s "$T/a3/seen" ] || fail "another namespace saw the cache: $(cat "$T/a3/seen")"
ok "BUILDKIT_SANDBOX_HOSTNAME and BUILDKIT_CACHE_MOUNT_NS are used; INLINE_CACHE and SYNTAX are ignored with a warning"
