# kiln's own image: kiln built from this source tree, in a small Debian image that runs it as a
# non-root user. This is the image CI jobs pull (examples/ci/). Build it with kiln itself:
#
#   kiln build -t registry.example/kiln:0.1.0 --push .
#   kiln build -t kiln:0.1.0 --output type=oci,dest=kiln.tar .
#
# (docker buildx build works too). Both stages name Debian 12 images on Docker Hub; where there is
# no registry, give them as named contexts: --build-context debian:bookworm=oci-layout://DIR:TAG
# and the same for debian:bookworm-slim. kiln attaches the image's SBOM and provenance.
#
# Running it: see README.md, "kiln in a container" (a user namespace for the container, /proc
# unmasked, /dev/net/tun for the default RUN network).

FROM debian:bookworm AS build
# the build dependencies, through kiln's default RUN network (the Debian mirror)
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libarchive-dev zlib1g-dev libzstd-dev libssl-dev libjansson-dev libseccomp-dev libcap-dev \
      libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# the release build scripts/build makes (hardened, -Werror), without the tests; installed with
# the man page and the bash completion under /out
RUN cmake -S . -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX=/usr \
 && ninja -C /tmp/build \
 && DESTDIR=/out cmake --install /tmp/build --strip \
 && /out/usr/bin/kiln version

FROM debian:bookworm-slim
# only what kiln loads and runs: its libraries, pasta (the default RUN network), newuidmap and
# newgidmap (the steps' ids as a non-root user), the CA certificates (registries)
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libarchive13 libjansson4 libseccomp2 libcurl4 libssl3 zlib1g libzstd1 \
      passt uidmap ca-certificates libcap2-bin \
 # In a container without CAP_SYS_ADMIN a setuid-root newuidmap may not write the map of a
 # namespace kiln owns; with file capabilities it writes as kiln, which owns it.
 && chmod u-s /usr/bin/newuidmap /usr/bin/newgidmap \
 && setcap cap_setuid=ep /usr/bin/newuidmap \
 && setcap cap_setgid=ep /usr/bin/newgidmap \
 && apt-get purge -y --auto-remove libcap2-bin \
 # nothing in this image needs setuid or setgid (kiln runs as kiln, never su or passwd)
 && find / -xdev -type f -perm /6000 -exec chmod ug-s {} + \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
 # kiln runs as uid 1000; the steps' ids are every other id of a 65536-id container (a
 # Kubernetes pod with hostUsers: false), so that USER nobody (65534) exists in a step too
 && useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin kiln \
 && printf 'kiln:1:999\nkiln:1001:64535\n' >/etc/subuid \
 && cp /etc/subuid /etc/subgid \
 && install -d -o kiln -g kiln -m 0700 /var/lib/kiln
COPY --from=build /out/ /
# the store: a volume, never the container's own overlay root (which cannot hold snapshots);
# podman and docker make an anonymous one per run, Kubernetes mounts an emptyDir here
ENV KILN_ROOT=/var/lib/kiln
VOLUME ["/var/lib/kiln"]
USER kiln
WORKDIR /home/kiln
ENTRYPOINT ["kiln"]
CMD ["--help"]
