#!/usr/bin/env bash
# Realistic Dockerfile 4: a user, WORKDIR, COPY --chown and RUN as that user writing into the
# working directory (the `WORKDIR /app` + `COPY package.json ./` + `RUN npm ci` pattern), a
# COPY into an existing directory (/etc) followed by RUN, and the owners and modes the image
# ends up with.
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

mkdir -p "$T/users/src"
printf '{\n  "name": "web",\n  "version": "1.0.0"\n}\n' >"$T/users/package.json"
echo 'console.log("hi")' >"$T/users/src/index.js"
echo 'greeting=hello' >"$T/users/app.conf"
cat >"$T/users/Dockerfile" <<'DF'
FROM debian:bookworm
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid app --create-home app
# an existing directory: COPY into /etc, then RUN
COPY app.conf /etc/app/app.conf
RUN grep -q greeting=hello /etc/app/app.conf && echo "checked" > /etc/app/checked
WORKDIR /app
RUN chown app:app /app
COPY --chown=app:app package.json ./
USER app
# what `npm ci` does: write next to package.json, as the user
RUN mkdir node_modules \
 && sed -n 's/.*"name": "\(.*\)".*/\1/p' package.json > node_modules/.installed \
 && id -u > built-by
COPY --chown=app:app --chmod=0640 src/ ./src/
RUN cat src/index.js > copy-of-index.js
WORKDIR /home/app/data
RUN touch made-in-home
CMD ["cat", "/app/node_modules/.installed"]
DF
rw_build users "$T/users"
ok "useradd, COPY into /etc + RUN, WORKDIR + COPY --chown + RUN as the user build"

rw_out users "web"
rw_out users "10001 /home/app/data" sh -c 'echo "$(id -u) $(pwd)"'
rw_out users "10001" cat /app/built-by
rw_out users 'console.log("hi")' cat /app/copy-of-index.js
rw_out users "checked" cat /etc/app/checked
ok "the image runs as app in its WORKDIR; the RUN steps as app wrote into /app"

rw_unpack users
r=$T/users.bundle/rootfs
want() { # PATH "MODE UID:GID"
  local got
  got=$(stat -c '%a %u:%g' "$r/$1") || fail "/$1 is missing"
  [ "$got" = "$2" ] || fail "/$1: $got, want $2"
}
want app "755 10001:10001"
want app/package.json "644 10001:10001"
want app/node_modules "755 10001:10001"
want app/node_modules/.installed "644 10001:10001"
want app/src "755 10001:10001"
want app/src/index.js "640 10001:10001"
want etc "755 0:0"
want etc/app "755 0:0"
want etc/app/app.conf "644 0:0"
want home/app "755 10001:10001" # useradd -m on Debian 12 (UMASK 022, no HOME_MODE)
want home/app/data "755 10001:10001" # WORKDIR creates it as the USER, as BuildKit does
want home/app/data/made-in-home "644 10001:10001"
ok "owners and modes: COPY --chown/--chmod, RUN as the user, directories kiln created"

# useradd writes SOURCE_DATE_EPOCH's day as the last password change; day 0 would mean "change
# the password now" to PAM, and `su app` would refuse (the default epoch is not 0 for this)
lastchg=$(awk -F: '$1 == "app" {print $3}' "$r/etc/shadow")
[ -n "$lastchg" ] && [ "$lastchg" != 0 ] || fail "app's last password change is day '${lastchg}' in /etc/shadow"
ok "useradd under kiln's default epoch records a real day ($lastchg), not day 0"
