#!/usr/bin/env bash
# One way in (builder/engine/input.h): kiln build, kiln lint and kiln parse read the same
# Dockerfile and the same .dockerignore: <Dockerfile>.dockerignore beats CONTEXT/.dockerignore
# (also for the default CONTEXT/Dockerfile), standard input works for all three, and a missing
# CONTEXT/Dockerfile falls back to CONTEXT/dockerfile, as BuildKit.
source "$(dirname "$0")/lib/common.sh"

mkdir -p "$T/ctx/sub"
echo s >"$T/ctx/secret.txt"
echo o >"$T/ctx/other.txt"
printf 'other.txt\n' >"$T/ctx/.dockerignore"

# lint_ignored DOCKERFILE-ARGS...: the lines of the CopyIgnoredFile findings, one per line
lint_ignored() {
  "$KILN" lint --format json "$@" >"$T/lint.json" || true
  python3 -c 'import json,sys; print("\n".join(str(f["line"]) for f in json.load(open(sys.argv[1]))["findings"] if f["rule"] == "CopyIgnoredFile"))' "$T/lint.json"
}

# 1. the default Dockerfile: CONTEXT/Dockerfile.dockerignore is the one read, by both
printf 'FROM scratch\nCOPY other.txt /o\nCOPY secret.txt /s\n' >"$T/ctx/Dockerfile"
printf 'secret.txt\n' >"$T/ctx/Dockerfile.dockerignore"
expect_fail 2 'Dockerfile:3: COPY: "/secret.txt": not found \(excluded by .dockerignore\)' \
  kbuild --allow-root-user "$T/ctx"
[ "$(lint_ignored "$T/ctx")" = 3 ] || { cat "$T/lint.json"; fail "lint did not judge line 3 alone"; }
ok "CONTEXT/Dockerfile.dockerignore beats CONTEXT/.dockerignore in build and lint alike"

# 2. -f sub/app.Dockerfile: sub/app.Dockerfile.dockerignore, else the context's
printf 'FROM scratch\nCOPY secret.txt /s\nCOPY other.txt /o\n' >"$T/ctx/sub/app.Dockerfile"
printf 'secret.txt\n' >"$T/ctx/sub/app.Dockerfile.dockerignore"
expect_fail 2 'app.Dockerfile:2: COPY: "/secret.txt": not found \(excluded by .dockerignore\)' \
  kbuild --allow-root-user -f "$T/ctx/sub/app.Dockerfile" "$T/ctx"
[ "$(lint_ignored -f "$T/ctx/sub/app.Dockerfile" "$T/ctx")" = 2 ] || { cat "$T/lint.json"; fail "lint -f: not line 2"; }
rm "$T/ctx/sub/app.Dockerfile.dockerignore"
expect_fail 2 'app.Dockerfile:3: COPY: "/other.txt": not found \(excluded by .dockerignore\)' \
  kbuild --allow-root-user -f "$T/ctx/sub/app.Dockerfile" "$T/ctx"
[ "$(lint_ignored -f "$T/ctx/sub/app.Dockerfile" "$T/ctx")" = 3 ] || { cat "$T/lint.json"; fail "lint -f: not line 3"; }
ok "-f PATH: PATH.dockerignore, else CONTEXT/.dockerignore, in build and lint alike"

# 3. standard input: no Dockerfile-specific file, the context's .dockerignore for both
df='FROM scratch\nCOPY other.txt /o\nCOPY secret.txt /s\n'
printf "$df" | expect_fail 2 'Dockerfile:2: COPY: "/other.txt": not found \(excluded by .dockerignore\)' \
  kbuild --allow-root-user -f - "$T/ctx"
[ "$(printf "$df" | lint_ignored -f - "$T/ctx")" = 2 ] || { cat "$T/lint.json"; fail "lint -f -: not line 2"; }
printf 'FROM scratch\nWORKDIR /app\n' | kbuild --allow-root-user -t in:1 --output "type=oci,dest=$T/o,tar=false" - >/dev/null ||
  fail "kiln build - (no context)"
check_layout "$T/o" 1
printf 'FROM scratch\nLABEL a=b\n' | "$KILN" parse -f - >"$T/parse.out" || fail "kiln parse -f -"
grep -q '^stage 0: FROM scratch' "$T/parse.out" || { cat "$T/parse.out"; fail "parse -f - output"; }
printf 'FROM scratch\nLABEL a=b\n' | "$KILN" lint -f - "$T/ctx" >/dev/null || fail "kiln lint -f -"
printf 'FROM scratch\nBOGUS x\n' | expect_fail 2 'Dockerfile:2: unknown instruction: BOGUS' "$KILN" parse -f -
ok "standard input for build (with and without a context), lint and parse"

# 4. CONTEXT/dockerfile when CONTEXT/Dockerfile is missing, for all three
mkdir -p "$T/lower"
printf 'FROM scratch\nLABEL lower=yes\n' >"$T/lower/dockerfile"
kbuild --allow-root-user -t low:1 --output "type=oci,dest=$T/o2,tar=false" "$T/lower" >/dev/null ||
  fail "build with a lowercase dockerfile"
(cd "$T/lower" && "$KILN" parse >"$T/parse2.out") || fail "parse with a lowercase dockerfile"
grep -q '^stage 0: FROM scratch' "$T/parse2.out" || fail "parse read something else"
"$KILN" lint "$T/lower" >/dev/null || fail "lint with a lowercase dockerfile"
expect_fail 2 'failed to read Dockerfile' "$KILN" lint "$T/nowhere"
expect_fail 2 'failed to read Dockerfile' "$KILN" parse -f "$T/nowhere"
ok "CONTEXT/dockerfile is the fallback; a missing Dockerfile is the same error everywhere"
