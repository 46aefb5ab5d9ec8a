#!/usr/bin/env bash
# kiln lint: the testdata/lint table through the real binary (JSON), BuildKit's text format,
# exit statuses, stdin, .dockerignore from CONTEXT, secrets masked in every format, and SARIF
# 2.1.0 output checked against what GitHub code scanning requires (no network for the
# official schema: the required keys and types are checked one by one).
source "$(dirname "$0")/lib/common.sh"

CASES=$KILN_SRC/testdata/lint
DIGEST=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

# lint_case DIR FORMAT: kiln lint on a testdata case with its args file; prints the output,
# the exit status on the last line.
lint_case() {
  local dir=$1 format=$2 args=()
  if [ -f "$dir/args" ]; then
    while IFS= read -r a; do
      case "$a" in
        --strict | --target=* | --platform=*) args+=("$a") ;;
        --context=*) ;;
        *) args+=(--build-arg "$a") ;;
      esac
    done <"$dir/args"
  fi
  local rc=0
  "$KILN" lint --format "$format" "${args[@]}" "$dir" || rc=$?
  echo "$rc"
}

# 1. every case of the table, through the binary: the JSON findings are exactly the expected
#    ones (rule and line), and the exit status follows the levels.
n=0
for dir in "$CASES"/*/; do
  dir=${dir%/}
  grep -q -- '--context=' "$dir/args" 2>/dev/null && continue # named contexts: unit test only
  lint_case "$dir" json >"$T/case.out" 2>"$T/case.err" || true
  ! grep -qE 'Sanitizer|runtime error' "$T/case.err" || { cat "$T/case.err" >&2; fail "sanitizer"; }
  python3 - "$dir/expect" "$T/case.out" <<'EOF' || { cat "$T/case.err" >&2; fail "case $(basename "$dir")"; }
import json, sys
expect_path, out_path = sys.argv[1], sys.argv[2]
lines = open(out_path).read().splitlines()
status = int(lines[-1])
doc = json.loads("\n".join(lines[:-1]))
got = sorted((f["rule"], f["line"]) for f in doc["findings"])
want, errors = [], None
for line in open(expect_path):
    line = line.strip()
    if not line or line.startswith("#") or line.startswith("!"):
        continue
    if line.startswith("@errors"):
        errors = int(line.split()[1])
        continue
    rule, ln = line.split()[:2]
    want.append((rule, int(ln)))
want.sort()
if got != want:
    sys.exit(f"{expect_path}: got {got}, want {want}")
if errors is not None and doc["errors"] != errors:
    sys.exit(f"{expect_path}: {doc['errors']} errors, want {errors}")
if status != (1 if doc["errors"] else 0):
    sys.exit(f"{expect_path}: exit {status} with {doc['errors']} errors")
EOF
  n=$((n + 1))
done
[ "$n" -gt 50 ] || fail "only $n cases ran"
ok "the $n cases of testdata/lint give exactly their findings through kiln lint --format json"

# 2. BuildKit's text format, and warnings exit 0
mkdir -p "$T/casing"
printf 'FROM alpine:3.20@%s as build\nUSER 1000\n' "$DIGEST" >"$T/casing/Dockerfile"
"$KILN" lint "$T/casing" >"$T/text.out" || fail "warnings only must exit 0"
head -2 "$T/text.out" >"$T/head.out"
cat >"$T/head.want" <<'EOF'
WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/
'as' and 'FROM' keywords' casing do not match (line 1)
EOF
diff -u "$T/head.want" "$T/head.out" || fail "text format differs from BuildKit's"
grep -q "^   1 | >>> FROM alpine:3.20@$DIGEST as build$" "$T/text.out" || fail "no source excerpt"
grep -q '^Fix: ' "$T/text.out" || fail "no fix line"
grep -q '^Check complete, 1 warning has been found!$' "$T/text.out" || fail "no summary"
ok "text output: BuildKit's 'WARNING: Rule - URL' and '(line N)' lines, excerpt, fix, summary"

# 3. exit statuses: error=true and --strict give 1; bad input and usage give 2
printf '# check=error=true\nFROM alpine:3.20@%s as build\nUSER 1000\n' "$DIGEST" >"$T/casing/Dockerfile.err"
expect_fail 1 '^ERROR: FromAsCasing - ' "$KILN" lint -f "$T/casing/Dockerfile.err" "$T/casing"
expect_fail 1 '^ERROR: FromAsCasing - ' "$KILN" lint --strict "$T/casing"
"$KILN" lint --build-arg BUILDKIT_DOCKERFILE_CHECK=skip=all -f "$T/casing/Dockerfile.err" "$T/casing" \
  >"$T/skip.out" || fail "BUILDKIT_DOCKERFILE_CHECK=skip=all must replace error=true"
grep -q '^Check complete, no warnings found.$' "$T/skip.out" || fail "skip=all still reports"
printf 'FROM alpine\nFROBNICATE x\n' >"$T/casing/Dockerfile.bad"
expect_fail 2 'unknown instruction: FROBNICATE' "$KILN" lint -f "$T/casing/Dockerfile.bad"
printf '# check=error=maybe\nFROM alpine\n' >"$T/casing/Dockerfile.opt"
expect_fail 2 'failed to parse check options' "$KILN" lint -f "$T/casing/Dockerfile.opt"
expect_fail 2 'unknown flag' "$KILN" lint --frobnicate
expect_fail 2 'invalid value' "$KILN" lint --format xml "$T/casing"
expect_fail 2 'failed to read Dockerfile' "$KILN" lint "$T/nowhere"
expect_fail 2 'at most 1 argument' "$KILN" lint a b
ok "exit 1 for error=true and --strict, 0 with BUILDKIT_DOCKERFILE_CHECK=skip=all, 2 for bad input or usage"

# 4. stdin, and the context's .dockerignore
printf 'from alpine:3.20@%s\nUSER 1000\nCOPY . .\n' "$DIGEST" |
  "$KILN" lint -f - >"$T/stdin.out" || fail "stdin"
grep -q '^WARNING: ConsistentInstructionCasing - ' "$T/stdin.out" || fail "stdin not linted"
grep -q '^Dockerfile:1$' "$T/stdin.out" || fail "stdin is called Dockerfile"
mkdir -p "$T/ign"
printf 'FROM alpine:3.20@%s\nCOPY secret.txt /\nUSER 1000\n' "$DIGEST" >"$T/ign/Dockerfile"
printf 'secret.txt\n' >"$T/ign/.dockerignore"
"$KILN" lint "$T/ign" >"$T/ign.out" || fail "ignore case"
grep -q 'Attempting to Copy file "secret.txt" that is excluded by .dockerignore (line 2)' "$T/ign.out" ||
  fail "CopyIgnoredFile not reported from CONTEXT/.dockerignore"
printf 'other.txt\n' >"$T/ign/Dockerfile.dockerignore"
"$KILN" lint -f "$T/ign/Dockerfile" "$T/ign" >"$T/ign2.out" || fail "ignore case 2"
! grep -q CopyIgnoredFile "$T/ign2.out" || fail "<Dockerfile>.dockerignore must win over .dockerignore"
printf 'FROM base\nUSER 1000\n' | "$KILN" lint -f - --build-context base=oci-layout://x >"$T/ctx.out" ||
  fail "named context"
grep -q '^Check complete, no warnings found.$' "$T/ctx.out" || fail "FROM <named context> is not an image"
ok "kiln lint -f - reads stdin; .dockerignore from CONTEXT (and <Dockerfile>.dockerignore first); --build-context"

# 5. secrets are never printed in full, in any format
secret_dir=$CASES/kiln-secret-values
for fmt in text json sarif; do
  lint_case "$secret_dir" "$fmt" >"$T/secret.$fmt" 2>&1
  [ "$(tail -1 "$T/secret.$fmt")" = 1 ] || fail "secret values must exit 1 ($fmt)"
  for tok in AKIAIOSFODNN7EXAMPLE ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 glpat-abcdefghij0123456789 \
    xoxb-1234567890-abcdefghij sk_live_0123456789abcdefABCDEF pypi-AgEIcHlwaS5vcmc eyJhbGciOiJIUzI1NiJ9 \
    b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ; do
    ! grep -qF -- "$tok" "$T/secret.$fmt" || fail "$fmt output shows a secret: $tok"
  done
done
grep -q 'AKIA\*\*\*\*, 20 characters' "$T/secret.text" || fail "no masked form"
ok "SecretValueInArgOrEnv masks the values in text, JSON and SARIF"

# 6. SARIF: the structure GitHub code scanning accepts, for every case of the table
cat >"$T/sarif_check.py" <<'EOF'
import json, re, sys
LEVELS = {"none", "note", "warning", "error"}
ABS_URI = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s]+$")
def need(cond, what):
    if not cond:
        sys.exit(f"{sys.argv[1]}: {what}")
def text(obj, key):
    need(isinstance(obj, dict) and isinstance(obj.get(key), str) and obj[key], f"{key} must be a non-empty string")
doc = json.loads(open(sys.argv[1]).read())
need(doc.get("version") == "2.1.0", "version 2.1.0")
need(isinstance(doc.get("$schema"), str) and ABS_URI.match(doc["$schema"]), "$schema URI")
runs = doc.get("runs")
need(isinstance(runs, list) and 1 <= len(runs) <= 20, "runs: 1 to 20")
for run in runs:
    driver = run.get("tool", {}).get("driver")
    need(isinstance(driver, dict), "runs[].tool.driver")
    text(driver, "name")
    need(ABS_URI.match(driver.get("informationUri", "")), "driver.informationUri")
    rules = driver.get("rules")
    need(isinstance(rules, list) and 0 < len(rules) <= 25000, "driver.rules")
    ids = []
    for r in rules:
        text(r, "id")
        ids.append(r["id"])
        text(r.get("shortDescription"), "text")
        need(len(r["shortDescription"]["text"]) <= 1024, "shortDescription <= 1024")
        text(r.get("fullDescription"), "text")
        text(r.get("help"), "text")
        need(ABS_URI.match(r.get("helpUri", "")), f"rule {r['id']}: helpUri")
        need(r.get("defaultConfiguration", {}).get("level") in LEVELS, f"rule {r['id']}: level")
        tags = r.get("properties", {}).get("tags", [])
        need(isinstance(tags, list) and len(tags) <= 20 and all(isinstance(t, str) for t in tags), "tags")
    need(len(set(ids)) == len(ids), "rule ids unique")
    need(len(ids) == 36, f"{len(ids)} rules, want 36")
    results = run.get("results")
    need(isinstance(results, list) and len(results) <= 25000, "results")
    for res in results:
        text(res, "ruleId")
        need(res["ruleId"] in ids, f"ruleId {res['ruleId']} is a rule")
        need(isinstance(res.get("ruleIndex"), int) and ids[res["ruleIndex"]] == res["ruleId"], "ruleIndex")
        need(res.get("level") in LEVELS, "result level")
        text(res.get("message"), "text")
        locs = res.get("locations")
        need(isinstance(locs, list) and 1 <= len(locs) <= 10, "locations: 1 to 10")
        for loc in locs:
            pl = loc.get("physicalLocation", {})
            uri = pl.get("artifactLocation", {}).get("uri")
            need(isinstance(uri, str) and uri and not ABS_URI.match(uri) and " " not in uri, "relative artifact uri")
            reg = pl.get("region", {})
            need(isinstance(reg.get("startLine"), int) and reg["startLine"] >= 1, "region.startLine >= 1")
            need(isinstance(reg.get("endLine"), int) and reg["endLine"] >= reg["startLine"], "region.endLine")
print(len(runs[0]["results"]))
EOF
total=0
for dir in "$CASES"/*/; do
  dir=${dir%/}
  grep -q -- '--context=' "$dir/args" 2>/dev/null && continue
  lint_case "$dir" sarif | sed '$d' >"$T/out.sarif"
  c=$(python3 "$T/sarif_check.py" "$T/out.sarif") || fail "SARIF of $(basename "$dir")"
  total=$((total + c))
done
[ "$total" -gt 50 ] || fail "only $total SARIF results"
printf 'FROM alpine\n' >"$T/with space.Dockerfile"
(cd "$T" && "$KILN" lint --format sarif -f "with space.Dockerfile" .) >"$T/space.sarif" ||
  fail "kiln lint of 'with space.Dockerfile' (warnings only) must exit 0"
python3 "$T/sarif_check.py" "$T/space.sarif" >/dev/null || fail "SARIF with a space in the file name"
grep -q '"uri": "with%20space.Dockerfile"' "$T/space.sarif" || fail "artifact uri not percent-encoded"
ok "SARIF 2.1.0 has every key GitHub code scanning requires ($total results over the table)"
