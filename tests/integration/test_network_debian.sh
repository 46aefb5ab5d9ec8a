#!/usr/bin/env bash
# ctest-labels: network
# RUN's default network with no flags at all, against the real Debian mirror (the one outside
# address this machine reaches): FROM a debootstrap minbase made by the test, `apt-get update`
# and `apt-get install` work and the installed program runs in a later step. Needs the mirror
# (label "network": ctest -L network).
source "$(dirname "$0")/lib/common.sh"

tree=$("$KILN_SRC/tests/integration/lib/make-debian-rootfs.sh") || fail "cannot make the Debian tree"
ctx=$(dirname "$(readlink -f "$tree")")
name=$(basename "$(readlink -f "$tree")")
cat >"$T/Dockerfile" <<DF
FROM scratch AS base
COPY $name/ /
FROM base
RUN getent hosts deb.debian.org
RUN apt-get update && apt-get install -y --no-install-recommends hello
RUN hello
USER nobody
DF
printf '%s/dev\n%s/proc\n%s/sys\n' "$name" "$name" "$name" >"$T/Dockerfile.dockerignore"
kbuild --progress plain -f "$T/Dockerfile" --output "type=oci,dest=$T/out,tar=false" "$ctx" >"$T/log" 2>&1 ||
  { tail -40 "$T/log"; fail "build with the default network"; }
grep -Eq '^#[0-9]+ [0-9a-f.:]+ +deb\.debian\.org' "$T/log" || { cat "$T/log"; fail "getent hosts deb.debian.org"; }
grep -Eq '^#[0-9]+ (Get|Hit):[0-9]+ http://deb\.debian\.org' "$T/log" || { cat "$T/log"; fail "apt-get update"; }
grep -Eq '^#[0-9]+ Hello, world!$' "$T/log" || { cat "$T/log"; fail "the installed program did not run"; }
ok "FROM a debootstrap minbase with no flags: DNS, apt-get update and install through the default network"
