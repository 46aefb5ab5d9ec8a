#!/usr/bin/env python3
"""Services for the network tests (tests/integration/lib/netlab.sh), run inside network
namespaces the test creates; every request is logged so a test can show that a refused
destination never saw one.

  netlab.py http ADDR PORT NAME LOG [DIR]   an HTTP server ("::" for both families)
  netlab.py dns ADDR LOG               a DNS server answering A queries for *.test

HTTP paths: /            "NAME reached at ADDR" (the address the client connected to)
            /file.txt    a fixed text with Last-Modified: Sat, 01 Jan 2005 00:00:00 GMT
            /nolm.txt    a fixed text without Last-Modified
            /dir/        a path without a file name
            /a.tar.gz    a gzip tar holding one file (ADD of a URL must not unpack it)
            /big         2 MiB with Content-Length; /big-stream the same without
            /redirect?to=URL   302 to URL
            /files/NAME  the file DIR/NAME, read at each request
            http://...   (an absolute URI) fetched and relayed: the server is an HTTP proxy
"""
import urllib.request
import gzip
import io
import socket
import socketserver
import struct
import sys
import tarfile
from http.server import BaseHTTPRequestHandler, HTTPServer

FILE_TEXT = b"kiln netlab file\n"
LAST_MODIFIED = "Sat, 01 Jan 2005 00:00:00 GMT"


def tarball():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        data = b"inside the archive\n"
        info = tarfile.TarInfo("inner.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def log(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def http(addr, port, name, logpath, www=None):
    tgz = tarball()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *a):
            pass

        def send(self, body, extra=(), length=True, code=200):
            self.send_response(code)
            for k, v in extra:
                self.send_header(k, v)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            here = self.connection.getsockname()[0]
            if here.startswith("::ffff:"):
                here = here[7:]
            log(logpath, "%s %s" % (here, self.path))
            p = self.path.split("?")[0]
            if self.path.startswith("http://"):
                with urllib.request.urlopen(self.path, timeout=5) as r:
                    self.send(r.read())
            elif p.startswith("/files/") and www:
                try:
                    self.send(open(www + "/" + p[7:], "rb").read())
                except OSError:
                    self.send(b"not found\n", code=404)
            elif p == "/":
                self.send(("%s reached at %s\n" % (name, here)).encode())
            elif p == "/file.txt":
                self.send(FILE_TEXT, [("Last-Modified", LAST_MODIFIED)])
            elif p in ("/nolm.txt", "/dir/"):
                self.send(FILE_TEXT)
            elif p == "/a.tar.gz":
                self.send(tgz, [("Content-Type", "application/gzip")])
            elif p == "/big":
                self.send(b"x" * (2 << 20))
            elif p == "/big-stream":
                self.send(b"x" * (2 << 20), length=False)
            elif p == "/redirect":
                to = self.path.split("to=", 1)[1]
                self.send(b"", [("Location", to)], code=302)
            else:
                self.send(b"not found\n", code=404)

    class Server(socketserver.ThreadingMixIn, HTTPServer):
        daemon_threads = True
        address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET

        def server_bind(self):
            if self.address_family == socket.AF_INET6:
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    Server((addr, port), Handler).serve_forever()


def dns(addr, logpath):
    answers = {"world.test": "198.51.100.10", "meta.test": "169.254.169.254"}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 12:
            log(logpath, "short datagram from %s" % peer[0])
            continue
        i, labels = 12, []
        while i < len(q) and q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
            i += q[i] + 1
        qname, qtype = ".".join(labels).lower(), struct.unpack("!H", q[i + 1:i + 3])[0]
        question = q[12:i + 5]
        log(logpath, "dns %s %d" % (qname, qtype))
        ip = answers.get(qname)
        rcode = 0 if ip else 3
        an = 1 if ip and qtype == 1 else 0
        head = q[:2] + struct.pack("!HHHHH", 0x8180 | rcode, 1, an, 0, 0)
        body = question
        if an:
            body += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(ip)
        s.sendto(head + body, peer)


if __name__ == "__main__":
    if sys.argv[1] == "http":
        http(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5],
             sys.argv[6] if len(sys.argv) > 6 else None)
    elif sys.argv[1] == "dns":
        dns(sys.argv[2], sys.argv[3])
