#!/usr/bin/env bash
# Every SBOM kiln writes for the testdata/sbom fixtures and the Debian minbase tree passes the
# shared validators (SPDX 2.3 strict, CycloneDX 1.6), plain and wrapped in an in-toto
# statement; and the check itself fails when the validator fails.
#
# Env (set by ctest): KILN (the kiln binary: its directory is the build tree), KILN_SRC,
# KILN_SHARED. KILN_DEBIAN_ROOTFS: the Debian tree (default /var/tmp/kiln-debian-rootfs; made
# by tests/integration/lib/make-debian-rootfs.sh when missing).
# ctest-labels: network
source "$(dirname "$0")/lib/common.sh"
src=$KILN_SRC
build=$(dirname "$KILN")
validator=$KILN_SHARED/tools/validate-sbom.mjs
tmp=$T/sbom
mkdir "$tmp"
fail=0

command -v node >/dev/null || fail "node is required for the SBOM validators"
have_shared tools/validate-sbom.mjs || skip "no $validator (no ../shared next to the checkout)"
bench=$("$src/bench/sbom-bench-build.sh" "$build")

validate() { # MODE FILE: 0 valid, 1 invalid, 2 could not run (deps missing: run tools/setup)
  local rc=0
  node "$validator" "$1" "$2" >"$tmp/out" 2>&1 || rc=$?
  if [ $rc -eq 2 ]; then
    cat "$tmp/out"
    fail "the validator could not run: run $KILN_SHARED/tools/setup"
  fi
  [ $rc -eq 0 ] || sed 's/^/  /' "$tmp/out"
  return $rc
}

check_tree() { # NAME LAYER_DIR
  local out=$tmp/$1
  mkdir -p "$out"
  if ! "$bench" -n 1 -o "$out" "$2" >/dev/null 2>"$out/warnings"; then
    cat "$out/warnings"
    echo "FAIL: $1: sbom generation failed"
    fail=1
    return
  fi
  local f
  for f in sbom.spdx.json sbom.spdx.intoto.json; do
    validate spdx-strict "$out/$f" || { echo "FAIL: $1: $f"; fail=1; }
  done
  for f in sbom.cdx.json sbom.cdx.intoto.json; do
    validate cdx "$out/$f" || { echo "FAIL: $1: $f"; fail=1; }
  done
  echo "ok: $1"
}

for d in "$src"/testdata/sbom/*/rootfs; do
  check_tree "$(basename "$(dirname "$d")")" "$d"
done
rc=0
deb=$("$src/tests/integration/lib/make-debian-rootfs.sh" ${KILN_DEBIAN_ROOTFS:+"$KILN_DEBIAN_ROOTFS"}) || rc=$?
case $rc in
  0) check_tree debian "$deb" ;;
  77) skip_check "the Debian tree's SBOMs" "this machine cannot make the Debian tree" ;;
  *) fail "make-debian-rootfs.sh failed" ;;
esac

# The check must notice a broken document: drop documentNamespace, break a purl.
dirs=("$tmp"/*/)
first=${dirs[0]}
sed 's/"documentNamespace"/"documentNamespaceX"/' "$first/sbom.spdx.json" >"$tmp/broken.spdx.json"
sed 's/"purl": "pkg:/"purl": "PKG:/' "$first/sbom.cdx.json" >"$tmp/broken.cdx.json"
if validate spdx-strict "$tmp/broken.spdx.json" >/dev/null; then
  echo "FAIL: the validator accepted an SPDX document without documentNamespace"; fail=1
fi
if validate cdx "$tmp/broken.cdx.json" >/dev/null; then
  echo "FAIL: the validator accepted an uppercase purl scheme"; fail=1
fi
[ $fail -eq 0 ] || fail "some SBOMs are invalid (above)"
ok "all SBOMs valid; the validator rejects broken ones"
