#!/bin/bash
# Parsing that used to run in the serving process now runs in sandboxed
# workers (issue 11): ICAP Content-Encoding decoding (zlib, brotli) and the
# decryption in `mugai quarantine unlock` (libarchive).
#  1. The worker's limits apply to decoding: with [sandbox] file-size = 4M
#     a gzip body decoding to 20 MB cannot spool in the worker, so the
#     request is a temporary failure (ICAP 500, logged as a worker-side
#     decoding failure) -- in the serving process there is no such limit,
#     and with mode = off the same request is decoded and answered. The
#     decoded-size limit still blocks a bomb (403, limit-size), a corrupt
#     gzip is still blocked, and the service keeps answering.
#  2. unlock: a malformed "encrypted" zip fails cleanly (exit 1, a message,
#     no output, no crash), and the log says nothing of the password.
. "$(dirname "$0")/icap_lib.sh"

ICAP_PORT=$(free_port)
python3 - "$T" <<'PY'
import gzip, sys, zlib
t = sys.argv[1]
# 20 MB of zeros (decodes to more than file-size, fits max-body-size)
c = zlib.compressobj(6, zlib.DEFLATED, 31)
z = b"".join(c.compress(bytes(1 << 20)) for _ in range(20)) + c.flush()
open(t + "/20m.gz", "wb").write(z)
# a bomb: 300 MB of zeros, over max-body-size = 100M
c = zlib.compressobj(9, zlib.DEFLATED, 31)
z = b"".join(c.compress(bytes(1 << 20)) for _ in range(300)) + c.flush()
open(t + "/bomb.gz", "wb").write(z)
open(t + "/small.gz", "wb").write(gzip.compress("小さな本文\n".encode() * 10))
open(t + "/bad.gz", "wb").write(gzip.compress(b"x" * 5000)[:-20] + b"garbage!")
PY

# send NAME FILE: RESPMOD of FILE as a gzip-encoded download; prints the
# ICAP status and the HTTP status line of the answer.
send() {
    python3 -c '
import sys
sys.path.insert(0, sys.argv[3])
import icap_raw as ir
port, path = int(sys.argv[1]), sys.argv[2]
body = open(path, "rb").read()
s = ir.connect(port, 60)
s.sendall(ir.respmod(b"respmod", body, res_headers=b"Content-Type: application/octet-stream\r\nContent-Encoding: gzip\r\n", url=b"http://origin.test/f.bin") + ir.chunks(body, 65536))
st, h, hh, b = ir.read_response(ir.Reader(s))
print(st, hh.split(b"\r\n")[0].decode() if hh else "-")
' "$ICAP_PORT" "$2" "$HERE" >"$T/$1.res" 2>&1
    cat "$T/$1.res"
}

conf() { # FILE MODE FILE-SIZE MAX-BODY: the ICAP service, spools over 1M on disk, no libclamav
    cat >"$1" <<C
[general]
tmpdir = $T
audit = $T/audit.log
quarantine-dir = $T/quarantine
log-level = info
spool-threshold = 1M
[smtp]
listen =
[icap]
listen = 127.0.0.1:$ICAP_PORT
max-body-size = $4
[clamav]
mode = off
[sandbox]
mode = $2
workers = 1
file-size = $3
C
}

conf "$T/mugai.conf" seccomp 4M 100M
start_mugai "$T/mugai.conf"
r=$(send big "$T/20m.gz")
check "20 MB decoded in a worker with file-size 4M: ICAP 500 ($r)" test "${r%% *}" = 500
check "  logged as a decoding failure in the sandbox worker" \
    grep -q "Content-Encoding gzip: decoding in the sandbox worker failed" "$T/mugai.log"
r=$(send small "$T/small.gz")
check "a small gzip body next: answered ($r)" bash -c "[ '${r%% *}' = 200 ] || [ '${r%% *}' = 204 ]"
stop_pid "$MUGAI_PID"

# The decoded-size limit and corrupt input, as before the move.
conf "$T/limit.conf" seccomp 1G 10M
start_mugai "$T/limit.conf"
r=$(send bomb "$T/bomb.gz")
check "a bomb (300 MB) over max-body-size 10M: blocked, 403 ($r)" test "$r" = "200 HTTP/1.1 403 Forbidden"
check "  reason: decoded body over max-body-size" grep -q "decoded body over \[icap\] max-body-size" "$T/audit.log"
r=$(send bad "$T/bad.gz")
check "a corrupt gzip: blocked ($r)" test "$r" = "200 HTTP/1.1 403 Forbidden"
r=$(send small2 "$T/small.gz")
check "a small gzip body after all that: answered ($r)" bash -c "[ '${r%% *}' = 200 ] || [ '${r%% *}' = 204 ]"
stop_pid "$MUGAI_PID"

