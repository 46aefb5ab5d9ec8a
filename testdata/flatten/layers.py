#!/usr/bin/env python3
"""Layer tars for the flatten unit tests: python3 layers.py CASE DIR writes DIR/0.tar, 1.tar...
(bottom layer first). Each case is a list of layers, each a list of entries:
  ("d", path[, mode])  directory      ("f", path, content[, mode])  regular file
  ("l", path, target)  symlink        ("h", path, target)           hard link
  ("c", path)          character device 1:3 (as a base layer may hold /dev/null)
"""
import io
import sys
import tarfile

CASES = {
    "override": [
        [("d", "a/"), ("f", "a/x", "0"), ("f", "a/y", "0")],
        [("f", "a/x", "1")],
    ],
    "whiteout": [
        [("d", "a/"), ("f", "a/x", "0"), ("f", "a/y", "0"), ("d", "b/"), ("f", "b/c", "0")],
        [("f", ".wh.b", ""), ("f", "a/.wh.x", "")],
    ],
    "opaque": [
        [("d", "d/"), ("f", "d/old", "0"), ("d", "d/sub/"), ("f", "d/sub/deep", "0")],
        [("d", "d/"), ("f", "d/.wh..wh..opq", ""), ("f", "d/new", "1")],
    ],
    "file-replaces-dir": [
        [("d", "p/"), ("f", "p/q", "0")],
        [("f", "p", "file")],
    ],
    "links": [
        [("f", "f", "A"), ("h", "g", "f"), ("l", "s", "f")],
    ],
    "link-to-replaced": [
        [("f", "f", "A"), ("h", "g", "f"), ("h", "h", "f")],
        [("f", "f", "B")],
    ],
    "link-to-deleted": [
        [("d", "bin/"), ("f", "bin/perl5", "PERL"), ("h", "bin/perl", "bin/perl5")],
        [("f", "bin/.wh.perl5", "")],
    ],
    "parents": [
        [("f", "x/y/z", "0")],
        [("d", "x/", 0o700)],
    ],
    "through-symlink": [
        [("l", "a", "/etc"), ("f", "a/passwd", "evil")],
    ],
    "through-symlink-later": [
        [("d", "a/"), ("f", "a/passwd", "evil"), ("l", "a", "/etc")],
    ],
    "dotdot": [
        [("f", "../escape", "evil")],
    ],
    "root-opaque": [
        [("f", "old", "0")],
        [("f", ".wh..wh..opq", ""), ("f", "new", "1")],
    ],
    "device": [
        [("d", "dev/"), ("c", "dev/null"), ("f", "suid", "x", 0o4755)],
    ],
}


def entry(kind, path, *rest):
    ti = tarfile.TarInfo(path)
    ti.mtime = 0
    data = None
    if kind == "d":
        ti.type = tarfile.DIRTYPE
        ti.mode = rest[0] if rest else 0o755
    elif kind == "f":
        data = rest[0].encode()
        ti.size = len(data)
        ti.mode = rest[1] if len(rest) > 1 else 0o644
    elif kind == "l":
        ti.type = tarfile.SYMTYPE
        ti.linkname = rest[0]
        ti.mode = 0o777
    elif kind == "h":
        ti.type = tarfile.LNKTYPE
        ti.linkname = rest[0]
        ti.mode = 0o644
    elif kind == "c":
        ti.type = tarfile.CHRTYPE
        ti.devmajor, ti.devminor = 1, 3
        ti.mode = 0o666
    return ti, data


def main():
    case, out = sys.argv[1], sys.argv[2]
    for i, layer in enumerate(CASES[case]):
        with tarfile.open(f"{out}/{i}.tar", "w", format=tarfile.PAX_FORMAT) as t:
            for e in layer:
                ti, data = entry(*e)
                t.addfile(ti, io.BytesIO(data) if data is not None else None)


if __name__ == "__main__":
    main()
