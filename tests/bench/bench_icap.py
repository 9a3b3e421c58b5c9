#!/usr/bin/env python3
"""ICAP benchmark (issue 6): requests/s of RESPMOD over 32 persistent
connections, mugai next to two c-icap services in the same run, with the
same load generator: c-icap's echo service (srv_echo: no work at all, the
issue's yardstick) and c-icap's virus_scan over libclamav (Debian package
libc-icap-mod-virus-scan, with Debian's settings and the signatures mugai
loads: what an ICAP service that only scans, and sanitizes nothing, costs).

    bench_icap.py --mugai BUILD/src/cli/mugai [--load BUILD/tests/bench/icap-load]
                  [--conns 32] [--seconds 10]

Cases: a 20 KB clean text file with Allow: 204 (mugai runs the engine over
the whole body in a sandbox worker, libclamav included, and answers 204;
echo answers 200; virus_scan scans it and answers 204), and a 1 MB .docx
without Allow: 204 (the 200 path: mugai rebuilds the document and answers
200 with it; echo and virus_scan answer 200 with the body as it came);
these two are sent whole, without preview, so every server reads every
byte. Then what Squid sends for an image, a PNG with Preview: 4096 and
Allow: 204, at 20 KB (issue 6's "20 KB clean file (204 path)") and 57 KB:
mugai answers 204 from the preview (the documented fast path, image =
pass: no sandbox round trip, no libclamav); echo answers 100 Continue and
echoes it; virus_scan decides from the preview too (PNG is not among
Debian's ScanFileTypes). The load generator is icap-load (tests/bench/
icap_load.c, built with meson -Dbench=true): one thread and one persistent
connection per simulated client, in C so that it costs little next to the
servers; it still runs on the same 2 cores, so its CPU is printed too.

mugai runs as in production (sandbox on, libclamav on); its workers'
scratch folder is on a tmpfs, which a production config sets as well
([sandbox] scratch-dir = /run/mugai, doc/sandbox.md); NO_SCRATCH=1 leaves
the key out (to compare with builds older than it). c-icap's temporary
files (TmpDir, clamav_mod.TmpDir) are on the same tmpfs, so that the file
system is not part of the comparison (virus_scan writes each body to a
temporary file: on disk, as Debian's /var/tmp default has it, it used
about twice the CPU per 20 KB request); CICAP_DISK=1 puts them on disk.
The virus_scan row needs root (a private mount namespace gives
clamav_mod its signature folder); without root, c-icap or the module, the
row is left out with a message. KEEP=1 keeps the folder with the logs.
Not a test."""
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


def wait_port(port, seconds=15, proc=None):
    """Whether 127.0.0.1:port accepts within seconds (False at once if
    proc, the server, has exited)."""
    t = time.time() + seconds
    while time.time() < t and (proc is None or proc.poll() is None):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def cpu_tree(pid):
    """CPU seconds of pid and its descendants (proctree.py)."""
    return proctree.cpu_seconds(pid)


MODULES = "/usr/lib/x86_64-linux-gnu/c_icap"


def start_cicap(tmp, tag, port, services, dbdir=None, tmpdir=None):
    """A c-icap instance of its own (pid file, commands socket, logs under
    tmp/TAG-*) on 127.0.0.1:port with the given Service lines. With dbdir,
    it runs in a private mount namespace where dbdir is bind-mounted over
    /var/lib/clamav: clamav_mod has no setting for the database folder (it
    loads libclamav's compiled-in cl_retdbdir()), and the machine's own
    folder is left alone."""
    conf = "%s/%s.conf" % (tmp, tag)
    with open(conf, "w") as f:
        f.write("PidFile %s/%s.pid\nCommandsSocket %s/%s.ctl\nTimeout 300\n"
                "MaxKeepAliveRequests 0\nKeepAliveTimeout 600\nStartServers 1\nMaxServers 1\n"
                "MinSpareThreads 8\nMaxSpareThreads 40\nThreadsPerChild 40\nMaxRequestsPerChild 0\n"
                "Port 127.0.0.1:%d\nServerLog %s/%s-server.log\nAccessLog %s/%s-access.log\n"
                "ModulesDir %s\nServicesDir %s\nTmpDir %s\n%s"
                % (tmp, tag, tmp, tag, port, tmp, tag, tmp, tag, MODULES, MODULES, tmpdir or tmp, services))
    cmd = ["c-icap", "-N", "-f", conf]
    if dbdir:
        # unshare and sh exec into c-icap: the pid stays c-icap's, for the
        # CPU accounting and for SIGTERM at the end.
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               'mount --bind "$0" /var/lib/clamav && exec "$@"', dbdir] + cmd
    return subprocess.Popen(cmd, stdout=open("%s/%s.out" % (tmp, tag), "w"), stderr=subprocess.STDOUT)


