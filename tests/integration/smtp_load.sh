#!/bin/bash
# 200 concurrent slow SMTP sessions (issue 11 fault list): every client
# drips its commands and text, all at once. mugai must serve them all, a
# normal client must still get through meanwhile, and every message
# answered with 250 must be at the next hop exactly once.
. "$(dirname "$0")/smtp_lib.sh"
need swaks

start_sink sink
MUGAI_PORT=$(free_port)
write_conf "$T/mugai.conf" listen=127.0.0.1:$MUGAI_PORT next-hop=127.0.0.1:$SINK_PORT \
    hostname=mugai.test relay-domains=lg.example.jp max-connections=250 max-connections-per-ip=250
start_mugai "$T/mugai.conf"
ulimit -n 4096 2>/dev/null

python3 - "$MUGAI_PORT" >"$T/load.out" 2>&1 <<'P' &
import socket, sys, threading, time
port = int(sys.argv[1])
N = 200
ok, fail = [], []
lock = threading.Lock()
start = threading.Barrier(N)

def rd(f):
    while True:
        l = f.readline()
        if not l:
            return b""
        if l[3:4] != b"-":
            return l

def client(i):
    step = "connect"
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=120)
        f = s.makefile("rb")
        start.wait()
        assert rd(f).startswith(b"220")
        def cmd(line, want):
            nonlocal step
            step = line
            for ch in (line + "\r\n").encode():     # one byte at a time:
                s.sendall(bytes([ch]))               # a slow client
                time.sleep(0.002)
            r = rd(f)
            assert r.startswith(want), (line, r)
        cmd("EHLO slow%d" % i, b"250")
        cmd("MAIL FROM:<s%d@example.com>" % i, b"250")
        cmd("RCPT TO:<load%d@lg.example.jp>" % i, b"250")
        cmd("DATA", b"354")
        for k in range(20):
            s.sendall(b"line %d of message %d\r\n" % (k, i))
            time.sleep(0.02)
        s.sendall(b".\r\n")
        step = "final dot"
        r = rd(f)
        s.sendall(b"QUIT\r\n")
        with lock:
            (ok if r.startswith(b"250") else fail).append((i, r.strip()))
    except Exception as e:
        with lock:
            fail.append((i, "%s at %s" % (repr(e), step)))

ts = [threading.Thread(target=client, args=(i,)) for i in range(N)]
for t in ts: t.start()
for t in ts: t.join()
print("accepted", len(ok))
print("refused", len(fail))
for i, r in fail[:5]: print("refusal", i, r)
P
load=$!
sleep 3
t0=$SECONDS
out=$(swaks --server 127.0.0.1:$MUGAI_PORT --from quick@example.com --to quick@lg.example.jp 2>&1)
check "a normal client gets through while 200 slow sessions are open" grep -q "<-  250 2.0.0" <<<"$out"
check "... without waiting for them (under 10 s)" test $((SECONDS - t0)) -lt 10
wait "$load"
cat "$T/load.out"
acc=$(awk '/^accepted/ {print $2}' "$T/load.out")
check "all 200 slow sessions were served with 250" test "${acc:-0}" -eq 200
sleep 1
n=$(count_files "$SINK_DIR/out")
check "every 250 is at the next hop exactly once ($n files for $acc + 1 messages)" test "$n" -eq $((acc + 1))
dups=$(grep -h "^X-Sink-To:" "$SINK_DIR"/out/*.eml | sort | uniq -d | wc -l)
check "no recipient delivered twice" test "$dups" -eq 0
check "mugai is still answering" bash -c "swaks --server 127.0.0.1:$MUGAI_PORT --quit-after EHLO >/dev/null 2>&1"

[ "$FAILS" -eq 0 ] || { tail -20 "$T/mugai.log"; exit 1; }
