#!/usr/bin/env bash
# Realistic Dockerfile 1: apt tools with ca-certificates and locales, as most images start
# (apt-get update + install --no-install-recommends + clean lists, a generated locale, a user).
# Built with kiln's defaults FROM a debootstrap base, then run without kiln.
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

mkdir -p "$T/apt"
cat >"$T/apt/Dockerfile" <<'DF'
FROM debian:bookworm
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates locales \
 && rm -rf /var/lib/apt/lists/*
RUN sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen && locale-gen
ENV LANG=en_US.UTF-8
RUN useradd --create-home --uid 10001 app
USER app
CMD ["curl", "--version"]
DF
rw_build apt "$T/apt"
ok "apt-get update + install curl ca-certificates locales builds with kiln's defaults"

rw_run apt >"$T/curl.out" 2>&1 || { cat "$T/curl.out"; fail "the image's CMD (curl --version)"; }
grep -q '^curl 7\.88' "$T/curl.out" || fail "curl --version: $(head -1 "$T/curl.out")"
grep -q '^Protocols:.* https' "$T/curl.out" || fail "curl has no https: $(cat "$T/curl.out")"
rw_out apt "10001 app" sh -c 'echo "$(id -u) $(id -un)"'
rw_out apt "install ok installed" dpkg-query -W -f '${Status}' curl
ok "the image runs curl as the user app"

n=$(rw_run apt grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt) || fail "no CA bundle"
[ "$n" -gt 100 ] || fail "the CA bundle holds $n certificates"
# a link with a non-ASCII name, as update-ca-certificates makes it
rw_out apt "ok" sh -c 'test -L "/etc/ssl/certs/NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem" && test -s "/etc/ssl/certs/NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem" && echo ok'
ok "ca-certificates: $n certificates, the non-ASCII links resolve"

rw_out apt "en_US.utf8" sh -c 'locale -a | grep -x en_US.utf8'
rw_out apt "UTF-8" locale charmap
got=$(rw_run apt sh -c 'LC_ALL=en_US.UTF-8 locale 2>&1 >/dev/null') || fail "locale"
[ -z "$got" ] || fail "the generated locale does not load: $got"
ok "the generated locale en_US.UTF-8 is there and is the image's charmap"

rw_run apt sh -c 'ls /var/lib/apt/lists' >"$T/lists" 2>&1 || fail "ls lists"
grep -q Packages "$T/lists" && fail "the apt lists were removed in the same RUN but are in the image"
ok "what the RUN removed is not in the image"
