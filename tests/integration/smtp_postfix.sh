#!/bin/bash
# Postfix -> mugai -> Postfix on loopback. An internet-side Postfix relays
# lg.example.jp to mugai, which relays to an LGWAN-side Postfix that delivers
# into a Maildir. Checks: a mail with an HTML body and a macro .docm arrives
# without the HTML or the macro; nothing lost while the downstream is down
# (20 messages deferred with 4xx, then each delivered exactly once); mugai
# killed in the middle of DATA: the message is retried and arrives once.
. "$(dirname "$0")/smtp_lib.sh"
. "$(dirname "$0")/smtp_postfix_lib.sh"
need postfix
need swaks
[ "$(id -u)" = 0 ] || { echo "SKIP: private Postfix instances need root"; exit 77; }
trap 'pf_cleanup; cleanup' EXIT

DOCM=${MG_SOURCE_ROOT:-$HERE/../..}/../shared/corpus/ooxml/ot_oleform-PR314.docm
chmod 755 "$T" # the postfix and nobody users must reach their directories
UP_PORT=$(free_port); MUGAI_PORT=$(free_port); DOWN_PORT=$(free_port)
MAILDIR=$T/down/mail
mkdir -p "$MAILDIR"
chown nobody "$MAILDIR"

pf_setup up "$UP_PORT" \
    "relay_domains = lg.example.jp" \
    "message_size_limit = 100000000" \
    "relay_transport = smtp:[127.0.0.1]:$MUGAI_PORT" || { not_ok "upstream postfix config"; exit 1; }
pf_setup down "$DOWN_PORT" \
    "virtual_mailbox_domains = lg.example.jp" \
    "message_size_limit = 100000000" \
    "virtual_mailbox_limit = 0" \
    "virtual_mailbox_base = $MAILDIR" \
    "virtual_mailbox_maps = static:maildir/" \
    "virtual_uid_maps = static:$(id -u nobody)" \
    "virtual_gid_maps = static:$(id -g nobody)" \
    "virtual_minimum_uid = 1" || { not_ok "downstream postfix config"; exit 1; }
