#!/bin/bash
# SMTP relay benchmark (issue 5): Postfix's smtp-source -> mugai -> smtp-sink,
# next to smtp-source -> smtp-sink directly and smtp-source -> Postfix (a
# plain relay: no content filter, its queue on disk) -> smtp-sink, in the
# same run, for 10 KB text messages and for 1 MB .docx attachments, 20
# parallel sessions. Prints messages/s (counted as delivered at smtp-sink),
# the CPU per message of each program's process tree, the ratios, and
# mugai's peak RSS.
# Usage: MUGAI=build/src/cli/mugai tests/bench/bench_smtp.sh [messages-10k] [messages-1m]
# The Postfix row needs root (Postfix's master starts as root); without it,
# or without postfix, that row is left out with a message. NO_POSTFIX=1
# leaves it out too.
# Not a test: run it by hand on an otherwise idle machine.
set -eu
: "${MUGAI:?set MUGAI to the built mugai binary}"
N10=${1:-2000}
N1M=${2:-200}
SESS=20
command -v smtp-source >/dev/null || { echo "needs smtp-source/smtp-sink (postfix)"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/mugai-bench.XXXXXX)   # /tmp: on disk, the Postfix queue too
chmod 755 "$T"   # the postfix user must reach its instance's directories
PIDS=()
# The private Postfix instance's helpers (pf_setup, pf_start, pf_cleanup),
# the same the integration tests use.
. "$HERE/../integration/smtp_postfix_lib.sh"
trap 'pf_cleanup; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T" "${SCRATCH:-}"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for i in $(seq 1 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

SINK=$(port); MP=$(port)
# -c: running counters on stdout ("... mesg=N"), so that every row counts
# the messages that reached the sink (for the Postfix row, the end of the
# run is when the last one arrived, not when smtp-source finished).
smtp-sink -c -u postfix 127.0.0.1:$SINK 256 >"$T/sink.count" &
SINKPID=$!
PIDS+=($SINKPID)
wait_port "$SINK"
# The sandbox stays on (seccomp workers) and libclamav on, as in production.
# scratch-dir on a tmpfs is what a production config sets too ([sandbox]
# scratch-dir = /run/mugai under the shipped systemd unit; doc/sandbox.md).
SCRATCH=$(mktemp -d /dev/shm/mugai-bench.XXXXXX)
chmod 755 "$SCRATCH"
# NO_SCRATCH=1: leave it out (to compare with builds older than the key).
SCRATCH_LINE="scratch-dir = $SCRATCH"
[ -z "${NO_SCRATCH:-}" ] || SCRATCH_LINE=
cat >"$T/mugai.conf" <<C
[sandbox]
$SCRATCH_LINE
[general]
tmpdir = $T
audit = off
log-level = warn
quarantine-dir = $T/q
[icap]
listen =
[smtp]
listen = 127.0.0.1:$MP
next-hop = 127.0.0.1:$SINK
relay-domains = lg.example.jp
max-connections-per-ip = 200
C
"$MUGAI" serve -c "$T/mugai.conf" 2>"$T/mugai.log" &
MPID=$!
PIDS+=($MPID)
wait_port "$MP"

# The peer a municipality runs without mugai: Postfix relaying
# lg.example.jp to the next hop, no content_filter, Debian's defaults
# otherwise (queue on disk, process and concurrency limits), in a private
# instance on an ephemeral port (tests/integration/smtp_postfix_lib.sh).
PFP=; PFPID=
if [ -n "${NO_POSTFIX:-}" ]; then
    echo "Postfix row left out (NO_POSTFIX set)"
elif ! command -v postfix >/dev/null; then
    echo "Postfix row left out: postfix is not installed (tests/deps.txt)"
elif [ "$(id -u)" != 0 ]; then
    echo "Postfix row left out: a private Postfix instance needs root"
else
    PFP=$(port)
    pf_setup relay "$PFP" \
        "relay_domains = lg.example.jp" \
        "message_size_limit = 100000000" \
        "relay_transport = smtp:[127.0.0.1]:$SINK" || { echo "Postfix config failed"; exit 1; }
    pf_start relay
    wait_port "$PFP" || { echo "Postfix did not start:"; cat "$T/relay/ctl.log" "$T/relay/maillog" 2>/dev/null; exit 1; }
    PFPID=$(tr -d ' ' <"$T/relay/queue/pid/master.pid")
    [ -n "$PFPID" ] || { echo "no Postfix master pid"; exit 1; }
fi

# A 1 MB .docx (stored, so it stays 1 MB) in a MIME message for smtp-source -F.
python3 "$HERE/gen_docx.py" "$T/report.docx" "$T/docx.eml"

# CPU seconds of a process and its descendants (tests/bench/proctree.py).
cpu_tree() { if [ -n "$1" ]; then python3 "$HERE/proctree.py" cpu "$1"; else echo 0; fi; }
# Messages smtp-sink has received so far (its last "mesg=N" counter).
sink_count() { python3 -c 'import re,sys; m=re.findall(rb"mesg=(\d+)", open(sys.argv[1],"rb").read()[-200:]); print(m[-1].decode() if m else 0)' "$T/sink.count"; }
# wait_sink TARGET SECONDS: waits until smtp-sink has TARGET messages,
# prints the wall-clock time it saw them (or the time it gave up).
wait_sink() {
    python3 - "$T/sink.count" "$1" "$2" <<'P'
import re, sys, time
f, target, limit = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
while True:
    m = re.findall(rb"mesg=(\d+)", open(f, "rb").read()[-200:])
    if (m and int(m[-1]) >= target) or time.time() > limit:
        print("%.6f" % time.time())
        break
    time.sleep(0.01)
P
}

