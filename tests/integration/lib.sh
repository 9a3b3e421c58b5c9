# Shared helpers for the integration scripts that run `mugai serve`
# (sourced by smtp_lib.sh and icap_lib.sh, or directly). Everything runs on
# 127.0.0.1 ephemeral ports under a private temp dir, and every process
# started here is stopped by the EXIT trap (by its own pid).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${MUGAI:?MUGAI must name the built mugai binary}"
: "${MG_SOURCE_ROOT:=$(cd "$HERE/../.." && pwd)}"
T=$(mktemp -d "/tmp/mugai-${MG_TEST_KIND:-serve}-test.XXXXXX")
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
finish() {
    # An ASan/UBSan build of mugai reports into its log: that is a failure too.
    check "no sanitizer report in mugai's log" bash -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' '$T/mugai.log'"
    [ "$FAILS" -eq 0 ] || { echo "$FAILS check(s) failed"; tail -30 "$T/mugai.log"; exit 1; }
    exit 0
}

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

# start_mugai CONF [PORT]: `mugai serve` logging to $T/mugai.log, sets
# MUGAI_PID; waits for PORT (default $MUGAI_PORT, else $ICAP_PORT).
start_mugai() {
    local port=${2:-${MUGAI_PORT:-${ICAP_PORT:-}}}
    "$MUGAI" serve -c "$1" >>"$T/mugai.log" 2>&1 &
    MUGAI_PID=$!
    PIDS+=("$MUGAI_PID")
    wait_port "$port" 10 || { echo "mugai did not start:"; cat "$T/mugai.log"; exit 1; }
}

# wait_log N PATTERN [seconds]: until mugai.log holds at least N lines
# matching PATTERN (grep -E); for events such as a finished reload.
wait_log() {
    local n=$1 pat=$2 secs=${3:-30} i
    for i in $(seq 1 $((secs * 10))); do
        [ "$(grep -cE "$pat" "$T/mugai.log" 2>/dev/null)" -ge "$n" ] && return 0
        sleep 0.1
    done
    return 1
}
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
