#!/usr/bin/env python3
"""A small HTTP origin for the Squid test: icap_origin.py DIR PORT_FILE.
Serves DIR on 127.0.0.1 (ephemeral port written to PORT_FILE). NAME.gz is
served as NAME with Content-Encoding: gzip; a Range request gets a 206;
a POST is answered with the number of bytes received."""
import http.server
import mimetypes
import os
import sys

root, port_file = sys.argv[1], sys.argv[2]


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("origin: " + fmt % args + "\n")

    def do_GET(self):
        name = os.path.basename(self.path.split("?")[0])
        path = os.path.join(root, name)
        enc = None
        if not os.path.isfile(path) and os.path.isfile(path + ".gz"):
            path, enc = path + ".gz", "gzip"
        if not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        status = 200
        rng = self.headers.get("Range")
        extra = {}
        if rng and rng.startswith("bytes=") and enc is None:
            a, _, b = rng[6:].partition("-")
            a = int(a)
            b = int(b) if b else len(data) - 1
            extra["Content-Range"] = "bytes %d-%d/%d" % (a, b, len(data))
            data = data[a:b + 1]
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", '"v1-%d"' % len(data))
        if enc:
            self.send_header("Content-Encoding", enc)
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


    def do_POST(self):
        # Uploads that got through: answer with what arrived.
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n) if n > 0 else b""
        out = b"received %d bytes\n" % len(data)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
