#!/usr/bin/env bash
# Bad input gets a clear error naming the file and line, the right exit status, no crash, no
# output, and nothing half-written in the store.
source "$(dirname "$0")/lib/common.sh"

for dir in "$KILN_SRC"/testdata/errors/*/; do
  name=$(basename "$dir")
  code=$(sed -n 1p "$dir/expect")
  pattern=$(sed -n 2p "$dir/expect")
  expect_fail "$code" "$pattern" "$KILN" build --root "$ROOT" --progress quiet \
    --output "type=oci,dest=$T/out-$name,tar=false" "$dir"
  [ ! -e "$T/out-$name" ] || fail "$name: an output was written"
  grep -q "^kiln: " "$T/out.log" || fail "$name: the error is not reported as 'kiln: ...'"
  ok "bad input: $name"
done

# no half-written blob or temp file left in the store by any of them
[ -z "$(find "$ROOT/tmp" -mindepth 1 2>/dev/null)" ] || fail "temporary files left in the store"
ok "store has no temporary files after the failures"

# bad flags and options
ctx=$KILN_SRC/examples/hello
expect_fail 2 "unknown flag: --frobnicate" "$KILN" build --frobnicate "$ctx"
expect_fail 2 "requires exactly 1 argument" "$KILN" build
expect_fail 2 "invalid value 'x' for --build-context" "$KILN" build --build-context x "$ctx"
expect_fail 2 "dest is required for local exporter" "$KILN" build --output type=local "$ctx"
expect_fail 2 "--output: unknown field 'bogus'" "$KILN" build --output type=oci,dest=x,bogus=1 "$ctx"
expect_fail 2 "invalid value 'maybe' for --output: push is true or false" "$KILN" build --output type=image,push=maybe "$ctx"
expect_fail 2 "invalid value '=x' for --build-arg" "$KILN" build --build-arg =x "$ctx"
expect_fail 2 "invalid value 'soon' for --source-date-epoch" "$KILN" build --source-date-epoch soon "$ctx"
expect_fail 2 "invalid value 'fancy' for --progress" "$KILN" build --progress fancy "$ctx"
expect_fail 2 "invalid reference format" "$KILN" build --root "$ROOT" -t 'Bad:Name:x' "$ctx"
expect_fail 2 "secret 'kiln-missing': open 'kiln-missing': No such file" "$KILN" build --secret id=kiln-missing "$ctx"
expect_fail 2 "unknown command 'frob'" "$KILN" frob
SOURCE_DATE_EPOCH=-5 expect_fail 2 "SOURCE_DATE_EPOCH" "$KILN" build --root "$ROOT" "$ctx"
expect_fail 2 "failed to read Dockerfile" "$KILN" build --root "$ROOT" -f "$T/nope" "$ctx"
expect_fail 2 "build context '$T/nowhere'" "$KILN" build --root "$ROOT" -f "$ctx/Dockerfile" "$T/nowhere"
ok "bad flags: usage errors with exit status 2"

# the Dockerfile size limit
mkdir "$T/big"
{ echo "FROM scratch"; head -c 5000000 /dev/zero | tr '\0' '#'; } >"$T/big/Dockerfile"
expect_fail 2 "larger than" "$KILN" build --root "$ROOT" "$T/big"
ok "a Dockerfile over the size limit is refused"

# an existing destination: replaced only when it is an OCI layout (or empty); else refused
mkdir -p "$T/precious"
echo keep >"$T/precious/file"
expect_fail 2 "not an OCI layout; refusing to replace it" "$KILN" build --root "$ROOT" --progress quiet \
  --output "type=oci,dest=$T/precious,tar=false" "$ctx"
[ "$(cat "$T/precious/file")" = keep ] || fail "a user's directory was touched"
kbuild --output "type=oci,dest=$T/layout,tar=false" "$ctx" >/dev/null
kbuild --output "type=oci,dest=$T/layout,tar=false" --label x=y "$ctx" >/dev/null
check_layout "$T/layout"
[ -z "$(ls -d "$T"/layout.kiln-tmp-* 2>/dev/null)" ] || fail "temporary output left behind"
ok "an existing layout is replaced atomically; any other directory is left alone"

# a failing build leaves an existing output untouched
before=$(manifest_digest "$T/layout")
expect_fail 2 "not found" "$KILN" build --root "$ROOT" --progress quiet \
  --output "type=oci,dest=$T/layout,tar=false" "$KILN_SRC/testdata/errors/missing-file"
[ "$(manifest_digest "$T/layout")" = "$before" ] || fail "a failed build changed the output"
ok "a failed build leaves the previous output as it was"

# Dockerfile from stdin, no context
printf "FROM scratch\nENV A=1\n" | kbuild --allow-root-user - >/dev/null || fail "stdin Dockerfile"
printf 'FROM scratch\nCOPY a /\n' >"$T/df"
expect_fail 2 "no build context" "$KILN" build --root "$ROOT" - <"$T/df"
ok "kiln build - reads the Dockerfile from stdin, and COPY then has no context"