pf_start up
pf_start down
wait_port "$UP_PORT" 10 && wait_port "$DOWN_PORT" 10 || { not_ok "postfix instances start"; cat "$T"/*/ctl.log; exit 1; }

write_conf "$T/mugai.conf" listen=127.0.0.1:$MUGAI_PORT next-hop=127.0.0.1:$DOWN_PORT \
    hostname=mugai.test relay-domains=lg.example.jp
start_mugai "$T/mugai.conf"

send_up() { swaks --server 127.0.0.1:$UP_PORT --from sender@example.com --helo internet.example "$@" >>"$T/swaks.log" 2>&1; }

# 1. HTML body and a macro .docm.
html_docm_eml "$DOCM" invoice "<html-docm@example.com>" >"$T/html_docm.eml"
send_up --to staff@lg.example.jp --data "$T/html_docm.eml"
check "html+docm mail delivered downstream" wait_for 30 delivered_ge 1
f=$(find "$MAILDIR/maildir/new" -type f | head -1)
[ -n "$f" ] || f=/dev/null
python3 - "$f" >"$T/check1.out" <<'P'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
bad = [] if m.keys() else ["no message"]
if not any(k.lower().startswith("x-mugai-") for k in m.keys()):
    bad.append("no X-Mugai-* header")
for p in m.walk():
    if p.is_multipart():
        continue
    ct = p.get_content_type()
    data = p.get_payload(decode=True) or b""
    if ct == "text/html":
        bad.append("an HTML part survived")
    if b"<script" in data.lower():
        bad.append("a script survived in %s" % ct)
    if data[:2] == b"PK":
        # An OOXML package: no VBA part may be left in it. (The notice text
        # may name word/vbaProject.bin as removed; only packages count.)
        import io, zipfile
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            names = ["<unreadable zip>"]
        if any("vbaproject" in n.lower() for n in names):
            bad.append("a macro survived in %s" % (p.get_filename() or ct))
texts = [p.get_content() for p in m.walk() if p.get_content_type() == "text/plain"]
if not any("plain alternative" in t for t in texts):
    bad.append("the text body was lost")
print("\n".join(bad) if bad else "clean")
P
check "text kept; no HTML part, no script, no macro; X-Mugai header ($(cat "$T/check1.out" | tr '\n' ';'))" grep -qx clean "$T/check1.out"
rm -f "$MAILDIR"/maildir/new/*

# 2. Nothing lost: downstream down -> 20 deferred with 4xx -> up -> each once.
pf_stop down
for i in $(seq 1 20); do send_up --to "n$i@lg.example.jp" --header "Subject: lost $i"; done
# Messages cycle between deferred and active with the short retry times, so
# count them in the whole queue, and count distinct deferral log lines.
deferred_all() {
    [ "$(pf_queued up)" -eq 20 ] &&
    [ "$(grep -o 'to=<n[0-9]*@lg.example.jp>.*status=deferred' "$T/up/maillog" | cut -d'>' -f1 | sort -u | wc -l)" -eq 20 ]
}
check "20 messages deferred, all kept in the upstream queue" wait_for 60 deferred_all
check "deferral reason is mugai's 4xx" grep -q "said: 451 4.4.1 Next hop not available" "$T/up/maillog"
check "nothing delivered while the downstream is down" test "$(delivered)" -eq 0
pf_start down
wait_port "$DOWN_PORT" 10
pf_flush up
check "all 20 arrive after the flush" wait_for 60 delivered_ge 20
sleep 3 # a duplicate would arrive within the retry times
for i in $(seq 1 20); do
    c=$(grep -l "^Delivered-To: n$i@lg.example.jp" "$MAILDIR"/maildir/new/* | wc -l)
    [ "$c" = 1 ] || { not_ok "n$i delivered $c times"; }
done
check "each of the 20 delivered exactly once, queue empty" test "$(delivered)" -eq 20 -a "$(pf_queued up)" -eq 0
rm -f "$MAILDIR"/maildir/new/*

# 3. mugai killed in the middle of DATA: retried, delivered once.
python3 -c '
import sys
sys.stdout.write("Subject: big\r\nMessage-ID: <big@example.com>\r\n\r\n")
line = "x" * 76 + "\r\n"
sys.stdout.write(line * 400000)' >"$T/big.eml"
# Bytes mugai has received on its SMTP connections (the kernel's count, ss
# -i). rchar in /proc/PID/io does not see socket recv(); it used to grow
# with libclamav's temporary file reads, which now happen in the sandbox
# workers, so it no longer shows anything about receiving.
received() {
    ss -tniH state established "( sport = :$MUGAI_PORT )" 2>/dev/null |
        grep -o 'bytes_received:[0-9]*' | cut -d: -f2 | sort -n | tail -n 1
}
send_up --to big@lg.example.jp --data "$T/big.eml"
killed=no
# A deadline, not a count of tries: under load the upstream may take a
# while to start delivering, and each try costs an ss call.
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
    r=$(received)
    if [ "${r:-0}" -gt 2000000 ]; then kill -9 "$MUGAI_PID"; killed=yes; break; fi
    sleep 0.01
done
[ "$killed" = yes ] && wait "$MUGAI_PID" 2>/dev/null
check "mugai was killed while receiving the message" test "$killed" = yes
sleep 1
# Polled: pf_queued walks incoming, active and deferred one after the
# other, so a message Postfix moves between them while find is on its way
# (deferred back to active for the retry, say) can be missed by one walk;
# that happened once in a CI run, with the message delivered exactly once
# afterwards. A lost message stays missing in every walk.
queued_big() { test "$(pf_queued up)" -ge 1; }
check "upstream kept the message after the kill (deferred)" wait_for 10 queued_big
big_deferred() { grep -q "to=<big@lg.example.jp>.*status=deferred" "$T/up/maillog"; }
check "upstream logged the lost connection as a deferral" wait_for 20 big_deferred
start_mugai "$T/mugai.conf"
pf_flush up
check "the big message arrives after mugai restarts" wait_for 60 delivered_ge 1
sleep 3
check "it arrives exactly once" test "$(delivered)" -eq 1 -a "$(pf_queued up)" -eq 0

[ "$FAILS" -eq 0 ] || { echo "--- upstream maillog"; tail -30 "$T/up/maillog"; echo "--- mugai log"; tail -30 "$T/mugai.log"; exit 1; }
