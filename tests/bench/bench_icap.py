#!/usr/bin/env python3
"""ICAP benchmark (issue 6): requests/s of RESPMOD over 32 persistent
connections, mugai next to c-icap's own echo service (srv_echo) in the same
run, with the same load generator.

    bench_icap.py --mugai BUILD/src/cli/mugai [--load BUILD/tests/bench/icap-load]
                  [--conns 32] [--seconds 10]

Cases: a 20 KB clean text file with Allow: 204 (the 204 path: mugai runs
the engine over the whole body in a sandbox worker, libclamav included, and
answers 204; echo answers 204), and a 1 MB .docx without Allow: 204 (the
200 path: mugai rebuilds the document and answers 200 with it; echo answers
200 with the body echoed); these two are sent whole, without preview, so
both servers read every byte. A third case is what Squid sends for an
image: a PNG with Preview: 4096 and Allow: 204, which mugai answers 204
from the preview (the documented fast path, image = pass: no sandbox
round trip, no libclamav); echo answers 100 Continue and echoes it. The load generator is icap-load (tests/bench/
icap_load.c, built with meson -Dbench=true): one thread and one persistent
connection per simulated client, in C so that it costs little next to the
servers; it still runs on the same 2 cores, so its CPU is printed too.

mugai runs as in production (sandbox on, libclamav on); its workers'
scratch folder is on a tmpfs, which a production config sets as well
([sandbox] scratch-dir = /run/mugai, doc/sandbox.md); NO_SCRATCH=1 leaves
the key out (to compare with builds older than it). Not a test."""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import proctree

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


def cpu_tree(pid):
    """CPU seconds of pid and its descendants (proctree.py)."""
    return proctree.cpu_seconds(pid)


