#!/usr/bin/env bash
# --help, the man page (kiln man, kiln.1) and the bash completion (kiln completion bash) come
# from the same option tables: every option of every command's --help is in both, and nothing
# else is; the man page renders without warnings; the completion completes commands, options,
# option values and stage names; the build installs both (cmake --install).
source "$(dirname "$0")/lib/common.sh"

"$KILN" man >"$T/kiln.1"
"$KILN" completion bash >"$T/kiln.bash"
bash -n "$T/kiln.bash" || fail "the completion script is not valid bash"

cmds=$("$KILN" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }')
[ "$(echo "$cmds" | wc -w)" -ge 9 ] || fail "kiln --help lists too few commands: $cmds"
# opts_of TEXT: the long options of the Options section of a --help
opts_of() { awk '/^Options:/ { on = 1; next } on && /^  / { print }' | grep -oE '^(  -[a-zA-Z], |      )--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | sort -u; }
total=0
for c in $cmds; do
  "$KILN" "$c" --help >"$T/help-$c" || fail "kiln $c --help"
  opts_of <"$T/help-$c" >"$T/opts-$c"
  grep -qx -- '--help' "$T/opts-$c" || fail "kiln $c --help lists no --help"
  # the man page: the command's section holds each option, and no other
  awk -v u="kiln $c" '/^\.SS / { on = index($0, "\"" u) == 5 || index($0, "\"" u " ") == 5 } on' "$T/kiln.1" |
    { grep -oE '\\fB\\-\\-([a-z0-9]|\\-)+' || true; } | sed 's/\\fB//; s/\\-/-/g' | sort -u >"$T/man-$c"
  diff <(grep -vx -- '--help' "$T/opts-$c") "$T/man-$c" >"$T/diff" || { cat "$T/diff"; fail "kiln.1 and kiln $c --help differ"; }
  # the completion: the command's option words
  awk -v c="    $c)" '$0 == c { on = 1 } on && /_kiln_compgen -W \047 --/ { print; exit }' "$T/kiln.bash" |
    grep -oE -- '--[a-z0-9-]+' | sort -u >"$T/comp-$c"
  diff "$T/opts-$c" "$T/comp-$c" >"$T/diff" || { cat "$T/diff"; fail "the completion and kiln $c --help differ"; }
  total=$((total + $(wc -l <"$T/opts-$c")))
done
[ "$total" -gt 60 ] || fail "only $total options found: the help parser is broken"
grep -qx -- '--ssh' "$T/opts-build" && grep -qx -- '--platform' "$T/opts-lint" || fail "new options missing from --help"
ok "every option of every command's --help is in kiln.1 and in the completion, and nothing else ($total options)"

warn=$(groff -man -Tutf8 -ww -z "$T/kiln.1" 2>&1) || fail "groff: $warn"
[ -z "$warn" ] || fail "groff warns: $warn"
MANWIDTH=100 man -l "$T/kiln.1" >"$T/man.txt" 2>/dev/null
grep -q -- '--metadata-file FILE' "$T/man.txt" || fail "man -l does not render --metadata-file"
ok "kiln.1 renders with groff -ww without a warning, and with man -l"

cat >"$T/comp.sh" <<'SH'
source "$1"
comp() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _kiln; printf '%s\n' "${COMPREPLY[@]}" | sort; }
cd "$2"
[ "$(comp kiln bu)" = build ] || { echo "commands: $(comp kiln bu)"; exit 1; }
[ "$(comp kiln build --pro | tr '\n' ' ')" = "--progress --provenance " ] || { echo "options: $(comp kiln build --pro)"; exit 1; }
[ "$(comp kiln build --progress p)" = plain ] || { echo "values: $(comp kiln build --progress p)"; exit 1; }
[ "$(comp kiln lint --format '' | tr '\n' ' ')" = "json sarif text " ] || { echo "lint values"; exit 1; }
[ "$(comp kiln build --target '' | tr '\n' ' ')" = "build final " ] || { echo "stages: $(comp kiln build --target '')"; exit 1; }
[ "$(comp kiln build -f Dockerfile.o --target '')" = other ] || { echo "stages of -f: $(comp kiln build -f Dockerfile.o --target '')"; exit 1; }
[ "$(comp kiln build --root su)" = "sub dir" ] || { echo "dirs: $(comp kiln build --root su)"; exit 1; }
[ "$(comp kiln completion '')" = bash ] || { echo "completion arg"; exit 1; }
SH
mkdir -p "$T/ws/sub dir"
printf 'FROM scratch AS build\nFROM build as Final\n' >"$T/ws/Dockerfile"
printf 'FROM scratch AS other\n' >"$T/ws/Dockerfile.o"
bash "$T/comp.sh" "$T/kiln.bash" "$T/ws" || fail "bash completion"
ok "bash completion: commands, options, option values, directories with spaces, stage names of -f"

bin=$(dirname "$KILN")
if [ -f "$bin/CMakeCache.txt" ] && [ -f "$bin/kiln.1" ]; then
  cmake --install "$bin" --prefix "$T/prefix" >/dev/null || fail "cmake --install"
  cmp "$T/prefix/share/man/man1/kiln.1" "$T/kiln.1" || fail "the installed kiln.1 is not kiln man's"
  cmp "$T/prefix/share/bash-completion/completions/kiln" "$T/kiln.bash" || fail "the installed completion"
  [ -x "$T/prefix/bin/kiln" ] || fail "kiln not installed"
  ok "cmake --install puts kiln, kiln.1 and the bash completion in place"
fi