def virus_scan_setup(tmp, tmpdir):
    """Service lines and signature folder for c-icap's virus_scan over
    libclamav (Debian: libc-icap-mod-virus-scan), or None with the reason
    printed. The settings are the ones Debian ships in clamav_mod.conf and
    virus_scan.conf (written out here, so that an edited /etc does not
    change the bench); the signatures are the ones mugai loads: the
    system database if /var/lib/clamav has one, plus mugai's own."""
    missing = [m for m in ("virus_scan.so", "clamav_mod.so") if not os.path.exists(MODULES + "/" + m)]
    if missing:
        print("c-icap virus_scan row left out: no %s (Debian package libc-icap-mod-virus-scan, "
              "tests/bench/deps.txt)" % ", ".join(missing))
        return None
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("c-icap virus_scan row left out: it needs root and unshare(1) to give clamav_mod "
              "its own signature folder")
        return None
    db = tmp + "/clamdb"
    os.makedirs(db)
    srcs = [os.path.join(ROOT, "data/clamav")]
    if os.path.isdir("/var/lib/clamav"):
        srcs.insert(0, "/var/lib/clamav")
    for d in srcs:
        for n in sorted(os.listdir(d)):
            src = os.path.join(d, n)
            if os.path.isfile(src) and not n.startswith(".") and n.rsplit(".", 1)[-1] in CLAM_EXT:
                try:
                    os.link(src, os.path.join(db, n))
                except OSError:
                    shutil.copy2(src, os.path.join(db, n))
    return ("Module common clamav_mod.so\nclamav_mod.TmpDir %s\nclamav_mod.MaxScanSize 100M\n"
            "Service antivirus_module virus_scan.so\n"
            "virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GIF JPEG MSOFFICE\n"
            "virus_scan.SendPercentData 5\nvirus_scan.StartSendPercentDataAfter 2M\n"
            "virus_scan.MaxObjectSize 5M\n" % tmpdir, db)


# Signature files libclamav loads from a folder (a subset is enough here).
CLAM_EXT = {"cvd", "cld", "cud", "hdb", "hsb", "hdu", "hsu", "mdb", "msb", "mdu", "msu", "ndb", "ndu",
            "ldb", "ldu", "idb", "cdb", "cbc", "pdb", "gdb", "wdb", "fp", "sfp", "ign", "ign2", "ftm",
            "crb", "cat", "yar", "yara", "ioc", "info"}


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


