#!/usr/bin/env python3
"""Malformed ICAP against a running mugai: icap_malformed.py PORT.
Each case must get an ICAP error status (4xx/5xx) or a clean close, never
a hang or a crash, and OPTIONS must still work on a new connection after
every case. Exit 0 when all pass."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icap_raw import Reader, connect, read_response  # noqa: E402

port = int(sys.argv[1])
fails = 0

REQ = b"GET http://o.test/a.txt HTTP/1.1\r\nHost: o.test\r\n\r\n"
RES = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"


def respmod(enc, extra=b"", headers=REQ + RES):
    return (b"RESPMOD icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\nAllow: 204\r\n" + extra +
            b"Encapsulated: " + enc + b"\r\n\r\n" + headers)


GOOD_ENC = b"req-hdr=0, res-hdr=%d, res-body=%d" % (len(REQ), len(REQ) + len(RES))

cases = {
    "garbage line": b"\x00\x01\x02 garbage\r\n\r\n",
    "no CRLF at all (then close)": b"RESPMOD icap://127.0.0.1/respmod ICAP/1.0",
    "bare LF headers, no body framing": b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\nHost: x\n\n",
    "obs-fold header": b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n folded\r\n\r\n",
    "header without colon": b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost x\r\n\r\n",
    "huge header block": b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\n" + b"X-A: " + b"a" * 70000 + b"\r\n\r\n",
    "too many headers": b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\n" + b"X-A: 1\r\n" * 100 + b"\r\n",
    "no Encapsulated": b"RESPMOD icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n",
    "two Encapsulated": respmod(GOOD_ENC, b"Encapsulated: null-body=0\r\n"),
    "offsets decreasing": respmod(b"req-hdr=0, res-hdr=80, res-body=40"),
    "offset not starting at 0": respmod(b"req-hdr=5, res-body=200"),
    "body not last": respmod(b"res-body=0, res-hdr=10"),
    "offset past the header block": respmod(b"req-hdr=0, res-hdr=10, res-body=100000"),
    "offset just past the encapsulated header limit": respmod(b"req-hdr=0, res-hdr=10, res-body=65537"),
    "negative offset": respmod(b"req-hdr=0, res-hdr=-5, res-body=60"),
    "offset mid-header (res-hdr cut)": respmod(b"req-hdr=0, res-hdr=%d, res-body=%d" % (len(REQ) + 3, len(REQ) + len(RES))),
    "req-body in RESPMOD": respmod(b"req-hdr=0, req-body=%d" % len(REQ), headers=REQ),
    "unknown entity": respmod(b"req-hdr=0, foo-body=10"),
    "negative chunk size": respmod(GOOD_ENC) + b"-5\r\nhello\r\n0\r\n\r\n",
    "huge chunk size": respmod(GOOD_ENC) + b"ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "chunk size not hex": respmod(GOOD_ENC) + b"zz\r\nhello\r\n0\r\n\r\n",
    "chunk data without CRLF": respmod(GOOD_ENC) + b"5\r\nhelloXX0\r\n\r\n",
    "chunk longer than announced": respmod(GOOD_ENC) + b"2\r\nhello\r\n0\r\n\r\n",
    "ieof on a data chunk": respmod(GOOD_ENC) + b"5; ieof\r\nhello\r\n0\r\n\r\n",
    "truncated body (close)": respmod(GOOD_ENC) + b"100\r\nonly a little",
    "truncated encapsulated headers (close)": respmod(GOOD_ENC)[:-20],
    "preview longer than announced": respmod(GOOD_ENC, b"Preview: 2\r\n") + b"5\r\nhello\r\n0\r\n\r\n",
    "bad Preview value": respmod(GOOD_ENC, b"Preview: -1\r\n") + b"0\r\n\r\n",
    "HTTP status line garbage": respmod(b"req-hdr=0, res-hdr=%d, res-body=%d" % (len(REQ), len(REQ) + 12), headers=REQ + b"GARBAGE\r\n\r\n"),
    "pipelined garbage after a good request": b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n" + b"\xff\xfe GARBAGE \r\n\r\n" * 3,
    "URI without icap scheme": b"OPTIONS http://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n",
    "NUL in header": b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\x00y\r\n\r\n",
}


def options_ok():
    try:
        s = connect(port, 10)
        s.sendall(b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n")
        st, h, _, _ = read_response(Reader(s))
        s.close()
        return st == 200
    except Exception as e:  # noqa: BLE001
        print("   OPTIONS failed:", e)
        return False


for name, data in cases.items():
    s = connect(port, 10)
    r = Reader(s)
    try:
        s.sendall(data)
        if "(close)" in name or "no CRLF" in name:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    statuses = []
    outcome = "?"
    try:
        while True:
            st, h, _, _ = read_response(r)
            statuses.append(st)
            if st >= 400:
                break
    except EOFError:
        pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        outcome = "hang"
    except ValueError:
        outcome = "unparseable reply"
    s.close()
    errors = [x for x in statuses if x >= 400]
    if outcome == "?":
        if errors:
            outcome = "error %d" % errors[0]
        elif not statuses or all(x == 200 for x in statuses):
            # Only the good OPTIONS of the pipelined case may be answered 200.
            outcome = "closed" if not statuses or "pipelined" in name else "accepted?"
        else:
            outcome = "statuses %s" % statuses
    good = outcome.startswith("error") or outcome == "closed"
    alive = options_ok()
    print(("ok   - " if good and alive else "FAIL - ") + "%s: %s%s" % (name, outcome, "" if alive else ", then OPTIONS failed"))
    if not (good and alive):
        fails += 1

# A slowloris that never finishes its header block is cut off by read-timeout.
s = connect(port, 30)
s.sendall(b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n")
t0 = time.time()
r = Reader(s)
closed = r.closed(timeout=20)
print(("ok   - " if closed else "FAIL - ") + "unfinished header block closed after the read timeout (%.1fs)" % (time.time() - t0))
fails += 0 if closed else 1
sys.exit(1 if fails else 0)
