#!/usr/bin/env python3
"""Makes an OCI image layout from layer tar files, as other tools would ship a base image.

    mklayout.py LAYOUT TAG [--uncompressed] [--config-json JSON] LAYER.tar...

Each LAYER.tar (uncompressed tar, written by tar(1), tarfile or by hand) becomes a gzip blob
(no name, mtime 0: reproducible) unless --uncompressed; its diff_id is the sha256 of the tar.
The layout gets one manifest for linux/amd64, named TAG in index.json. A LAYER given as
NAME.tar.gz is used as is: its diff_id is the sha256 of its decompressed content."""
import hashlib
import json
import os
import shutil
import sys
import zlib


def put(layout, data):
    d = hashlib.sha256(data).hexdigest()
    p = os.path.join(layout, "blobs", "sha256", d)
    with open(p, "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def put_file(layout, path, compress):
    """Streams a (possibly large) layer into the layout; returns (digest, size, diff_id)."""
    tmp = os.path.join(layout, "blobs", "sha256", ".tmp")
    raw, comp = hashlib.sha256(), hashlib.sha256()
    size = 0
    pre_gz = path.endswith(".gz")
    with open(path, "rb") as src, open(tmp, "wb") as out:
        z = zlib.compressobj(6, zlib.DEFLATED, 31) if compress and not pre_gz else None
        d = zlib.decompressobj(47) if pre_gz else None
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            if d is not None:
                # bombs: hash the decompressed stream without holding it
                rest = chunk
                while rest:
                    raw.update(d.decompress(rest, 1 << 20))
                    rest = d.unconsumed_tail
                outc = chunk
            else:
                raw.update(chunk)
                outc = z.compress(chunk) if z else chunk
            comp.update(outc)
            size += len(outc)
            out.write(outc)
        if z:
            tail = z.flush()
            comp.update(tail)
            size += len(tail)
            out.write(tail)
    digest = "sha256:" + comp.hexdigest()
    os.rename(tmp, os.path.join(layout, "blobs", "sha256", digest[7:]))
    gz = compress or pre_gz
    return digest, size, "sha256:" + raw.hexdigest(), gz


def main(argv):
    layout, tag = argv[0], argv[1]
    args = argv[2:]
    compress, cfg_extra = True, {}
    while args and args[0].startswith("--"):
        if args[0] == "--uncompressed":
            compress = False
            args = args[1:]
        elif args[0] == "--config-json":
            cfg_extra = json.loads(args[1])
            args = args[2:]
        else:
            sys.exit("mklayout: unknown option " + args[0])
    if os.path.exists(layout):
        shutil.rmtree(layout)
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    layers, diff_ids = [], []
    for path in args:
        digest, size, diff_id, gz = put_file(layout, path, compress)
        mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else "")
        layers.append({"mediaType": mt, "digest": digest, "size": size})
        diff_ids.append(diff_id)
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                         "Cmd": ["/bin/sh"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": [{"created_by": "mklayout " + os.path.basename(p)} for p in args]}
    config["config"].update(cfg_extra)
    cdig, csize = put(layout, json.dumps(config, sort_keys=True).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": cdig, "size": csize},
                "layers": layers}
    mdig, msize = put(layout, json.dumps(manifest, sort_keys=True).encode())
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": mdig, "size": msize,
                            "platform": {"architecture": "amd64", "os": "linux"},
                            "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main(sys.argv[1:])
