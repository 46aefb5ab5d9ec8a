# Shared helpers for the RUN and sandbox integration tests (source this file).
#
#   busybox_context DIR     DIR/rootfs: a static busybox tree (every applet a symlink), /etc/passwd
#                           and /etc/group with root and app (10001), /tmp 1777, /root
#   busybox_dockerfile      prints the first lines of a Dockerfile whose stage "base" is that tree
#   kiln_tmp                a temporary directory removed at exit (KILN_TMP)
#   fail MSG                prints "FAIL: MSG" and exits 1

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

kiln_tmp() {
    KILN_TMP=$(mktemp -d /tmp/kiln-it-XXXXXX)
    trap 'rm -rf "$KILN_TMP"' EXIT
}

busybox_context() {
    local r="$1/rootfs"
    mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/home/app"
    cp /bin/busybox "$r/bin/busybox"
    local a
    for a in $(/bin/busybox --list); do
        [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/home/app:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\napp:x:10001:\n' >"$r/etc/group"
    chmod 1777 "$r/tmp"
}

busybox_dockerfile() {
    printf 'FROM scratch AS base\nCOPY rootfs/ /\n'
}

# kiln_build CTX OUT [flags...]: builds CTX into the OCI layout directory OUT with a fresh store.
kiln_build() {
    local ctx="$1" out="$2"
    shift 2
    "$KILN" build --root "$KILN_TMP/store" --progress plain \
        --output "type=oci,dest=$out,tar=false" "$@" "$ctx"
}

# layer_list LAYOUT N: "path" lines of the N-th layer (1-based) of the only image in LAYOUT
layer_list() {
    local layout="$1" n="$2"
    local mf cfg layer
    mf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"].split(":")[1])' "$layout")
    layer=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/blobs/sha256/"+sys.argv[2])); print(m["layers"][int(sys.argv[3])-1]["digest"].split(":")[1])' "$layout" "$mf" "$n")
    tar -tzf "$layout/blobs/sha256/$layer"
}

# layer_count LAYOUT
layer_count() {
    python3 -c 'import json,sys; d=sys.argv[1]; i=json.load(open(d+"/index.json")); m=json.load(open(d+"/blobs/sha256/"+i["manifests"][0]["digest"].split(":")[1])); print(len(m["layers"]))' "$1"
}
