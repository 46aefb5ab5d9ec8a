"""Writing layer tars byte by byte, as Go's archive/tar (BuildKit, containerd) writes them, or as
an attacker would: names and PAX values are bytes (no hdrcharset record is added, unlike python's
tarfile), xattrs are SCHILY.xattr.* records, and an entry's header may announce any size.

    w = RawTar(open(path, "wb"))            # or RawTar(gzip_stream(path)) for a .tar.gz
    w.entry(b"bin/x", data=b"...", xattrs={b"security.capability": value})
    w.entry(b"big", size=20 << 30, data=b"")  # a header that lies about its size
    w.zeros(b"bomb", 1 << 30)                 # a real 1 GiB entry of zeros, streamed
    w.close()
"""
import zlib

REG, LNK, SYM, DIR = b"0", b"1", b"2", b"5"


class gzip_stream:
    """A file object that gzips what is written to it (no name, mtime 0), in bounded memory."""

    def __init__(self, path, level=9):
        self.f = open(path, "wb")
        self.z = zlib.compressobj(level, zlib.DEFLATED, 31)

    def write(self, b):
        self.f.write(self.z.compress(b))

    def close(self):
        self.f.write(self.z.flush())
        self.f.close()


def _record(key, value):
    body = b" " + key + b"=" + value + b"\n"
    n = len(body) + 1
    while len(str(n).encode()) + len(body) != n:
        n += 1
    return str(n).encode() + body


def _header(name, typ, size, mode, uid, gid, link):
    h = bytearray(512)

    def put(off, n, v):
        v = v[:n]
        h[off:off + len(v)] = v

    put(0, 100, bytes(c for c in name if c < 128))  # Go keeps ASCII only when PAX holds the name
    put(100, 8, b"%07o\0" % mode)
    put(108, 8, b"%07o\0" % uid)
    put(116, 8, b"%07o\0" % gid)
    put(124, 12, b"%011o\0" % size if size < 8 ** 11 else b"\x80" + size.to_bytes(11, "big"))
    put(136, 12, b"%011o\0" % 0)
    put(156, 1, typ)
    put(157, 100, bytes(c for c in link if c < 128))
    put(257, 8, b"ustar\x0000")
    h[148:156] = b" " * 8
    put(148, 8, b"%06o\0 " % sum(h))
    return bytes(h)


class RawTar:
    def __init__(self, out):
        self.out = out

    def _pad(self, n):
        if n % 512:
            self.out.write(b"\0" * (512 - n % 512))

    def _pax(self, name, link, xattrs, extra):
        recs = b""
        if any(c >= 128 for c in name) or len(name) > 100:
            recs += _record(b"path", name)
        if any(c >= 128 for c in link) or len(link) > 100:
            recs += _record(b"linkpath", link)
        for k, v in (xattrs or {}).items():
            recs += _record(b"SCHILY.xattr." + k, v)
        for k, v in (extra or {}).items():
            recs += _record(k, v)
        if recs:
            self.out.write(_header(b"PaxHeaders.0/x", b"x", len(recs), 0o644, 0, 0, b""))
            self.out.write(recs)
            self._pad(len(recs))

    def entry(self, name, typ=REG, data=b"", mode=None, uid=0, gid=0, link=b"", xattrs=None,
              size=None, pax=None):
        """One entry; size (default len(data)) is what the header says, data what follows."""
        if mode is None:
            mode = 0o755 if typ == DIR else 0o644
        size = len(data) if size is None else size
        self._pax(name, link, xattrs, pax)
        self.out.write(_header(name, typ, size, mode, uid, gid, link))
        self.out.write(data)
        self._pad(len(data))

    def zeros(self, name, size, chunk=1 << 20):
        """A regular file of size zero bytes, streamed."""
        self.out.write(_header(name, REG, size, 0o644, 0, 0, b""))
        left, block = size, b"\0" * chunk
        while left:
            n = min(left, chunk)
            self.out.write(block[:n])
            left -= n
        self._pad(size)

    def close(self):
        self.out.write(b"\0" * 1024)
        self.out.close()
