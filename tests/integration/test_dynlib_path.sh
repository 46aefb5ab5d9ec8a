#!/usr/bin/env bash
# kiln loads libarchive and libcurl when a command needs them, by the absolute path fixed at
# build (builder/dynlib/): a library planted where a search would look (LD_LIBRARY_PATH, the
# current directory, the context) is never loaded. The planted libarchive.so.13 and libcurl.so.4
# write a marker from their constructors; builds that read layers (COPY, a base image) and use
# libcurl (a registry on 127.0.0.1) must succeed with the real libraries and leave no marker.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/busybox.sh"
source "$(dirname "$0")/lib/registry.sh"
registry_require

evil=$T/evil
mkdir -p "$evil"
cat >"$T/evil.c" <<'C'
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void planted(void)
{
    int fd = open(MARKER, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0)
        close(fd);
}
int archive_version_number(void) { return 0; }
int curl_global_init(long flags) { (void)flags; return 0; }
C
for lib in libarchive.so.13 libcurl.so.4; do
  cc -shared -fPIC -DMARKER="\"$T/loaded-$lib\"" -o "$evil/$lib" "$T/evil.c" ||
    fail "cannot build the planted $lib"
done
# the planted libraries work when something does search for them
LD_PRELOAD=$evil/libarchive.so.13 /bin/true
[ -e "$T/loaded-libarchive.so.13" ] || fail "the planted library's constructor does not run"
rm -f "$T"/loaded-*

busybox_context "$T/ctx"
cp "$evil"/* "$T/ctx/"
{ busybox_dockerfile; printf 'FROM base\nCOPY libarchive.so.13 /opt/\nUSER 10001\n'; } >"$T/ctx/Dockerfile"
(cd "$evil" && LD_LIBRARY_PATH=$evil kbuild --output "type=oci,dest=$T/out,tar=false" "$T/ctx") \
  >"$T/build.log" 2>&1 || { cat "$T/build.log" >&2; fail "build with LD_LIBRARY_PATH set"; }
check_layout "$T/out"
ls "$T"/loaded-* 2>/dev/null && fail "a planted library was loaded by a build"
ok "LD_LIBRARY_PATH and the current directory holding a libarchive: the build loads the real one"

registry_start dynlib
(cd "$evil" && LD_LIBRARY_PATH=$evil kbuild --output "type=registry,name=127.0.0.1:$REG_PORT/dl:1" \
  "$T/ctx") >"$T/push.log" 2>&1 || { cat "$T/push.log" >&2; fail "push with LD_LIBRARY_PATH set"; }
ls "$T"/loaded-* 2>/dev/null && fail "a planted library was loaded by a push"
ok "LD_LIBRARY_PATH holding a libcurl: the push to a registry loads the real one"