run() { # label port server-name server-pid smtp-source-args...
    local label=$1 p=$2 sname=$3 spid=$4; shift 4
    local t0 t1 s0 s1 k0 k1 n0 n1
    n0=$(sink_count)
    s0=$(cpu_tree "$spid"); k0=$(cpu_tree $SINKPID)
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$T/src.time" \
        smtp-source -s $SESS -f bench@example.com -t user@lg.example.jp "$@" 127.0.0.1:$p
    t1=$(date +%s.%N)
    # Postfix answers 250 once a message is in its queue: its run ends when
    # the sink has them all. (mugai answers 250 only after the next hop did,
    # so for it and direct they are all there already: no poller start-up
    # added to the time.)
    [ "$(sink_count)" -ge $((n0 + N)) ] || t1=$(wait_sink $((n0 + N)) 600)
    s1=$(cpu_tree "$spid"); k1=$(cpu_tree $SINKPID)
    n1=$(sink_count)
    python3 - "$label" "$N" "$t0" "$t1" "$sname" "$s0" "$s1" "$k0" "$k1" "$T/src.time" "$((n1 - n0))" <<'P' | tee -a "$T/res"
import sys
label, n, t0, t1, sname, s0, s1, k0, k1, srct, got = sys.argv[1:12]
n, got = int(n), int(got)
src = sum(map(float, open(srct).read().split()[:2]))
srv = "%-7s %.3f" % (sname, 1000 * (float(s1) - float(s0)) / n) if sname != "-" else "%-7s %5s" % ("", "")
print("%-30s %8.1f msg/s   CPU ms/msg: %s  smtp-source %.3f  smtp-sink %.3f   delivered %d%s" % (
    label, got / (float(t1) - float(t0)), srv, 1000 * src / n, 1000 * (float(k1) - float(k0)) / n, got,
    "" if got == n else " OF %d (incomplete)" % n))
P
}
echo "load: $(uptime)"
echo "machine: $(nproc) CPUs, $(grep 'model name' /proc/cpuinfo | head -1 | cut -d: -f2 | sed 's/^ *//'), $(uname -sr)"
N=$N10; run "10KB direct ($N msgs)" $SINK - "" -m $N -l 10240
N=$N10; run "10KB via mugai ($N msgs)" $MP mugai $MPID -m $N -l 10240
if [ -n "$PFP" ]; then
    N=$N10; run "10KB via Postfix ($N msgs)" $PFP Postfix $PFPID -m $N -l 10240
    # Where Postfix's CPU went, since it started (its start-up is a small
    # part): per process name, and the processes that had exited.
    echo "  Postfix CPU seconds by process: $(python3 "$HERE/proctree.py" names "$PFPID")"
fi
N=$N1M; run "1MB docx direct ($N msgs)" $SINK - "" -m $N -F "$T/docx.eml"
N=$N1M; run "1MB docx via mugai ($N msgs)" $MP mugai $MPID -m $N -F "$T/docx.eml"
[ -z "$PFP" ] || { N=$N1M; run "1MB docx via Postfix ($N msgs)" $PFP Postfix $PFPID -m $N -F "$T/docx.eml"; }
# Peak RSS of the front end, and of the largest sandbox worker (the
# workers share libclamav's database copy-on-write, so these do not add up).
read -r rss_front rss_worker < <(python3 "$HERE/proctree.py" rss "$MPID")
echo "mugai peak RSS: front end $rss_front kB, largest worker $rss_worker kB"
python3 - "$T/res" <<'P'
import re, sys
rate = {}
for l in open(sys.argv[1]):
    m = re.match(r"(10KB|1MB docx) (direct|via mugai|via Postfix) .*? ([\d.]+) msg/s", l)
    if m:
        rate[m.group(1), m.group(2)] = float(m.group(3))
for size in ("10KB", "1MB docx"):
    d, mg, pf = (rate.get((size, k)) for k in ("direct", "via mugai", "via Postfix"))
    out = ["ratio %s: mugai/direct %.0f%%" % (size, 100 * mg / d)]
    if pf:
        out.append("Postfix/direct %.0f%%   mugai/Postfix %.0f%%" % (100 * pf / d, 100 * mg / pf))
    print("   ".join(out))
P
echo "mugai warnings/errors logged: $(grep -c 'level=\(warn\|error\)' "$T/mugai.log")"
grep 'level=\(warn\|error\)' "$T/mugai.log" | grep -v clamav | sort | uniq -c | sort -rn | head -3
if [ -n "$PFP" ]; then
    echo "Postfix deferred/bounced: $(grep -c 'status=\(deferred\|bounced\)' "$T/relay/maillog" 2>/dev/null)"
fi