def detects_eicar(port, svc):
    """Whether the service answers the EICAR test file with a finding (so
    that its row is a scan with signatures loaded, not a pass-through)."""
    eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    req, _ = build(svc, b"eicar.com", b"application/octet-stream", eicar, True)
    with socket.create_connection(("127.0.0.1", port), 10) as c:
        c.settimeout(10)
        c.sendall(req)
        got = b""
        while b"\r\n\r\n" not in got:
            part = c.recv(65536)
            if not part:
                break
            got += part
    return b"X-Infection-Found" in got.split(b"\r\n\r\n")[0]


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
    keep = bool(os.environ.get("KEEP"))
    scratch = tempfile.mkdtemp(prefix="mugai-icap-bench.", dir="/dev/shm") if os.path.isdir("/dev/shm") else tmp
    os.chmod(tmp, 0o755)   # the workers' user must reach its scratch folder
    os.chmod(scratch, 0o755)
    procs = []
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/fixtures/gen_icap.py"), tmp + "/fx"], check=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_docx.py"), tmp + "/fx/report.docx"], check=True)
        small = open(tmp + "/fx/clean20k.txt", "rb").read()
        docx = open(tmp + "/fx/report.docx", "rb").read()
        mport = free_port()
        with open(tmp + "/mugai.conf", "w") as f:
            f.write("[general]\ntmpdir = %s\naudit = off\nquarantine-dir = %s/q\nlog-level = warn\n"
                    "[sandbox]\n%s\n"
                    "[smtp]\nlisten =\n[icap]\nlisten = 127.0.0.1:%d\nmax-connections = 64\n"
                    % (tmp, tmp, "" if os.environ.get("NO_SCRATCH") else "scratch-dir = " + scratch, mport))
        mugai = subprocess.Popen([a.mugai, "serve", "-c", tmp + "/mugai.conf"],
                                 stdout=open(tmp + "/mugai.log", "w"), stderr=subprocess.STDOUT)
        procs.append(mugai)
        cicaps = []   # (server name, tag, service path, Service lines, signature folder)
        if not shutil.which("c-icap"):
            print("c-icap rows left out: c-icap is not installed (Debian package c-icap)")
        elif not os.path.exists(MODULES + "/srv_echo.so"):
            print("c-icap echo row left out: no %s/srv_echo.so" % MODULES)
        else:
            cicaps.append(("c-icap echo", "echo", b"echo", "Service echo srv_echo.so\n", None))
        # c-icap's temporary files on the tmpfs where mugai's workers have
        # their scratch folders; CICAP_DISK=1: on disk, as Debian's config.
        ctmp = tmp if os.environ.get("CICAP_DISK") else scratch
        vs = virus_scan_setup(tmp, ctmp) if shutil.which("c-icap") else None
        if vs:
            cicaps.append(("c-icap virus_scan", "virus_scan", b"virus_scan", vs[0], vs[1]))
        started = []
        for sname, tag, svc, services, dbdir in cicaps:
            port = free_port()
            p = start_cicap(tmp, tag, port, services, dbdir, ctmp)
            procs.append(p)
            started.append((sname, port, svc, p))
        if not wait_port(mport):
            print("mugai did not start:", open(tmp + "/mugai.log").read())
            return 1
        servers = [("mugai", mport, b"respmod", mugai)]
        for sname, port, svc, p in started:
            if wait_port(port, 60, p):
                servers.append((sname, port, svc, p))
            else:
                print("%s did not start, its row is left out (KEEP=1 keeps its log in %s)" % (sname, tmp))
        for sname, port, svc, p in servers[1:]:
            if svc == b"virus_scan" and not detects_eicar(port, svc):
                print("c-icap virus_scan does not detect EICAR: its signatures are not loaded "
                      "(see %s/virus_scan-server.log with KEEP=1)" % tmp)
                return 1
        png = open(tmp + "/fx/photo.png", "rb").read()
        png20 = open(tmp + "/fx/photo20k.png", "rb").read()
        cases = [
            ("20 KB clean text, Allow: 204", b"clean20k.txt", b"text/plain; charset=utf-8", small, True, None),
            ("1 MB .docx, no Allow: 204", b"report.docx",
             b"application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx, False, None),
            # What Squid sends (Preview, Allow: 204): mugai's preview fast
            # path (image = pass) answers 204 from the first 4 KB. The 20 KB
            # one is issue 6's "20 KB clean file (204 path)" as Squid sends it.
            ("%d KB PNG, Preview: 4096, Allow: 204" % (len(png20) // 1024), b"photo20k.png", b"image/png",
             png20, True, 4096),
            ("%d KB PNG, Preview: 4096, Allow: 204" % (len(png) // 1024), b"photo.png", b"image/png", png, True, 4096),
        ]
        print("load: %s" % open("/proc/loadavg").read().strip())
        print("machine: %s, %d CPUs; %d connections, %.0f s per case; client: icap-load" %
              (os.uname().machine + " " + os.uname().release, os.cpu_count(), a.conns, a.seconds))
        print("%-37s %-17s %9s %8s %8s %8s %12s %11s  %s" % ("case", "server", "req/s", "requests", "p50 ms",
                                                           "p99 ms", "srv CPU ms/r", "client ms/r", "ICAP status"))
        for label, name, ctype, body, allow, preview in cases:
            for sname, port, svc, proc in servers:
                pid = proc.pid
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
                    print("%-37s %-17s failed: %s" % (label, sname, out.stderr.strip()[:200]))
                    continue
                v = out.stdout.split()
                kv = {v[i]: v[i + 1] for i in range(0, 10, 2)}
                n = int(kv["requests"])
                codes = " ".join(v[11:])
                print("%-37s %-17s %9.1f %8d %8.1f %8.1f %12.3f %11.3f  %s" % (
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
        if keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        if scratch != tmp:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
