# Helpers for the RUN and sandbox integration tests; source after lib/common.sh.
#
#   busybox_context DIR   DIR/rootfs: a static busybox tree (every applet a symlink), /etc/passwd
#                         and /etc/group with root and app (10001), /tmp 1777, /root, /home/app
#   busybox_dockerfile    the first lines of a Dockerfile whose stage "base" is that tree
#   layer_list LAYOUT N   the paths of the N-th layer (1-based) of the first image of LAYOUT
#   layer_count LAYOUT    its number of layers
#   all_layer_paths LAYOUT FILE   the paths of all its layers in FILE (never empty: a check of
#                         what is NOT in the layers must look at something)

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
  chmod 0755 "$r" "$r/bin" "$r/etc" "$r/root" "$r/home" "$r/home/app"
}

busybox_dockerfile() {
  printf 'FROM scratch AS base\nCOPY rootfs/ /\n'
}

_manifest_json() {
  local d=$1
  PYTHONPATH=$KILN_SRC/tests/integration/lib python3 -c 'import json,oci,sys; print(json.dumps(oci.image_manifest(sys.argv[1])))' "$d"
}

layer_list() {
  local layout=$1 n=$2 layer
  layer=$(_manifest_json "$layout" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][int(sys.argv[1])-1]["digest"].split(":")[1])' "$n")
  tar -tzf "$layout/blobs/sha256/$layer"
}

layer_count() {
  _manifest_json "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))'
}

# image_config LAYOUT: the config JSON of the first image
image_config() {
  local d=$1 cfg
  cfg=$(_manifest_json "$d" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"].split(":")[1])')
  cat "$d/blobs/sha256/$cfg"
}

all_layer_paths() {
  local layout=$1 file=$2 n count
  count=$(layer_count "$layout") || fail "cannot count the layers of $layout"
  : >"$file"
  for n in $(seq 1 "$count"); do
    layer_list "$layout" "$n" >>"$file" || fail "cannot list layer $n of $layout"
  done
  grep -qx 'bin/busybox' "$file" || fail "the layers of $layout miss even bin/busybox: $(head -3 "$file")"
}
