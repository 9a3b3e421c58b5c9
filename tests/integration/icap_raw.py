"""Raw ICAP helpers for the integration scripts (python3 stdlib only):
build requests byte by byte, read one ICAP response (headers, then the
encapsulated part: HTTP headers and a chunked body)."""
import socket


def connect(port, timeout=20):
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.settimeout(timeout)
    return s


class Reader:
    def __init__(self, sock):
        self.s = sock
        self.buf = b""

    def _more(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("closed")
        self.buf += d

    def until(self, marker):
        while marker not in self.buf:
            self._more()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exact(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def closed(self, timeout=5):
        """True when the server closes the connection with nothing more to say."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def parse_headers(block):
    lines = block.decode("latin-1").split("\r\n")
    first = lines[0]
    h = {}
    for l in lines[1:]:
        if not l:
            continue
        k, _, v = l.partition(":")
        h[k.strip().lower()] = v.strip()
    return first, h


def read_response(r):
    """Returns (status, icap_headers, http_head bytes or b"", body bytes or None)."""
    first, h = parse_headers(r.until(b"\r\n\r\n"))
    status = int(first.split()[1])
    enc = h.get("encapsulated", "null-body=0")
    parts = [p.strip().split("=") for p in enc.split(",")]
    http_head = b""
    body = None
    body_kind, body_off = parts[-1][0], int(parts[-1][1])
    if status in (100,):
        return status, h, b"", None
    if body_off:
        http_head = r.exact(body_off)
    if body_kind in ("res-body", "req-body"):
        body = b""
        while True:
            line = r.until(b"\r\n")[:-2]
            n = int(line.split(b";")[0], 16)
            if n == 0:
                r.until(b"\r\n")
                break
            body += r.exact(n)
            r.exact(2)
    return status, h, http_head, body


def chunks(data, size=4096, ieof=False, last=True):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    if last:
        out += b"0; ieof\r\n\r\n" if ieof else b"0\r\n\r\n"
    return out


def respmod(port_path, body, res_headers=b"Content-Type: text/plain\r\n", status_line=b"HTTP/1.1 200 OK",
            url=b"http://origin.test/file.txt", preview=None, allow204=True, extra=b""):
    req_hdr = b"GET " + url + b" HTTP/1.1\r\nHost: origin.test\r\n\r\n"
    res_hdr = status_line + b"\r\n" + res_headers + b"\r\n"
    enc = b"req-hdr=0, res-hdr=%d, %s=%d" % (len(req_hdr), b"res-body" if body is not None else b"null-body",
                                          len(req_hdr) + len(res_hdr))
    head = b"RESPMOD icap://127.0.0.1/" + port_path + b" ICAP/1.0\r\nHost: 127.0.0.1\r\n"
    if allow204:
        head += b"Allow: 204\r\n"
    if preview is not None:
        head += b"Preview: %d\r\n" % preview
    head += extra + b"Encapsulated: " + enc + b"\r\n\r\n"
    return head + req_hdr + res_hdr
