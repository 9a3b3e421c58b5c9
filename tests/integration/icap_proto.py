#!/usr/bin/env python3
"""Protocol checks c-icap-client cannot make: icap_proto.py PORT FIXTURE_DIR.
Exit 0 when every check passes."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icap_raw import Reader, chunks, connect, read_response, respmod  # noqa: E402

port = int(sys.argv[1])
fx = sys.argv[2]
fails = 0


def check(what, cond):
    global fails
    print(("ok   - " if cond else "FAIL - ") + what)
    if not cond:
        fails += 1


def one(req, then=b""):
    s = connect(port)
    r = Reader(s)
    s.sendall(req + then)
    try:
        return read_response(r), r, s
    except EOFError:
        return (None, {}, b"", None), r, s


clean = open(os.path.join(fx, "clean.txt"), "rb").read()
exe = open(os.path.join(fx, "setup.exe"), "rb").read()
html = open(os.path.join(fx, "page.html"), "rb").read()

# 404 / 405 / 501 / 505
(st, h, _, _), r, s = one(b"OPTIONS icap://127.0.0.1/nosuch ICAP/1.0\r\nHost: x\r\n\r\n")
check("unknown service: 404", st == 404)
(st, h, _, _), r, s = one(b"REQMOD icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\nEncapsulated: req-hdr=0, null-body=20\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\n")
check("REQMOD on the RESPMOD service: 405", st == 405)
(st, h, _, _), r, s = one(b"FROB icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n")
check("unknown method: 501", st == 501)
(st, h, _, _), r, s = one(b"OPTIONS icap://127.0.0.1/respmod ICAP/2.0\r\nHost: x\r\n\r\n")
check("ICAP/2.0: 505", st == 505)

# 206 partial content of a sanitizable type: blocked; of an image (policy pass, partial-content=block): blocked too
(st, h, hh, body), r, s = one(respmod(b"respmod", b"x", res_headers=b"Content-Type: application/pdf\r\nContent-Range: bytes 0-3/100\r\n",
                                      status_line=b"HTTP/1.1 206 Partial Content", preview=4), chunks(b"%PDF", ieof=False))
check("HTTP 206 of a PDF: blocked at the preview (403 page, no 100 Continue)", st == 200 and b"403" in hh.split(b"\r\n")[0])

# Preview with ieof holding the whole clean body: 204 even without Allow: 204
(st, h, hh, body), r, s = one(respmod(b"respmod", b"", preview=4096, allow204=False), chunks(clean, ieof=True))
check("whole body in the preview (ieof), no Allow: 204: still 204", st == 204)

# Preview, 100 Continue, rest of the body, then the verdict; then a second request on the same connection
s = connect(port)
r = Reader(s)
s.sendall(respmod(b"respmod", b"", res_headers=b"Content-Type: text/html\r\n", url=b"http://origin.test/p.html", preview=16) + chunks(html[:16], last=False) + b"0\r\n\r\n")
st, h, _, _ = read_response(r)
check("preview without ieof: 100 Continue", st == 100)
s.sendall(chunks(html[16:]))
st, h, hh, body = read_response(r)
check("after 100 Continue: 200 sanitized", st == 200 and b"X-Mugai-Verdict: sanitized" in hh and b"evil.example" not in (body or b""))
s.sendall(respmod(b"respmod", b"", preview=0) + b"0\r\n\r\n")
st, h, _, _ = read_response(r)
check("same connection, second request (Preview: 0): 100 Continue", st == 100)
s.sendall(chunks(clean))
st, h, _, _ = read_response(r)
check("  then 204 (persistent connection)", st == 204)
s.sendall(b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n")
st, h, _, _ = read_response(r)
check("  and OPTIONS on it after that", st == 200 and "istag" in h)
s.close()

# Content-Length over max-body-size: blocked at the preview
(st, h, hh, body), r, s = one(respmod(b"respmod", b"", res_headers=b"Content-Type: text/plain\r\nContent-Length: 999999999\r\n", preview=4), chunks(b"abcd", last=False) + b"0\r\n\r\n")
check("Content-Length over the limit: 403 page from the preview", st == 200 and b" 403 " in hh)

# No body (HEAD, 304): 204
(st, h, _, _), r, s = one(respmod(b"respmod", None))
check("null-body: 204", st == 204)

# Exe, no preview, no Allow: 204: 403 page all the same
(st, h, hh, body), r, s = one(respmod(b"respmod", b"", res_headers=b"Content-Type: application/octet-stream\r\n",
                                      url=b"http://origin.test/a.exe", allow204=False), chunks(exe))
check("exe without preview: 403 page", st == 200 and b" 403 " in hh and "遮断".encode() in body)

# REQMOD multipart/form-data uploads: read as a MIME entity; passed only when nothing needed a change


def form_upload(parts):
    body = b""
    for headers, data in parts:
        body += b"--XyZ\r\n" + headers + b"\r\n\r\n" + data + b"\r\n"
    body += b"--XyZ--\r\n"
    req = (b"POST http://origin.test/upload HTTP/1.1\r\nHost: origin.test\r\n"
           b"Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: %d\r\n\r\n" % len(body))
    head = (b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nAllow: 204\r\n"
            b"Encapsulated: req-hdr=0, req-body=%d\r\n\r\n" % len(req))
    return one(head + req, chunks(body))[0]


st, _, _, _ = form_upload([(b'Content-Disposition: form-data; name="f"; filename="memo.txt"\r\nContent-Type: text/plain', clean),
                           (b'Content-Disposition: form-data; name="q"', b"value")])
check("form upload of a clean text file and a field: 204", st == 204)
st, _, hh, body = form_upload([(b'Content-Disposition: form-data; name="f"; filename="setup.exe"\r\nContent-Type: application/octet-stream', exe)])
check("form upload of an exe: HTTP 403 response", st == 200 and b" 403 " in hh and "アップロードを遮断しました".encode() in body)
st, _, hh, body = form_upload([(b'Content-Disposition: form-data; name="f"; filename="page.html"\r\nContent-Type: text/html', html)])
check("form upload of HTML with script: refused (a form cannot be rebuilt)", st == 200 and b" 403 " in hh)

# ISTag is stable between OPTIONS calls
(st1, h1, _, _), _, _ = one(b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n")
(st2, h2, _, _), _, _ = one(b"OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\n\r\n")
check("ISTag identical for both services of one configuration", h1.get("istag") == h2.get("istag") and h1.get("istag"))
sys.exit(1 if fails else 0)