# A body whose decoding kills its worker (here: the worker's time limit,
# [sandbox] timeout = 100ms, on 300 MB of output) three times in a row
# (poison-after = 3) is poison: the first two get 500, the third is
# blocked with the 403 page and the body as it came is kept in quarantine,
# like a poison job. mugai is restarted between the second and the third:
# the kill counts live in the quarantine folder, so a restart (or a crash
# of the whole service) does not give a poison input a fresh start.
conf "$T/poison.conf" seccomp 1G 1G
printf 'timeout = 100ms\n' >>"$T/poison.conf"
start_mugai "$T/poison.conf"
r1=$(send p1 "$T/bomb.gz"); r2=$(send p2 "$T/bomb.gz")
check "decoding that outlives the worker's time: 500, 500 ($r1, $r2)" test "${r1%% *} ${r2%% *}" = "500 500"
check "  the kill counts are on disk" test -s "$T/quarantine/poison-counts"
stop_pid "$MUGAI_PID"
start_mugai "$T/poison.conf"
r3=$(send p3 "$T/bomb.gz")
check "the third time, after a restart: poison, blocked ($r3)" test "$r3" = "200 HTTP/1.1 403 Forbidden"
check "  audited with reason poison" grep -q '"reason":"poison"' "$T/audit.log"
check "  the encoded body is in quarantine" \
    bash -c "grep -l 'reason=poison' '$T'/quarantine/records/*.ini >/dev/null 2>&1"
stop_pid "$MUGAI_PID"

# The same 20 MB body with mode = off (decoding in the serving process,
# no worker limits): decoded and answered, not 500.
conf "$T/off.conf" off 4M 100M
start_mugai "$T/off.conf"
r=$(send bigoff "$T/20m.gz")
check "mode = off: the same body is decoded in-process and answered ($r)" test "${r%% *}" = 200
stop_pid "$MUGAI_PID"

# 2: quarantine unlock of a malformed encrypted zip.
Q=$T/q
mkdir -p "$Q/records"
python3 - "$T/badzip.zip" <<'PY'
import struct, sys
# A local header claiming traditional PKWARE encryption (flag bit 0) with
# sizes past the end, a truncated body and a central directory that lies.
name = b"secret.txt"
lh = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 1, 0, 0, 0, 0xdeadbeef, 5000, 4000, len(name), 0) + name
body = b"\x01\x02\x03" * 7
cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 1, 0, 0, 0, 0xdeadbeef, 5000, 4000,
                 len(name), 0, 0, 0, 0, 0, 0) + name
eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(cd), len(lh) + len(body), 0)
open(sys.argv[1], "wb").write(lh + body + cd + eocd)
PY
qid=20261123T200000Z-00000000bad0
sha=$(sha256sum "$T/badzip.zip" | cut -d' ' -f1)
mkdir -p "$Q/blobs/${sha:0:2}"
cp "$T/badzip.zip" "$Q/blobs/${sha:0:2}/$sha"
printf '[record]\ntime=1711963800\nsha256=%s\nsize=%s\nverdict=blocked\nreason=encrypted\nname=bad.zip\nmeta=null\n' \
    "$sha" "$(stat -c %s "$T/badzip.zip")" > "$Q/records/$qid.ini"
printf '[general]\nquarantine-dir = %s\ntmpdir = %s\nlog-level = debug\n' "$Q" "$T" > "$T/q.conf"
printf 'kagi-123\n' > "$T/pw"
rc=0
MUGAI_LANG=en "$MUGAI" quarantine -c "$T/q.conf" unlock -o "$T/out-unlock" --password-file "$T/pw" "$qid" \
    >"$T/unlock.out" 2>"$T/unlock.err" || rc=$?
check "unlock of a malformed encrypted zip: exit 1 ($rc)" test "$rc" -eq 1
check "  says it cannot unlock" grep -Eq "$qid: (cannot unlock|the password is wrong)" "$T/unlock.err"
check "  no output written" test ! -e "$T/out-unlock"
check "  no worker failure (the worker answered)" bash -c "! grep -q 'sandbox worker' '$T/unlock.err'"
check "  the password is in no output" bash -c "! grep -q kagi-123 '$T/unlock.out' '$T/unlock.err'"
finish
