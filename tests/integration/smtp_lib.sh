# Shared helpers for the SMTP integration scripts (sourced). Everything runs
# on 127.0.0.1 ephemeral ports under a private temp dir, and every process
# started here is stopped by the EXIT trap (by its own pid).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${MUGAI:?MUGAI must name the built mugai binary}"
T=$(mktemp -d /tmp/mugai-smtp-test.XXXXXX)
chmod 755 "$T"   # sandbox workers run as an unprivileged user and need to reach their scratch folders below tmpdir
PIDS=()
FAILS=0

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ "$FAILS" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not installed"; exit 77; }; }
ok() { echo "ok   - $*"; }
not_ok() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # port [seconds]
    local i
    for i in $(seq 1 $((${2:-10} * 10))); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# start_sink NAME [options]: python next hop; sets SINK_PORT, SINK_PID, SINK_DIR
start_sink() {
    local name=$1; shift
    SINK_DIR=$T/$name
    mkdir -p "$SINK_DIR/out"
    rm -f "$SINK_DIR/port"
    python3 "$HERE/smtp_sink.py" --port "${SINK_PORT_WANT:-0}" --port-file "$SINK_DIR/port" --outdir "$SINK_DIR/out" "$@" \
        >"$SINK_DIR/log" 2>&1 &
    SINK_PID=$!
    PIDS+=("$SINK_PID")
    local i
    for i in $(seq 1 50); do [ -s "$SINK_DIR/port" ] && break; sleep 0.1; done
    SINK_PORT=$(cat "$SINK_DIR/port")
}

# write_conf FILE key=value...: a config with a [smtp] section (other
# sections' keys as section.key=value).
write_conf() {
    local f=$1; shift
    {
        echo "[general]"
        echo "tmpdir = $T"
        echo "audit = $T/audit.log"
        echo "quarantine-dir = $T/quarantine"
        echo "log-level = info"
        echo "[icap]"
        echo "listen ="
        echo "[smtp]"
        for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
    } >"$f"
}

# start_mugai CONF: sets MUGAI_PID, logs to $T/mugai.log
start_mugai() {
    "$MUGAI" serve -c "$1" >>"$T/mugai.log" 2>&1 &
    MUGAI_PID=$!
    PIDS+=("$MUGAI_PID")
    wait_port "$MUGAI_PORT" 10 || { echo "mugai did not start:"; cat "$T/mugai.log"; exit 1; }
}

stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

script() { python3 "$HERE/smtp_script.py" 127.0.0.1 "$MUGAI_PORT"; }
count_files() { ls "$1" 2>/dev/null | grep -c '\.eml$'; }
