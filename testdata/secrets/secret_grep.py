#!/usr/bin/env python3
"""secret_grep.py SECRET_FILE PATH...: looks for a secret in files, as an attacker would.

Every regular file under each PATH is read whole (and again gunzipped when it is gzip, so
layer blobs are searched uncompressed, and as a tar, member by member, when it is one) and
searched for the secret (leading/trailing whitespace trimmed) raw, in hex (both cases) and in
base64 / base64url at the three byte alignments (the characters that depend on the secret
only), with newlines removed. Prints each hit "PATH: ENCODING" and exits 1 when there is one.
"""
import base64, gzip, io, os, sys, tarfile


def patterns(secret):
    pats = {"raw": secret, "hex": secret.hex().encode(), "HEX": secret.hex().upper().encode()}
    for o in range(3):
        enc = base64.b64encode(b"\0" * o + secret)
        first, end = (8 * o + 5) // 6, 8 * (o + len(secret)) // 6
        core = enc[first:end]
        pats["base64@%d" % o] = core
        pats["base64url@%d" % o] = core.replace(b"+", b"-").replace(b"/", b"_")
    return pats


def blobs(data):
    yield data
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
            yield data
        except Exception:
            return
    if len(data) >= 512 and data[257:262] == b"ustar":
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                for m in t.getmembers():
                    yield (m.name + "\0" + m.linkname).encode()
                    if m.isfile():
                        yield t.extractfile(m).read()
        except Exception:
            pass


def search(path, pats):
    hits = []
    try:
        data = open(path, "rb").read()
    except OSError:
        return hits
    for blob in blobs(data):
        flat = blob.replace(b"\n", b"").replace(b"\r", b"")
        for name, p in pats.items():
            hay = blob if name == "raw" else flat
            if p and p in hay and (path, name) not in hits:
                hits.append((path, name))
    return hits


def main():
    secret = open(sys.argv[1], "rb").read().strip()
    pats = patterns(secret)
    hits = []
    for top in sys.argv[2:]:
        if os.path.isfile(top):
            hits += search(top, pats)
            continue
        for d, _, files in os.walk(top):
            for f in files:
                p = os.path.join(d, f)
                if os.path.isfile(p) and not os.path.islink(p):
                    hits += search(p, pats)
    for path, name in hits:
        print("%s: %s" % (path, name))
    sys.exit(1 if hits else 0)


main()
