# Helpers for the SMTP integration scripts (sourced): lib.sh plus the
# python next hop and an [smtp] configuration.
MG_TEST_KIND=smtp
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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

# reload_smtp: SIGHUP, then wait until mugai logged that SMTP reloaded.
reload_smtp() {
    local n
    n=$(grep -c "smtp reloaded" "$T/mugai.log")
    kill -HUP "$MUGAI_PID"
    wait_log $((n + 1)) "smtp reloaded" 30
}
script() { python3 "$HERE/smtp_script.py" 127.0.0.1 "$MUGAI_PORT"; }
count_files() { ls "$1" 2>/dev/null | grep -c '\.eml$'; }
