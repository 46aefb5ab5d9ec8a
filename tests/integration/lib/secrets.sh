# Helpers for the secret and mount integration tests; source after lib/common.sh and
# lib/busybox.sh.
#
#   random_secret FILE      a fresh random token (32 characters) in FILE, no newline
#   secret_grep SECRET PATH...   fails the test when the secret (raw, hex, base64 at any
#                           alignment) is in a file under PATH (gzip and tar looked into)
#   no_output DIR           fails when DIR exists (a failed build must write nothing)
#   json_steps LOG          "cached|ran" lists of the RUN/COPY steps of a --progress=json log

random_secret() {
  head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$1"
}

secret_grep() {
  local s=$1
  shift
  python3 "$KILN_SRC/testdata/secrets/secret_grep.py" "$s" "$@" >"$T/grep.log" ||
    { cat "$T/grep.log" >&2; fail "the secret was found: $(head -3 "$T/grep.log")"; }
}

no_output() {
  [ ! -e "$1" ] || fail "a failed build wrote its output: $(ls "$1")"
}

json_steps() {
  progress_steps "$1" kinds
}
