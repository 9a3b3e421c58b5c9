#!/bin/bash
# The signature database goes missing, corrupt or unreadable before a
# SIGHUP reload (issue 11 fault list). The reload must be refused with one
# clear error line in the log, the service must keep running on the
# previous generation (old engine, old signatures) and keep answering SMTP
# and ICAP, `mugai serve --check-config` must report the problem, and every
# message answered 250 meanwhile must reach the next hop exactly once. A
# final good reload proves the refusals were not a reload that never works.
. "$(dirname "$0")/smtp_lib.sh"

start_sink sink
MUGAI_PORT=$(free_port)
ICAP_PORT=$(free_port)
DB=$T/db
mkdir -p "$DB"
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
M1=MUGAI-RELOAD-MARKER-ONE-7c1f3a
M2=MUGAI-RELOAD-MARKER-TWO-5e2b9d
printf 'Site.Test.Marker1:0:*:%s\n' "$(hex $M1)" > "$T/good1.ndb"
printf 'Site.Test.Marker2:0:*:%s\n' "$(hex $M2)" > "$T/good2.ndb"
cp "$T/good1.ndb" "$DB/site.ndb"
cat > "$T/mugai.conf" <<C
[general]
tmpdir = $T
audit = $T/audit.log
quarantine-dir = $T/quarantine
log-level = info
[clamav]
mode = required
system-db = $DB
[smtp]
listen = 127.0.0.1:$MUGAI_PORT
next-hop = 127.0.0.1:$SINK_PORT
hostname = mugai.test
relay-domains = lg.example.jp
[icap]
listen = 127.0.0.1:$ICAP_PORT
C
start_mugai "$T/mugai.conf"
wait_port "$ICAP_PORT" 10 || { not_ok "ICAP did not start"; exit 1; }

