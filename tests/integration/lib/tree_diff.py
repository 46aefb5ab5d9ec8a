#!/usr/bin/env python3
"""Compares two unpacked root filesystems file by file: type, permission bits (setuid, sticky
included), owner, group, content (sha256), symlink target, device numbers, extended attributes
and hard links (which names share one inode). Modification times are not compared (each builder
has its own epoch), nor the day of the last password change in etc/shadow (useradd writes
SOURCE_DATE_EPOCH's day, or today's: field 3 of each line). Names are bytes: unicode and invalid UTF-8 names compare exactly.

    tree_diff.py A B [--label-a NAME] [--label-b NAME]

Prints one line per difference (at most 200) and exits 1 when there is any, 0 when none."""
import hashlib
import os
import stat
import sys


def show(p):
    return os.fsdecode(p).encode("unicode_escape", "backslashreplace").decode()


def shadow_line(line):
    f = line.split(b":")
    if len(f) > 2:
        f[2] = b"*"
    return b":".join(f)


def walk(root):
    root = os.fsencode(root)
    out, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            kind = stat.S_IFMT(st.st_mode)
            rec = {"type": stat.filemode(st.st_mode)[0], "mode": "%04o" % stat.S_IMODE(st.st_mode),
                   "owner": "%d:%d" % (st.st_uid, st.st_gid)}
            if kind == stat.S_IFREG:
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    if rel in (b"etc/shadow", b"etc/shadow-"):
                        h.update(b"".join(shadow_line(l) for l in f))
                    else:
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            h.update(chunk)
                rec["content"] = h.hexdigest()[:16]
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif kind == stat.S_IFLNK:
                rec["target"] = os.readlink(full)
            elif kind in (stat.S_IFCHR, stat.S_IFBLK):
                rec["device"] = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            try:
                names = os.listxattr(full, follow_symlinks=False)
            except OSError:
                names = []
            for x in sorted(names):
                rec["xattr " + x] = os.getxattr(full, x, follow_symlinks=False).hex()
            out[rel] = rec
    for group in inodes.values():
        first = min(group)
        for rel in group:
            out[rel]["hardlink-of"] = show(first) if rel != first else "-"
    return out


def main():
    args = sys.argv[1:]
    la, lb = "A", "B"
    if "--label-a" in args:
        i = args.index("--label-a"); la = args[i + 1]; del args[i:i + 2]
    if "--label-b" in args:
        i = args.index("--label-b"); lb = args[i + 1]; del args[i:i + 2]
    a, b = walk(args[0]), walk(args[1])
    diffs = []
    for p in sorted(set(a) | set(b)):
        if p not in b:
            diffs.append("%s: only in %s (%s)" % (show(p), la, a[p]))
        elif p not in a:
            diffs.append("%s: only in %s (%s)" % (show(p), lb, b[p]))
        else:
            for k in sorted(set(a[p]) | set(b[p])):
                if a[p].get(k) != b[p].get(k):
                    diffs.append("%s: %s %s=%s %s=%s" % (show(p), k, la, a[p].get(k), lb, b[p].get(k)))
    for d in diffs[:200]:
        print(d)
    if len(diffs) > 200:
        print("... %d differences in all" % len(diffs))
    return 1 if diffs else 0


sys.exit(main())