def chunked(data, size=65536):
    out = bytearray()
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def build(service, name, ctype, body, allow204, preview=None):
    """The request, or with preview=N the request up to the preview's
    0-chunk and the rest of the body (sent after 100 Continue)."""
    req = b"GET http://origin.test/" + name + b" HTTP/1.1\r\nHost: origin.test\r\n\r\n"
    res = (b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: %d\r\n\r\n" % len(body))
    head = (b"RESPMOD icap://127.0.0.1/" + service + b" ICAP/1.0\r\nHost: 127.0.0.1\r\n" +
            (b"Allow: 204\r\n" if allow204 else b"") +
            (b"Preview: %d\r\n" % preview if preview is not None else b"") +
            b"Encapsulated: req-hdr=0, res-hdr=%d, res-body=%d\r\n\r\n" % (len(req), len(req) + len(res)))
    if preview is None:
        return head + req + res + chunked(body), None
    first = head + req + res + b"%x\r\n" % preview + body[:preview] + b"\r\n0\r\n\r\n"
    return first, chunked(body[preview:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mugai", required=True)
    ap.add_argument("--load", help="icap-load binary (default: next to the mugai build)")
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    load = a.load or os.path.join(os.path.dirname(os.path.abspath(a.mugai)), "../../tests/bench/icap-load")
    if not os.access(load, os.X_OK):
        print("needs icap-load: meson setup BUILD -Dbench=true && ninja -C BUILD (or --load PATH)")
        return 77
    tmp = tempfile.mkdtemp(prefix="mugai-icap-bench.")
    scratch = tempfile.mkdtemp(prefix="mugai-icap-bench.", dir="/dev/shm") if os.path.isdir("/dev/shm") else tmp
    os.chmod(tmp, 0o755)   # the workers' user must reach its scratch folder
    os.chmod(scratch, 0o755)
    procs = []
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/fixtures/gen_icap.py"), tmp + "/fx"], check=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_docx.py"), tmp + "/fx/report.docx"], check=True)
        small = open(tmp + "/fx/clean20k.txt", "rb").read()
        docx = open(tmp + "/fx/report.docx", "rb").read()
        mport, cport = free_port(), free_port()
        with open(tmp + "/mugai.conf", "w") as f:
            f.write("[general]\ntmpdir = %s\naudit = off\nquarantine-dir = %s/q\nlog-level = warn\n"
                    "[sandbox]\n%s\n"
                    "[smtp]\nlisten =\n[icap]\nlisten = 127.0.0.1:%d\nmax-connections = 64\n"
                    % (tmp, tmp, "" if os.environ.get("NO_SCRATCH") else "scratch-dir = " + scratch, mport))
        mugai = subprocess.Popen([a.mugai, "serve", "-c", tmp + "/mugai.conf"],
                                 stdout=open(tmp + "/mugai.log", "w"), stderr=subprocess.STDOUT)
        procs.append(mugai)
        modules = "/usr/lib/x86_64-linux-gnu/c_icap"
        have_cicap = shutil.which("c-icap") and os.path.exists(modules + "/srv_echo.so")
        cicap = None
        if have_cicap:
            with open(tmp + "/c-icap.conf", "w") as f:
                f.write("PidFile %s/c-icap.pid\nCommandsSocket %s/c-icap.ctl\nTimeout 300\n"
                        "MaxKeepAliveRequests 0\nKeepAliveTimeout 600\nStartServers 1\nMaxServers 1\n"
                        "MinSpareThreads 8\nMaxSpareThreads 40\nThreadsPerChild 40\nMaxRequestsPerChild 0\n"
                        "Port 127.0.0.1:%d\nServerLog %s/c-icap-server.log\nAccessLog %s/c-icap-access.log\n"
                        "ModulesDir %s\nServicesDir %s\nTmpDir %s\nService echo srv_echo.so\n"
                        % (tmp, tmp, cport, tmp, tmp, modules, modules, tmp))
            cicap = subprocess.Popen(["c-icap", "-N", "-f", tmp + "/c-icap.conf"],
                                     stdout=open(tmp + "/c-icap.out", "w"), stderr=subprocess.STDOUT)
            procs.append(cicap)
        if not wait_port(mport):
            print("mugai did not start:", open(tmp + "/mugai.log").read())
            return 1
        if have_cicap and not wait_port(cport):
            print("c-icap did not start")
            have_cicap = False
        png = open(tmp + "/fx/photo.png", "rb").read()
        cases = [
            ("20 KB clean text, Allow: 204", b"clean20k.txt", b"text/plain; charset=utf-8", small, True, None),
            ("1 MB .docx, no Allow: 204", b"report.docx",
             b"application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx, False, None),
            # What Squid sends (Preview, Allow: 204): mugai's preview fast
            # path (image = pass) answers 204 from the first 4 KB.
            ("%d KB PNG, Preview: 4096" % (len(png) // 1024), b"photo.png", b"image/png", png, True, 4096),
        ]
        print("load: %s" % open("/proc/loadavg").read().strip())
        print("machine: %s, %d CPUs; %d connections, %.0f s per case; client: icap-load" %
              (os.uname().machine + " " + os.uname().release, os.cpu_count(), a.conns, a.seconds))
        print("%-29s %-12s %9s %8s %8s %8s %12s %11s  %s" % ("case", "server", "req/s", "requests", "p50 ms",
                                                           "p99 ms", "srv CPU ms/r", "client ms/r", "ICAP status"))
        for label, name, ctype, body, allow, preview in cases:
            servers = [("mugai", mport, b"respmod", mugai.pid)]
            if have_cicap:
                servers.append(("c-icap echo", cport, b"echo", cicap.pid))
            for sname, port, svc, pid in servers:
                rf, rest = os.path.join(tmp, "req.bin"), os.path.join(tmp, "rest.bin")
                first, more = build(svc, name, ctype, body, allow, preview)
                with open(rf, "wb") as f:
                    f.write(first)
                extra = []
                if more is not None:
                    with open(rest, "wb") as f:
                        f.write(more)
                    extra = [rest]
                # warm-up: one connection, one second
                subprocess.run([load, str(port), rf, "1", "1"] + extra, stdout=subprocess.DEVNULL)
                c0 = cpu_tree(pid)
                out = subprocess.run([load, str(port), rf, str(a.conns), str(a.seconds)] + extra,
                                     capture_output=True, text=True)
                c1 = cpu_tree(pid)
                if out.returncode != 0:
                    print("%-29s %-12s failed: %s" % (label, sname, out.stderr.strip()[:200]))
                    continue
                v = out.stdout.split()
                kv = {v[i]: v[i + 1] for i in range(0, 10, 2)}
                n = int(kv["requests"])
                codes = " ".join(v[11:])
                print("%-29s %-12s %9.1f %8d %8.1f %8.1f %12.3f %11.3f  %s" % (
                    label, sname, n / float(kv["seconds"]), n, float(kv["p50_ms"]), float(kv["p99_ms"]),
                    1000 * (c1 - c0) / max(n, 1), 1000 * float(kv["cpu_s"]) / max(n, 1), codes))
        print("mugai peak RSS (front end): %s" % next((l.split(":", 1)[1].strip() for l in
                                                       open("/proc/%d/status" % mugai.pid) if l.startswith("VmHWM")), "?"))
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
        if scratch != tmp:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
