#!/usr/bin/env python3
"""Writes a hostile layer tar: hostile_tar.py KIND OUT.tar. Each kind tries one way out of the
snapshot directory or one forbidden entry; unpack must refuse it (or, for symlinks, never
follow it)."""
import io
import sys
import tarfile


def add(t, name, kind=tarfile.REGTYPE, data=b"x", link="", dev=(0, 0), mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.linkname = link
    ti.devmajor, ti.devminor = dev
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def build(kind, t):
    if kind == "dotdot":
        add(t, "../escaped.txt")
    elif kind == "dotdot-inner":
        add(t, "a/", tarfile.DIRTYPE, mode=0o755)
        add(t, "a/../../escaped.txt")
    elif kind == "absolute":
        add(t, "/tmp/kiln-hostile-absolute.txt")
    elif kind == "symlink-parent":  # a symlink to outside, then a file through it
        add(t, "link", tarfile.SYMTYPE, link="/tmp")
        add(t, "link/kiln-hostile-through-symlink.txt")
    elif kind == "symlink-relative-parent":
        add(t, "up", tarfile.SYMTYPE, link="../../../../../../tmp")
        add(t, "up/kiln-hostile-through-symlink.txt")
    elif kind == "hardlink-outside":
        add(t, "hl", tarfile.LNKTYPE, link="../../../../etc/passwd")
    elif kind == "hardlink-absolute":
        add(t, "hl", tarfile.LNKTYPE, link="/etc/passwd")
    elif kind == "hardlink-through-symlink":
        add(t, "link", tarfile.SYMTYPE, link="/etc")
        add(t, "hl", tarfile.LNKTYPE, link="link/passwd")
    elif kind == "block-device":
        add(t, "etc/hello", data=b"hi\n")
        add(t, "sda", tarfile.BLKTYPE, dev=(8, 0))
    elif kind == "char-device":  # over a file of the same name earlier in the layer
        add(t, "etc/hello", data=b"hi\n")
        add(t, "dev/mem", data=b"not a device")
        add(t, "dev/mem", tarfile.CHRTYPE, dev=(1, 1))
    elif kind == "whiteout-dotdot":
        add(t, "a/", tarfile.DIRTYPE, mode=0o755)
        add(t, "a/.wh..")
    elif kind == "symlink-then-dir":  # replacing a symlink by a directory must not follow it
        add(t, "d", tarfile.SYMTYPE, link="/tmp")
        add(t, "d/", tarfile.DIRTYPE, mode=0o755)
        add(t, "d/kiln-hostile-dir.txt")
    elif kind == "ok":
        add(t, "etc/", tarfile.DIRTYPE, mode=0o755)
        add(t, "etc/hello", data=b"hi\n")
        add(t, "abs-link", tarfile.SYMTYPE, link="/etc/passwd")
        add(t, "hl", tarfile.LNKTYPE, link="etc/hello")
    else:
        raise SystemExit("unknown kind " + kind)


with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as t:
    build(sys.argv[1], t)
