#!/bin/bash
# mugai as a STARTTLS client of its next hop ([smtp] next-hop-tls), with a
# real Postfix as the next hop: with next-hop-tls = encrypt every message
# reaches it over TLS (Postfix logs the TLS session and writes "ESMTPS" in
# its Received header), also on next-hop connections kept between sessions
# (next-hop-reuse); a next hop that offers no STARTTLS gets nothing, and the
# client hears 4xx (keeps the message) instead of a plaintext relay.
. "$(dirname "$0")/smtp_lib.sh"
. "$(dirname "$0")/smtp_postfix_lib.sh"
need postfix
need swaks
need openssl
[ "$(id -u)" = 0 ] || { echo "SKIP: private Postfix instances need root"; exit 77; }
trap 'pf_cleanup; cleanup' EXIT

chmod 755 "$T"
MUGAI_PORT=$(free_port); DOWN_PORT=$(free_port)
MAILDIR=$T/down/mail
mkdir -p "$MAILDIR"
chown nobody "$MAILDIR"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/down-key.pem" -out "$T/down-cert.pem" \
    -days 2 -subj "/CN=down.test" >/dev/null 2>&1 || { not_ok "make a test certificate"; exit 1; }
chmod 644 "$T/down-key.pem"

pf_setup down "$DOWN_PORT" \
    "virtual_mailbox_domains = lg.example.jp" \
    "virtual_mailbox_base = $MAILDIR" \
    "virtual_mailbox_maps = static:maildir/" \
    "virtual_uid_maps = static:$(id -u nobody)" \
    "virtual_gid_maps = static:$(id -g nobody)" \
    "virtual_minimum_uid = 1" \
    "smtpd_tls_cert_file = $T/down-cert.pem" \
    "smtpd_tls_key_file = $T/down-key.pem" \
    "smtpd_tls_security_level = may" \
    "smtpd_tls_loglevel = 1" || { not_ok "downstream postfix config"; exit 1; }
pf_start down
wait_port "$DOWN_PORT" 10 || { not_ok "postfix starts"; cat "$T/down/ctl.log"; exit 1; }

write_conf "$T/mugai.conf" listen=127.0.0.1:$MUGAI_PORT next-hop=127.0.0.1:$DOWN_PORT \
    hostname=mugai.test relay-domains=lg.example.jp next-hop-tls=encrypt next-hop-reuse=10s
start_mugai "$T/mugai.conf"

SW=(swaks --server 127.0.0.1:$MUGAI_PORT --from sender@example.com --helo internet.example)
for i in 1 2 3; do
    out=$("${SW[@]}" --to "u$i@lg.example.jp" --header "Subject: tls $i" 2>&1)
    check "message $i accepted by mugai (250 after the TLS next hop took it)" grep -q "<-  250 2.0.0" <<<"$out"
done
check "all three delivered downstream" wait_for 30 delivered_ge 3
# Postfix folds its Received header: "with ESMTPS" is on the second line.
esmtps=0
for f in "$MAILDIR"/maildir/new/*; do
    grep -A1 "^Received: from mugai.test" "$f" | grep -q "with ESMTPS" && esmtps=$((esmtps + 1))
done
check "each arrived over TLS (Received: ... with ESMTPS): $esmtps of 3" test "$esmtps" -eq 3
tls_logged=$(grep -c "TLS connection established from" "$T/down/maillog")
check "the next hop logged the TLS sessions ($tls_logged)" test "$tls_logged" -ge 1
conns=$(grep -c "postfix-down/smtpd.*: connect from" "$T/down/maillog")
check "kept next-hop connections were reused over TLS ($conns connections for 3 sessions)" test "$conns" -lt 3

# A next hop without STARTTLS: never a plaintext relay under encrypt.
start_sink plain
write_conf "$T/mugai.conf" listen=127.0.0.1:$MUGAI_PORT next-hop=127.0.0.1:$SINK_PORT \
    hostname=mugai.test relay-domains=lg.example.jp next-hop-tls=encrypt
reload_smtp
out=$("${SW[@]}" --to u4@lg.example.jp --header "Subject: must not go in clear" 2>&1)
check "next hop without STARTTLS under encrypt: the client gets 4xx" grep -Eq "<\*\* *4[0-9][0-9]" <<<"$out"
check "  and nothing reached that next hop" test "$(count_files "$SINK_DIR/out")" -eq 0
finish
