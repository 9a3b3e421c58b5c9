#!/bin/bash
# SMTP relay benchmark (issue 5): Postfix's smtp-source -> mugai -> smtp-sink,
# next to smtp-source -> smtp-sink directly in the same run, for 10 KB text
# messages and for 1 MB .docx attachments, 20 parallel sessions. Prints
# messages/s for both paths, their ratio, and mugai's peak RSS.
# Usage: MUGAI=build/src/cli/mugai tests/bench/bench_smtp.sh [messages-10k] [messages-1m]
# Not a test: run it by hand on an otherwise idle machine.
set -eu
: "${MUGAI:?set MUGAI to the built mugai binary}"
N10=${1:-2000}
N1M=${2:-200}
SESS=20
command -v smtp-source >/dev/null || { echo "needs smtp-source/smtp-sink (postfix)"; exit 77; }
T=$(mktemp -d /tmp/mugai-bench.XXXXXX)
chmod 755 "$T"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T" "${SCRATCH:-}"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for i in $(seq 1 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

SINK=$(port); MP=$(port)
smtp-sink -u postfix 127.0.0.1:$SINK 256 &
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

# A 1 MB .docx (stored, so it stays 1 MB) in a MIME message for smtp-source -F.
python3 "$(dirname "$0")/gen_docx.py" "$T/report.docx" "$T/docx.eml"

# CPU seconds of a process and its descendants (tests/bench/proctree.py).
cpu_tree() { python3 "$(dirname "$0")/proctree.py" cpu "$1"; }

run() { # label port args...
    local label=$1 p=$2; shift 2
    local t0 t1 m0 m1 k0 k1
    m0=$(cpu_tree $MPID); k0=$(cpu_tree $SINKPID)
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$T/src.time" \
        smtp-source -s $SESS -f bench@example.com -t user@lg.example.jp "$@" 127.0.0.1:$p
    t1=$(date +%s.%N)
    m1=$(cpu_tree $MPID); k1=$(cpu_tree $SINKPID)
    python3 -c "import sys; n=int(sys.argv[2]); s=sum(map(float, open(sys.argv[9]).read().split()[:2]));
print('%-28s %8.1f msg/s   CPU ms/msg: mugai %.3f  smtp-source %.3f  smtp-sink %.3f' % (sys.argv[1],
      n / (float(sys.argv[4]) - float(sys.argv[3])), 1000 * (float(sys.argv[6]) - float(sys.argv[5])) / n,
      1000 * s / n, 1000 * (float(sys.argv[8]) - float(sys.argv[7])) / n))" \
        "$label" "$N" "$t0" "$t1" "$m0" "$m1" "$k0" "$k1" "$T/src.time" | tee -a "$T/res"
}
echo "load: $(uptime)"
echo "machine: $(nproc) CPUs, $(grep 'model name' /proc/cpuinfo | head -1 | cut -d: -f2 | sed 's/^ *//'), $(uname -sr)"
N=$N10; run "10KB direct ($N msgs)" $SINK -m $N -l 10240
N=$N10; run "10KB via mugai ($N msgs)" $MP -m $N -l 10240
N=$N1M; run "1MB docx direct ($N msgs)" $SINK -m $N -F "$T/docx.eml"
N=$N1M; run "1MB docx via mugai ($N msgs)" $MP -m $N -F "$T/docx.eml"
# Peak RSS of the front end, and of the largest sandbox worker (the
# workers share libclamav's database copy-on-write, so these do not add up).
read -r rss_front rss_worker < <(python3 "$(dirname "$0")/proctree.py" rss "$MPID")
echo "mugai peak RSS: front end $rss_front kB, largest worker $rss_worker kB"
python3 - "$T/res" <<'P'
import re, sys
v = [float(re.search(r"([\d.]+) msg/s", l).group(1)) for l in open(sys.argv[1])]
print("ratio 10KB: %.0f%%   ratio 1MB docx: %.0f%%" % (100 * v[1] / v[0], 100 * v[3] / v[2]))
P
grep -c "verdict=" "$T/mugai.log" >/dev/null 2>&1 || true
echo "mugai warnings/errors logged: $(grep -c 'level=\(warn\|error\)' "$T/mugai.log")"
grep 'level=\(warn\|error\)' "$T/mugai.log" | grep -v clamav | sort | uniq -c | sort -rn | head -3
