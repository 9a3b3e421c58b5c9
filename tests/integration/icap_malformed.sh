#!/bin/bash
# Malformed ICAP from a raw socket (bad Encapsulated offsets, bad chunk
# sizes, missing CRLFs, truncated bodies, pipelined garbage, oversized
# headers): an error status or a clean close every time, OPTIONS still
# answered after each, and mugai still running at the end.
. "$(dirname "$0")/icap_lib.sh"
ICAP_PORT=$(free_port)
write_conf "$T/mugai.conf" listen=127.0.0.1:$ICAP_PORT read-timeout=3s
start_mugai "$T/mugai.conf"
check "malformed requests" python3 "$HERE/icap_malformed.py" "$ICAP_PORT"
check "mugai still running" kill -0 "$MUGAI_PID"

# Connection cap: with max-connections = 2, a third connection hears 503.
stop_pid "$MUGAI_PID"
write_conf "$T/cap.conf" listen=127.0.0.1:$ICAP_PORT max-connections=2 max-connections-per-ip=2
start_mugai "$T/cap.conf"
check "third connection over max-connections: ICAP 503, then the first two still work" python3 - "$ICAP_PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), 5)
b = socket.create_connection(("127.0.0.1", port), 5)
time.sleep(0.3)
c = socket.create_connection(("127.0.0.1", port), 5)
c.settimeout(5)
first = c.recv(200)
ok = first.startswith(b"ICAP/1.0 503")
for s in (a, b):
    s.settimeout(5)
    s.sendall(b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n")
    ok = ok and s.recv(100).startswith(b"ICAP/1.0 200")
sys.exit(0 if ok else 1)
PY
# SIGTERM: an idle persistent connection is closed, mugai exits.
python3 - "$ICAP_PORT" "$T/drain.ready" >"$T/drain.out" 2>&1 <<'PY' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.settimeout(20)
s.sendall(b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\n\r\n")
s.recv(1000)
open(sys.argv[2], "w").write("ready")
print("closed" if s.recv(100) == b"" else "data")
PY
DR=$!
for i in $(seq 1 100); do [ -s "$T/drain.ready" ] && break; sleep 0.1; done
kill -TERM "$MUGAI_PID"
wait "$DR"
check "SIGTERM closes an idle persistent connection" grep -q closed "$T/drain.out"
for i in $(seq 1 50); do kill -0 "$MUGAI_PID" 2>/dev/null || break; sleep 0.1; done
check "mugai exits after SIGTERM" bash -c "! kill -0 $MUGAI_PID 2>/dev/null"
finish
