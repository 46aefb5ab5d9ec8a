#!/usr/bin/env bash
# The test library itself (lib/common.sh, lib/make-debian-rootfs.sh) cannot let a test pass by
# accident: a sanitizer report from kiln fails the test even where kiln was expected to fail
# (shown with a stand-in for kiln built with ASan + UBSan that makes a real finding); a test
# that cannot run is reported as skipped (exit 77), never as passed; concurrent requests for
# the Debian tree run debootstrap once.
source "$(dirname "$0")/lib/common.sh"

command -v gcc >/dev/null || skip "gcc is not installed"
fake=$T/fake-kiln
gcc -O0 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  -o "$fake" "$KILN_SRC/testdata/testlib/fake-kiln.c" || fail "cannot build the fake kiln"

# sub NAME SCRIPT: runs SCRIPT as a test of its own (sourcing common.sh, KILN=the fake) and
# records its exit status in $T/NAME.rc and its output in $T/NAME.out. The output is masked
# (S@nitizer, runtime err@r) so that this test's own output and files hold no report.
sub() {
  local name=$1 rc=0
  mkdir -p "$T/tmp-$name"
  printf 'source "%s/tests/integration/lib/common.sh"\n%s\n' "$KILN_SRC" "$2" >"$T/$name.sh"
  env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LSAN_OPTIONS -u KILN_KEEP_TMP KILN="$fake" \
    TMPDIR="$T/tmp-$name" KILN_SKIP_LOG="$T/$name.skips" bash "$T/$name.sh" 2>&1 |
    sed -E 's/Sanitizer/S@nitizer/g; s/runtime error/runtime err@r/g' >"$T/$name.out" || rc=$?
  echo "$rc" >"$T/$name.rc"
  [ -z "$(ls -A "$T/tmp-$name")" ] || fail "$name: the sub-test left its temp dir: $(ls "$T/tmp-$name")"
}
want_rc() { # NAME CODE
  [ "$(cat "$T/$1.rc")" = "$2" ] || { cat "$T/$1.out"; fail "$1: exit $(cat "$T/$1.rc"), want $2"; }
}
want_out() { # NAME REGEX
  grep -Eq -- "$2" "$T/$1.out" || { cat "$T/$1.out"; fail "$1: no /$2/ in its output"; }
}

# the control: kiln fails as expected, cleanly: the test passes
sub clean 'expect_fail 1 "base image not found" "$KILN" build clean; ok "clean failure"'
want_rc clean 0
want_out clean '^ok 1 - clean failure$'
ok "a clean expected failure passes"

for mode in asan ubsan leak; do
  sub "expect-$mode" "expect_fail 1 'base image not found' \"\$KILN\" build $mode; ok 'passed'"
  want_rc "expect-$mode" 1
  want_out "expect-$mode" '^FAIL: '
  want_out "expect-$mode" 'S@nitizer|runtime err@r'
  grep -q '^ok 1 - passed' "$T/expect-$mode.out" && fail "expect-$mode: reached its ok"
done
ok "expect_fail 1 fails when kiln exits after a sanitizer report (ASan, UBSan, leak)"

for mode in asan leak; do
  sub "quiet-$mode" "\"\$KILN\" build $mode >/dev/null 2>&1 || true; ok 'passed'"
  want_rc "quiet-$mode" 1
  want_out "quiet-$mode" '^ok 1 - passed$'
  want_out "quiet-$mode" 'FAIL: sanitizer reports from kiln'
  want_out "quiet-$mode" "ERROR: (Address|Leak)S@nitizer"
done
ok "an ASan or leak report fails the test even when kiln's stderr and status were ignored"

sub logged-ubsan '"$KILN" build ubsan >"$T/build.log" 2>&1 || true; ok "passed"'
want_rc logged-ubsan 1
want_out logged-ubsan 'sanitizer report in build.log'
want_out logged-ubsan 'runtime err@r: signed integer overflow'
sub status-ubsan 'rc=0; "$KILN" build ubsan 2>/dev/null || rc=$?; echo "status $rc"'
want_out status-ubsan "^status $KILN_SAN_CODE\$"
ok "a UBSan report in a log the test wrote fails it; a discarded one still gives exit $KILN_SAN_CODE, no status of kiln's"

sub skipped 'skip "no frobnicator here"; ok "never"'
want_rc skipped "$KILN_SKIP_CODE"
want_out skipped '^SKIP: no frobnicator here$'
grep -q '^ok' "$T/skipped.out" && fail "a skipped test printed ok"
[ "$(cat "$T/skipped.skips")" = "skipped: SKIP: no frobnicator here" ] || fail "skip log: $(cat "$T/skipped.skips")"
sub partly 'skip_check "the frobnicator check" "no frobnicator"; ok "the rest"'
want_rc partly 0
want_out partly '^skipped check: the frobnicator check \(no frobnicator\)$'
[ "$(cat "$T/partly.skips")" = "partly: skipped check: the frobnicator check (no frobnicator)" ] ||
  fail "skip log: $(cat "$T/partly.skips")"
ok "skip exits $KILN_SKIP_CODE (ctest: skipped) and logs why; skip_check logs the skipped check"

# make-debian-rootfs.sh: two callers at once run debootstrap once, and both get the tree
cat >"$T/debootstrap" <<'SH'
#!/bin/sh
# a fake debootstrap: counts its runs, takes its time, leaves a dpkg database
echo run >>"$FAKE_COUNT"
sleep 2
mkdir -p "$3/var/lib/dpkg" && echo "Package: base-files" >"$3/var/lib/dpkg/status"
SH
chmod +x "$T/debootstrap"
for i in 1 2; do
  FAKE_COUNT=$T/count KILN_DEBOOTSTRAP=$T/debootstrap KILN_TEST_CACHE=$T/cache \
    "$KILN_SRC/tests/integration/lib/make-debian-rootfs.sh" "$T/deb$i" >"$T/deb$i.path" 2>"$T/deb$i.err" &
done
wait %1 || fail "make-debian-rootfs 1: $(cat "$T/deb1.err")"
wait %2 || fail "make-debian-rootfs 2: $(cat "$T/deb2.err")"
[ "$(wc -l <"$T/count")" = 1 ] || fail "debootstrap ran $(wc -l <"$T/count") times"
for i in 1 2; do
  [ "$(cat "$T/deb$i.path")" = "$T/deb$i" ] || fail "printed path: $(cat "$T/deb$i.path")"
  [ -s "$T/deb$i/var/lib/dpkg/status" ] || fail "deb$i has no tree"
done
FAKE_COUNT=$T/count KILN_DEBOOTSTRAP=$T/debootstrap KILN_TEST_CACHE=$T/cache \
  "$KILN_SRC/tests/integration/lib/make-debian-rootfs.sh" "$T/deb3" >/dev/null 2>&1 || fail "third call"
[ "$(wc -l <"$T/count")" = 1 ] || fail "a complete tree was made again"
ok "make-debian-rootfs.sh: concurrent callers share one debootstrap run, later ones reuse the tree"
