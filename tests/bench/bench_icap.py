#!/usr/bin/env python3
"""ICAP benchmark: requests/s of RESPMOD over persistent connections, mugai
next to c-icap's own echo service (srv_echo) in the same run.

    bench_icap.py --mugai BUILD/src/cli/mugai [--conns 32] [--seconds 10]

Cases: a 20 KB clean text file with Allow: 204 (mugai answers 204 after
running the engine over the whole body; echo answers 204), and a 1 MB HTML
file without Allow: 204 (mugai answers 200 with the file turned into text;
echo answers 200 with the body echoed). The body is sent whole, without
preview, so both servers read every byte. The load generator is python
asyncio in one process on the same machine: it competes with the servers
for CPU, so the numbers are a lower bound for both, measured alike."""
import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, seconds=15):
    t = time.time() + seconds
    while time.time() < t:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def chunked(data, size=65536):
    out = bytearray()
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def build(service, name, ctype, body, allow204):
    req = b"GET http://origin.test/" + name + b" HTTP/1.1\r\nHost: origin.test\r\n\r\n"
    res = (b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: %d\r\n\r\n" % len(body))
    head = (b"RESPMOD icap://127.0.0.1/" + service + b" ICAP/1.0\r\nHost: 127.0.0.1\r\n" +
            (b"Allow: 204\r\n" if allow204 else b"") +
            b"Encapsulated: req-hdr=0, res-hdr=%d, res-body=%d\r\n\r\n" % (len(req), len(req) + len(res)))
    return head + req + res + chunked(body)


async def read_response(r):
    head = await r.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    enc = b"null-body=0"
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"encapsulated:"):
            enc = line.split(b":", 1)[1].strip()
    last = enc.split(b",")[-1].strip()
    kind, off = last.split(b"=")
    if int(off):
        await r.readexactly(int(off))
    if kind in (b"res-body", b"req-body"):
        while True:
            line = await r.readuntil(b"\r\n")
            n = int(line.split(b";")[0], 16)
            if n == 0:
                await r.readuntil(b"\r\n")
                break
            await r.readexactly(n + 2)
    return status


async def worker(port, req, deadline, stats):
    r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        w.write(req)
        await w.drain()
        st = await read_response(r)
        stats["lat"].append(time.monotonic() - t0)
        stats["codes"][st] = stats["codes"].get(st, 0) + 1
    w.close()


async def run_case(port, req, conns, seconds):
    stats = {"lat": [], "codes": {}}
    # warm-up: one request
    r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
    w.write(req)
    await w.drain()
    await read_response(r)
    w.close()
    t0 = time.monotonic()
    deadline = t0 + seconds
    await asyncio.gather(*(worker(port, req, deadline, stats) for _ in range(conns)))
    elapsed = time.monotonic() - t0
    lat = sorted(stats["lat"])
    n = len(lat)
    return {"rps": n / elapsed, "n": n, "p50": lat[n // 2] * 1000 if n else 0,
            "p99": lat[min(n - 1, int(n * 0.99))] * 1000 if n else 0, "codes": stats["codes"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mugai", required=True)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mugai-icap-bench.")
    procs = []
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/fixtures/gen_icap.py"), tmp + "/fx"], check=True)
        small = open(tmp + "/fx/clean20k.txt", "rb").read()
        big = open(tmp + "/fx/big1m.html", "rb").read()
        mport, cport = free_port(), free_port()
        with open(tmp + "/mugai.conf", "w") as f:
            f.write("[general]\ntmpdir = %s\naudit = off\nquarantine-dir = %s/q\nlog-level = warn\n"
                    "[smtp]\nlisten =\n[icap]\nlisten = 127.0.0.1:%d\nmax-connections = 64\n" % (tmp, tmp, mport))
        procs.append(subprocess.Popen([a.mugai, "serve", "-c", tmp + "/mugai.conf"],
                                      stdout=open(tmp + "/mugai.log", "w"), stderr=subprocess.STDOUT))
        modules = "/usr/lib/x86_64-linux-gnu/c_icap"
        have_cicap = shutil.which("c-icap") and os.path.exists(modules + "/srv_echo.so")
        if have_cicap:
            with open(tmp + "/c-icap.conf", "w") as f:
                f.write("PidFile %s/c-icap.pid\nCommandsSocket %s/c-icap.ctl\nTimeout 300\n"
                        "MaxKeepAliveRequests 0\nKeepAliveTimeout 600\nStartServers 1\nMaxServers 1\n"
                        "MinSpareThreads 8\nMaxSpareThreads 40\nThreadsPerChild 40\nMaxRequestsPerChild 0\n"
                        "Port 127.0.0.1:%d\nServerLog %s/c-icap-server.log\nAccessLog %s/c-icap-access.log\n"
                        "ModulesDir %s\nServicesDir %s\nTmpDir %s\nService echo srv_echo.so\n"
                        % (tmp, tmp, cport, tmp, tmp, modules, modules, tmp))
            procs.append(subprocess.Popen(["c-icap", "-N", "-f", tmp + "/c-icap.conf"],
                                          stdout=open(tmp + "/c-icap.out", "w"), stderr=subprocess.STDOUT))
        if not wait_port(mport):
            print("mugai did not start:", open(tmp + "/mugai.log").read())
            return 1
        if have_cicap and not wait_port(cport):
            print("c-icap did not start")
            have_cicap = False
        cases = [
            ("20 KB clean text, Allow: 204", b"clean20k.txt", b"text/plain; charset=utf-8", small, True),
            ("1 MB HTML, no Allow: 204", b"big1m.html", b"text/html; charset=utf-8", big, False),
        ]
        print("machine: %s, %d CPUs; %d connections, %.0f s per case" %
              (os.uname().machine + " " + os.uname().release, os.cpu_count(), a.conns, a.seconds))
        print("%-30s %-14s %9s %8s %9s %9s  %s" % ("case", "server", "req/s", "requests", "p50 ms", "p99 ms", "ICAP status"))
        for label, name, ctype, body, allow in cases:
            servers = [("mugai", mport, b"respmod")]
            if have_cicap:
                servers.append(("c-icap echo", cport, b"echo"))
            for sname, port, svc in servers:
                res = asyncio.run(run_case(port, build(svc, name, ctype, body, allow), a.conns, a.seconds))
                print("%-30s %-14s %9.1f %8d %9.1f %9.1f  %s" % (label, sname, res["rps"], res["n"], res["p50"], res["p99"],
                                                              " ".join("%d:%d" % kv for kv in sorted(res["codes"].items()))))
        return 0
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
