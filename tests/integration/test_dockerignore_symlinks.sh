#!/usr/bin/env bash
# .dockerignore cannot be bypassed through symlinks (issue 13 item 3): an ignored path does not
# exist for COPY, ADD and bind mounts whatever route leads to it. Each attack runs through kiln
# build; afterwards neither the output nor the store holds the ignored files' bytes.
# BuildKit never transfers ignored files: a symlink copied as an entry stays a symlink, following
# one whose target is ignored fails.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"

ctx=$T/ctx
busybox_context "$ctx"
mkdir -p "$ctx/assets" "$ctx/.git" "$ctx/secretdir" "$ctx/partly"
echo "GITCONFIG-d41f0c" >"$ctx/.git/config"
echo "DOTENV-7b2e99" >"$ctx/.env"
echo "DIRTOKEN-55aa01" >"$ctx/secretdir/token"
echo "PARTLY-SECRET-3c3c" >"$ctx/partly/secret"
echo "kept-file" >"$ctx/partly/keep"
ln -s ../.git/config "$ctx/assets/x.json"
ln -s ../.env "$ctx/assets/env"
ln -s /.env "$ctx/assets/absenv"
ln -s ../secretdir "$ctx/assets/dirlink"
ln -s ../.git "$ctx/assets/gitdir"
ln -s ../partly "$ctx/assets/partlink"
ln -s x.json "$ctx/assets/chain"
printf '.git\n.env\nsecretdir\npartly\n!partly/keep\n' >"$ctx/.dockerignore"
secrets=(GITCONFIG-d41f0c DOTENV-7b2e99 DIRTOKEN-55aa01 PARTLY-SECRET-3c3c)

# no_secret_anywhere: the store and the outputs (blobs decompressed) hold none of the secrets
no_secret_anywhere() {
  local s f
  for s in "${secrets[@]}"; do
    if grep -rqa -- "$s" "$ROOT" "$T"/out* 2>/dev/null; then fail "$s found: $(grep -rla -- "$s" "$ROOT" "$T"/out* | head -3)"; fi
    for f in "$ROOT"/blobs/sha256/* "$T"/out*/blobs/sha256/*; do
      [ -f "$f" ] || continue
      if gzip -dc "$f" 2>/dev/null | grep -qa -- "$s"; then fail "$s found in the blob $f"; fi
    done
  done
}

attack() { # attack INSTRUCTION PATTERN [CODE]: the build must fail (exit CODE, 2 by default: a
  # missing source is bad input; a failed RUN is 1) with PATTERN
  { busybox_dockerfile; printf 'FROM base\n%s\nUSER app\n' "$1"; } >"$ctx/Dockerfile"
  expect_fail "${3:-2}" "$2" "$KILN" build --root "$ROOT" --progress plain \
    --output "type=oci,dest=$T/out-fail,tar=false" "$ctx"
}

attack "COPY assets/x.json /leak" '"/assets/x.json": not found'
attack "COPY assets/env /leak" '"/assets/env": not found'
attack "COPY assets/absenv /leak" '"/assets/absenv": not found'
attack "COPY assets/chain /leak" '"/assets/chain": not found'
attack "ADD assets/x.json /leak" 'ADD: "/assets/x.json": not found'
attack "COPY assets/*.json /leak/" '"/assets/x.json"'
ok "COPY/ADD of a symlink to an ignored file (relative, absolute, a chain, a wildcard) fails"

attack "COPY assets/dirlink/token /leak" '"/assets/dirlink/token": not found'
attack "COPY assets/gitdir/config /leak" '"/assets/gitdir/config": not found'
attack "COPY assets/dirlink /leak" '"/assets/dirlink": not found'
attack "COPY assets/dirlink/* /leak/" 'not found'
attack "COPY assets/partlink/secret /leak" '"/assets/partlink/secret": not found'
ok "a path through a link to an ignored directory fails, for the directory and what is in it"

attack "RUN --mount=type=bind,source=assets/x.json,target=/x cat /x" 'mount source "/assets/x.json": not found'
attack "RUN --mount=type=bind,source=assets/dirlink,target=/x ls /x" 'mount source "/assets/dirlink": not found'
attack "RUN --mount=type=bind,source=assets/gitdir/config,target=/x cat /x" 'not found'
attack "RUN --mount=type=bind,target=/src cat /src/assets/x.json /src/assets/partlink/secret" 'exit code 1' 1
attack "RUN --mount=type=bind,source=assets,target=/src cat /src/x.json" 'exit code 1' 1
ok "bind mounts: a symlink source to an ignored path fails; links inside a mounted tree lead nowhere"
no_secret_anywhere
ok "after the failed builds neither the store nor an output holds an ignored file"

# What BuildKit allows: links copied as links; an exception re-included below an ignored dir.
{
  busybox_dockerfile
  printf 'FROM base\nCOPY assets/ /e/\nCOPY assets/partlink/keep /keep\nCOPY . /all/\n'
  printf 'RUN --mount=type=bind,source=assets/partlink,target=/p cat /p/keep >/keep2\nUSER app\n'
} >"$ctx/Dockerfile"
kbuild -t ok:1 --output "type=oci,dest=$T/out,tar=false" "$ctx" >/dev/null 2>"$T/ok.log" ||
  { cat "$T/ok.log"; fail "the allowed copies"; }
unpack_tree "$T/out" 1 "$T/u" >"$T/tree"
grep -qx "e/x.json symlink 777 0:0 -> ../.git/config" "$T/tree" || { cat "$T/tree"; fail "a link in a copied directory is not kept as a link"; }
[ "$(cat "$T/u/rootfs/keep")" = kept-file ] || fail "an exception below an ignored directory"
[ "$(cat "$T/u/rootfs/keep2")" = kept-file ] || fail "the exception through a bind mount"
! grep -q "^all/\.git\|^all/\.env\|^all/secretdir\|^all/partly/secret" "$T/tree" || fail "COPY . copied ignored files"
grep -q "^all/partly/keep file" "$T/tree" || fail "COPY . lost an exception"
no_secret_anywhere
ok "links inside a copied directory stay links, exceptions still work, and no ignored byte is stored"
