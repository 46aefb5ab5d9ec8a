#!/usr/bin/env bash
# Realistic Dockerfile 2: a C program built with gcc in a builder stage, copied into a scratch
# stage (static) and into a slim Debian stage (dynamic), as multi-stage builds do.
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

mkdir -p "$T/c"
cat >"$T/c/hello.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    printf("hello from C, uid %d", (int)getuid());
    for (int i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    return 0;
}
C
cat >"$T/c/Dockerfile" <<'DF'
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY hello.c .
RUN mkdir -p /out && gcc -O2 -static -o /out/hello-static hello.c && gcc -O2 -o /out/hello hello.c

FROM scratch AS static
COPY --from=build /out/hello-static /hello
USER 65534:65534
ENTRYPOINT ["/hello"]

FROM debian:bookworm AS slim
COPY --from=build /out/hello /usr/local/bin/hello
USER nobody
ENTRYPOINT ["hello"]
CMD ["world"]
DF
rw_build static "$T/c" --target static
rw_build slim "$T/c"
ok "gcc in a builder stage; the binaries copied into a scratch and a slim stage"

rw_out static "hello from C, uid 65534"
rw_out static "hello from C, uid 65534 again" /hello again
rw_out slim "hello from C, uid 65534 world"
rw_out slim "linked" sh -c 'ldd /usr/local/bin/hello | grep -q "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6" && echo linked'
ok "the static binary runs in the scratch image, the dynamic one in the slim image, as nobody"

# the scratch image holds the binary and nothing else (no base, no builder leftovers)
rw_unpack static
(cd "$T/static.bundle/rootfs" && find . -mindepth 1 | LC_ALL=C sort) >"$T/static.files"
[ "$(cat "$T/static.files")" = "./hello" ] || fail "the scratch image holds: $(tr '\n' ' ' <"$T/static.files")"
[ "$(stat -c '%a %u:%g' "$T/static.bundle/rootfs/hello")" = "755 0:0" ] ||
  fail "/hello: $(stat -c '%a %u:%g' "$T/static.bundle/rootfs/hello")"
ok "the scratch image holds only /hello (755, root's)"