# icap TEXT: RESPMOD of a text file; prints "<ICAP status> <HTTP status>".
icap() {
    python3 - "$ICAP_PORT" "$1" "$HERE" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
import icap_raw as ir
body = sys.argv[2].encode() + b"\n"
s = ir.connect(int(sys.argv[1]), 30)
s.sendall(ir.respmod(b"respmod", body, url=b"http://origin.test/notes.txt") + ir.chunks(body))
st, h, hh, b = ir.read_response(ir.Reader(s))
print(st, hh.split(b" ")[1].decode() if hh else "-")
PY
}
istag() {
    python3 - "$ICAP_PORT" "$HERE" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import icap_raw as ir
s = ir.connect(int(sys.argv[1]), 10)
s.sendall(b"OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
st, h, hh, b = ir.read_response(ir.Reader(s))
print(h.get("istag", "?"))
PY
}
# wait_log TEXT [seconds]: until the log holds TEXT (fixed string).
wait_log() {
    local i
    for i in $(seq 1 $((${2:-10} * 10))); do grep -qF -- "$1" "$T/mugai.log" && return 0; sleep 0.1; done
    return 1
}
hup() { kill -HUP "$MUGAI_PID"; }
n_refused() { grep -c "reload refused" "$T/mugai.log"; }
blocked_by() { # SIGNATURE TEXT: ICAP blocks TEXT and the audit names SIGNATURE
    local before r
    before=$(grep -c "$1" "$T/audit.log" 2>/dev/null)
    r=$(icap "$2")
    [ "$r" = "200 403" ] && [ "$(grep -c "$1" "$T/audit.log")" -gt "${before:-0}" ]
}

# Mail all along: 40 messages, one every 0.2 s, across every reload.
python3 - "$MUGAI_PORT" >"$T/mail.out" 2>&1 <<'P' &
import smtplib, sys, time
port = int(sys.argv[1])
acc = 0
for i in range(40):
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.sendmail("s@example.com", ["rcpt%d@lg.example.jp" % i],
                       b"Subject: %d\r\nMessage-ID: <m%d@example.com>\r\n\r\nbody %d\r\n" % (i, i, i))
            acc += 1
    except Exception as e:
        print("refused", i, repr(e))
    time.sleep(0.2)
print("accepted", acc)
P
mailer=$!

check "generation 1 blocks marker 1 (the system database is in use)" blocked_by Site.Test.Marker1 "$M1"
tag1=$(istag)

# 1. The database folder is gone.
mv "$DB" "$DB.gone"
out=$("$MUGAI" serve -c "$T/mugai.conf" --check-config 2>&1); rc=$?
check "--check-config without the database: refused (exit $rc)" test "$rc" -ne 0
check "  and says why" grep -q "holds no signature database" <<<"$out"
hup
check "SIGHUP with the database missing: refused in one log line" \
    wait_log "reload refused: engine: clamav = required, but $DB holds no signature database"
check "  the line says the previous generation keeps serving" wait_log "; still serving engine generation 1"
check "  ICAP still answers, with the old signatures" blocked_by Site.Test.Marker1 "$M1"
check "  ICAP ISTag unchanged (same generation)" test "$(istag)" = "$tag1"

# 2. The database is corrupt.
mkdir -p "$DB"
printf 'this is not a signature\n\x00\x01\x02 garbage:::\n' > "$DB/site.ndb"
out=$("$MUGAI" serve -c "$T/mugai.conf" --check-config 2>&1); rc=$?
check "--check-config with a corrupt database: refused (exit $rc)" test "$rc" -ne 0
check "  and says why" grep -q "libclamav: cannot load $DB" <<<"$out"
r0=$(n_refused)
hup
check "SIGHUP with a corrupt database: refused" wait_log "reload refused: engine: libclamav: cannot load $DB"
check "  ICAP still answers, with the old signatures" blocked_by Site.Test.Marker1 "$M1"

# 3. Unreadable: a file without read permission, or (as root, who reads
# any file) a signature "file" that cannot be read because it is a folder.
rm -f "$DB/site.ndb"
if [ "$(id -u)" -ne 0 ]; then
    cp "$T/good1.ndb" "$DB/site.ndb"
    chmod 000 "$DB/site.ndb"
else
    mkdir "$DB/site.ndb"
fi
r0=$(n_refused)
hup
for i in $(seq 1 50); do [ "$(n_refused)" -gt "$r0" ] && break; sleep 0.1; done
check "SIGHUP with an unreadable database: refused ($(grep 'reload refused' "$T/mugai.log" | tail -n 1 | sed 's/.*msg=//'))" \
    test "$(n_refused)" -gt "$r0"
check "  ICAP still answers, with the old signatures" blocked_by Site.Test.Marker1 "$M1"
chmod 644 "$DB/site.ndb" 2>/dev/null
rm -rf "$DB/site.ndb"
check "no reload happened so far" bash -c "! grep -q 'reloaded: engine generation' '$T/mugai.log'"

# 4. A good database again (with a second signature): the reload works.
cat "$T/good1.ndb" "$T/good2.ndb" > "$DB/site.ndb"
check "--check-config with the database back: OK" "$MUGAI" serve -c "$T/mugai.conf" --check-config
hup
check "SIGHUP with a good database: ICAP generation 2" wait_log "icap reloaded: engine generation 2"
check "  SMTP generation 2" wait_log "smtp reloaded: engine generation 2"
check "  the new signature is in use" blocked_by Site.Test.Marker2 "$M2"
check "  ISTag changed" test "$(istag)" != "$tag1"

wait "$mailer"
cat "$T/mail.out"
acc=$(awk '/^accepted/ {print $2}' "$T/mail.out")
check "every message was answered 250 across the reloads (${acc:-0} of 40)" test "${acc:-0}" -eq 40
sleep 1
n=$(count_files "$SINK_DIR/out")
check "every 250 is at the next hop exactly once ($n files for ${acc:-0})" test "$n" -eq "${acc:-0}"
dups=$(grep -h "^X-Sink-To:" "$SINK_DIR"/out/*.eml 2>/dev/null | sort | uniq -d | wc -l)
check "no recipient delivered twice" test "$dups" -eq 0
check "mugai is still running" kill -0 "$MUGAI_PID"
finish
