#!/bin/bash
# The after-queue placement, built from deploy/postfix/after-queue/ as
# shipped (ports swapped for ephemeral ones): one Postfix hands every message
# to mugai as its content_filter, mugai re-injects the sanitized copy on the
# filter-free smtpd, Postfix delivers it. The mail must arrive sanitized,
# exactly once, with no filter loop.
. "$(dirname "$0")/smtp_lib.sh"
. "$(dirname "$0")/smtp_postfix_lib.sh"
need postfix
need swaks
[ "$(id -u)" = 0 ] || { echo "SKIP: private Postfix instances need root"; exit 77; }
trap 'pf_cleanup; cleanup' EXIT
chmod 755 "$T"
SNIP=${MG_SOURCE_ROOT:-$HERE/../..}/deploy/postfix/after-queue
DOCM=${MG_SOURCE_ROOT:-$HERE/../..}/../shared/corpus/ooxml/ot_oleform-PR314.docm
IN_PORT=$(free_port); MUGAI_PORT=$(free_port); REINJECT_PORT=$(free_port)
MAILDIR=$T/pf/mail
mkdir -p "$MAILDIR"
chown nobody "$MAILDIR"

pf_setup pf "$IN_PORT" \
    "virtual_mailbox_domains = lg.example.jp" \
    "virtual_mailbox_base = $MAILDIR" \
    "virtual_mailbox_maps = static:maildir/" \
    "virtual_uid_maps = static:$(id -u nobody)" \
    "virtual_gid_maps = static:$(id -g nobody)" \
    "virtual_minimum_uid = 1" || { not_ok "postfix config"; exit 1; }
sed "s/10025/$MUGAI_PORT/; s/10026/$REINJECT_PORT/" "$SNIP/main.cf" >>"$T/pf/conf/main.cf"
sed "s/10025/$MUGAI_PORT/; s/10026/$REINJECT_PORT/" "$SNIP/master.cf" >>"$T/pf/conf/master.cf"
postfix -c "$T/pf/conf" check >"$T/pf/check2.log" 2>&1
check "the shipped after-queue snippets pass postfix check" test $? -eq 0
pf_start pf
wait_port "$IN_PORT" 10 && wait_port "$REINJECT_PORT" 10 || { not_ok "postfix starts"; cat "$T/pf/ctl.log"; exit 1; }

sed "s/10025/$MUGAI_PORT/; s/10026/$REINJECT_PORT/" "$SNIP/mugai.conf" >"$T/mugai.conf"
sed -i "s|^\[smtp\]|[general]\ntmpdir = $T\naudit = $T/audit.log\nquarantine-dir = $T/quarantine\n[smtp]|" "$T/mugai.conf"
start_mugai "$T/mugai.conf"

html_docm_eml "$DOCM" filter "<filter@example.com>" >"$T/in.eml"
swaks --server 127.0.0.1:$IN_PORT --from sender@example.com --to staff@lg.example.jp \
    --data "$T/in.eml" >"$T/swaks.log" 2>&1
check "Postfix accepts the message" grep -q "<-  250" "$T/swaks.log"
check "the message is delivered" wait_for 30 delivered_ge 1
sleep 3 # a loop through the filter would show up as more deliveries or queue entries
check "exactly once, queue empty" test "$(delivered)" -eq 1 -a "$(pf_queued pf)" -eq 0
f=$(find "$MAILDIR/maildir/new" -type f | head -1)
[ -n "$f" ] || f=/dev/null
check "it went through mugai once (one mugai Received header)" \
    test "$(grep -c '^Received: by .*(mugai' "$f")" -eq 1
check "sanitized: X-Mugai-Result, no HTML part" \
    bash -c "grep -q '^X-Mugai-Result:' '$f' && ! grep -qi '^Content-Type: text/html' '$f'"
check "Postfix logged the hand-over to mugai and the re-injection" \
    bash -c "grep -q 'relay=127.0.0.1\[127.0.0.1\]:$MUGAI_PORT.*status=sent (250 2.0.0 Ok: sanitized' '$T/pf/maillog'"

[ "$FAILS" -eq 0 ] || { echo "--- maillog"; tail -30 "$T/pf/maillog"; echo "--- mugai log"; tail -20 "$T/mugai.log"; exit 1; }
