#!/bin/bash
# SMTP relay against real clients (swaks, a scripted client) with a small
# python next hop: every command, pipelining, STARTTLS, limits, relay
# control, client control, next hop down, malformed input, reload, drain.
. "$(dirname "$0")/smtp_lib.sh"
need swaks
need openssl

start_sink sink1
MUGAI_PORT=$(free_port)
CONF=$T/mugai.conf
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -days 2 -subj "/CN=mugai.test" >/dev/null 2>&1 || { not_ok "make a test certificate"; exit 1; }
base=(listen=127.0.0.1:$MUGAI_PORT next-hop=127.0.0.1:$SINK_PORT hostname=mugai.test
      relay-domains="lg.example.jp .city.example.jp" max-recipients=3 max-message-size=64K
      tls-cert=$T/cert.pem tls-key=$T/key.pem command-timeout=20s drain-timeout=3s)
write_conf "$CONF" "${base[@]}"
check "--check-config accepts the test config" "$MUGAI" serve -c "$CONF" --check-config
write_conf "$T/bad.conf" "${base[@]}" max-recipients=lots
check "--check-config refuses a bad value" bash -c "! '$MUGAI' serve -c '$T/bad.conf' --check-config 2>/dev/null"
start_mugai "$CONF"

SW=(swaks --server 127.0.0.1:$MUGAI_PORT --from sender@example.com --helo client.example)

# 1. A plain message is relayed; 250 carries the next hop's answer.
out=$("${SW[@]}" --to user@lg.example.jp --header "Subject: hello one" --body "body one" 2>&1)
check "plain message: 250 after the next hop's 250" grep -q "<-  250 2.0.0 Ok: .*queued as S1" <<<"$out"
check "the message (sanitized, or the notice) arrives at the next hop" test -s "$SINK_DIR/out/1.eml"
check "envelope is forwarded" grep -q "X-Sink-To: <user@lg.example.jp>" "$SINK_DIR/out/1.eml"

# 2. Every command with its reply code.
script >"$T/s2.out" <<'S'
< 220 mugai.test ESMTP
> MAIL FROM:<a@example.com>
< 503 5.5.1
> EHLO client.example
< 250 PIPELINING.*SIZE 65536.*8BITMIME.*ENHANCEDSTATUSCODES.*STARTTLS
> HELO client.example
< 250 mugai.test
> NOOP
< 250 2.0.0
> VRFY someone
< 252 2.5.0
> EXPN list
< 502
> HELP
< 214
> RCPT TO:<user@lg.example.jp>
< 503 5.5.1
> DATA
< 503 5.5.1
> BDAT 10 LAST
< 502
> FROB
< 500 5.5.1
> MAIL FROM:<a@example.com> FOO=BAR
< 555 5.5.4
> MAIL FROM:<bad address@example.com>
< 501
> MAIL FROM:<a@example.com> SIZE=100000
< 552 5.3.4
> MAIL FROM:<a@example.com>
< 250
> MAIL FROM:<b@example.com>
< 503 5.5.1 Nested
> RCPT TO:<x@other.example>
< 550 5.7.1 .*Relay access denied
> RCPT TO:<reject5@lg.example.jp>
< 550 5.1.1 No such user
> RCPT TO:<reject4@lg.example.jp>
< 450 4.2.0
> DATA
< 554 5.5.1 No valid recipients
> RSET
< 250 2.0.0
> MAIL FROM:<>
< 250
> RCPT TO:<u1@lg.example.jp>
< 250
> RCPT TO:<u2@x.city.example.jp>
< 250
> RCPT TO:<u3@lg.example.jp>
< 250
> RCPT TO:<u4@lg.example.jp>
< 452 4.5.3 Too many recipients
> DATA
< 354
> Subject: two
>
> ..dot line
> .
< 250 2.0.0
> QUIT
< 221
<eof
S
check "every command answers as RFC 5321 says" test $? -eq 0 && cat "$T/s2.out"
f=$(grep -l "X-Sink-To: <u1@" "$SINK_DIR"/out/*.eml | head -1)
if grep -q "^X-Mugai-Verdict: blocked" "$f"; then
    # Until the mail sanitizer is in the engine, every mail is replaced by the notice.
    echo "skip - dot-stuffing end to end: the engine blocked the mail (no mail sanitizer yet)"
else
    check "dot-stuffing undone and redone: the line reads .dot line" grep -q "^\.dot line" "$f"
fi
check "three recipients forwarded" grep -q "X-Sink-To: <u1@lg.example.jp> <u2@x.city.example.jp> <u3@lg.example.jp>" "$f"

# 3. Pipelining (RFC 2920) and STARTTLS.
out=$("${SW[@]}" --to user@lg.example.jp --pipeline --header "Subject: piped" 2>&1)
check "pipelined transaction accepted" grep -q "<\*\* *250 2.0.0\|<-  250 2.0.0 Ok" <<<"$out"
out=$("${SW[@]}" --to user@lg.example.jp -tls --header "Subject: over tls" 2>&1)
check "STARTTLS then a message" grep -q "TLS started" <<<"$out"
check "message over TLS relayed" grep -q "~> QUIT\|<~  250 2.0.0 Ok" <<<"$out"
script >"$T/s3.out" <<'S'
< 220
> EHLO c
< 250
>> b"STARTTLS\r\nNOOP\r\n"
< 220 2.0.0
close
S
check "STARTTLS with pipelined plaintext after it: handshake expected, NOOP not answered" test $? -eq 0

# 4. Limits: size in DATA, over-long text line.
big=$(head -c 80000 /dev/zero | tr '\0' 'a' | fold -w 76)
out=$("${SW[@]}" --to user@lg.example.jp --body "$big" 2>&1)
check "oversize message refused with 552 5.3.4" grep -q "<\*\* *552 5.3.4" <<<"$out"
python3 - "$MUGAI_PORT" >"$T/s4.out" <<'P'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def rd():
    while True:
        l = f.readline()
        if l[3:4] != b"-": return l
rd(); s.sendall(b"EHLO c\r\n"); rd()
s.sendall(b"MAIL FROM:<a@example.com>\r\n"); rd()
s.sendall(b"RCPT TO:<u@lg.example.jp>\r\n"); rd()
s.sendall(b"DATA\r\n"); rd()
s.sendall(b"Subject: long\r\n\r\n" + b"x" * 999 + b"\r\n.\r\n")
print(rd().decode().strip())
P
check "a 1001-octet text line is refused (500 5.5.2)" grep -q "^500 5.5.2" "$T/s4.out"

# 5. Malformed input: binary garbage, a 1 MB command line, DATA without the end.
script >"$T/s5.out" <<'S'
< 220
>> bytes(b for b in range(256) if b not in (10, 13)) * 4 + b"\r\n"
< 500
>> b"NOOP " + b"A" * 1048576 + b"\r\n"
< 500 5.5.2 Line too long
> NOOP
< 250
S
check "garbage and a 1 MB line get 500 and the session goes on" test $? -eq 0 && cat "$T/s5.out"
script >"$T/s5b.out" <<'S'
< 220
>> b"\x00\xff\x01garbage\r\n" * 30
<eof
S
check "a flood of garbage: the server closes the session" test $? -eq 0
sleep 0.2
check "a flood of garbage ends with 421 too many errors" grep -q "end=too-many-errors" "$T/mugai.log"
n_before=$(count_files "$SINK_DIR/out")
script >/dev/null <<'S'
< 220
> EHLO c
< 250
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<u@lg.example.jp>
< 250
> DATA
< 354
> Subject: never finished
> text without the end marker
close
S
sleep 0.5
check "a message without CRLF.CRLF is never relayed" test "$(count_files "$SINK_DIR/out")" = "$n_before"
out=$("${SW[@]}" --to user@lg.example.jp --header "Subject: still serving" 2>&1)
check "server still serves after malformed sessions" grep -q "<-  250 2.0.0" <<<"$out"

# 6. Next hop down: 451 at MAIL, nothing lost; back up: delivered.
stop_pid "$SINK_PID"
out=$("${SW[@]}" --to user@lg.example.jp 2>&1)
check "next hop down: MAIL gets 451 4.4.1" grep -q "<\*\* *451 4.4.1" <<<"$out"
SINK_PORT_WANT=$SINK_PORT start_sink sink1
out=$("${SW[@]}" --to user@lg.example.jp --header "Subject: after restart" 2>&1)
check "next hop back: delivered" grep -q "<-  250 2.0.0" <<<"$out"

# 7. Next hop refuses DATA with 451: the client gets a 4xx (keeps the message).
stop_pid "$SINK_PID"
SINK_PORT_WANT=$SINK_PORT start_sink sink1 --tempfail-data
out=$("${SW[@]}" --to user@lg.example.jp 2>&1)
check "next hop 451 at DATA: client gets 4xx" grep -q "<\*\* *451" <<<"$out"
stop_pid "$SINK_PID"
SINK_PORT_WANT=$SINK_PORT start_sink sink1

# 7b. The next hop drops the connection kept between two transactions of one
# session: the second MAIL opens a fresh one instead of failing.
script >"$T/s7b.out" <<S &
< 220
> EHLO c
< 250
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<first@lg.example.jp>
< 250
> DATA
< 354
> Subject: first
>
> .
< 250 2.0.0
touch $T/s7b.sent
waitfile $T/s7b.restarted
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<second@lg.example.jp>
< 250
> QUIT
< 221
S
kept=$!
for i in $(seq 1 600); do [ -e "$T/s7b.sent" ] && break; sleep 0.1; done
stop_pid "$SINK_PID"
SINK_PORT_WANT=$SINK_PORT start_sink sink1
touch "$T/s7b.restarted"
wait "$kept"
check "a next-hop connection closed between transactions is reopened" test $? -eq 0 || cat "$T/s7b.out"

# 7b2. Across sessions ([smtp] next-hop-reuse): a session's clean next-hop
# connection stays open for the next session; when the next hop has closed
# it meanwhile, the next session's MAIL opens a fresh one.
out=$("${SW[@]}" --to user@lg.example.jp --header "Subject: reuse one" 2>&1)
check "reuse: first session delivered" grep -q "<-  250 2.0.0" <<<"$out"
sleep 0.3
kept_conns=$(ss -Htn state established "( dport = :$SINK_PORT )" | wc -l)
check "reuse: the ended session's next-hop connection is kept open" test "$kept_conns" -ge 1
stop_pid "$SINK_PID"
SINK_PORT_WANT=$SINK_PORT start_sink sink1r
out=$("${SW[@]}" --to user@lg.example.jp --header "Subject: reuse two" 2>&1)
check "reuse: a kept connection the next hop closed is replaced at MAIL" grep -q "<-  250 2.0.0" <<<"$out"

# 7c. The next hop refuses DATA with 5xx: relayed as 5xx, and the next
# transaction on the same session and next-hop connection still works.
script >"$T/s7c.out" <<'S'
< 220
> EHLO c
< 250
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<datareject@lg.example.jp>
< 250
> DATA
< 354
> Subject: refused
>
> .
< 554 5.6.0
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<after@lg.example.jp>
< 250
> DATA
< 354
> Subject: after a refusal
>
> .
< 250 2.0.0
> QUIT
< 221
S
check "next hop 554 at DATA relayed; the next transaction still works" test $? -eq 0 || cat "$T/s7c.out"

# 8. Reload (SIGHUP): only 10.0.0.0/8 allowed now -> 554; connections stay up.
# Waits on facts, not sleeps: the held session is in before the reload
# starts, the reload has finished before anyone checks, and the held
# session speaks again only after it.
reloads=$(grep -c "smtp reloaded" "$T/mugai.log")
script >"$T/s8.out" <<S &
< 220
> EHLO before.reload
< 250
touch $T/s8.in
waitfile $T/s8.reloaded
> NOOP
< 250
> QUIT
< 221
S
held=$!
for i in $(seq 1 600); do [ -e "$T/s8.in" ] && break; sleep 0.1; done
write_conf "$CONF" "${base[@]}" allowed-clients=10.0.0.0/8
kill -HUP "$MUGAI_PID"
check "the reload is logged" wait_log $((reloads + 1)) "smtp reloaded"
touch "$T/s8.reloaded"
script >"$T/s8b.out" <<'S'
< 554 5.7.1
> EHLO c
< 503 5.7.1
> QUIT
< 221
S
check "after reload a disallowed client gets 554 5.7.1" test $? -eq 0
wait "$held"
check "a session open across the reload keeps working" test $? -eq 0
write_conf "$CONF" "${base[@]}"
reload_smtp

# 9. Logs: one line per session, one audit line per message.
check "session log lines" grep -q "smtp session client=127.0.0.1" "$T/mugai.log"
check "audit lines carry client, envelope and next hop reply" \
    grep -q '"client":"127.0.0.1".*"from":"sender@example.com","rcpt":\["user@lg.example.jp"\].*"next_hop_reply":"250 2.0.0 Ok: queued as' "$T/audit.log"
check "the smtp audit lines keep the audit hash chain intact" "$MUGAI" audit verify "$T/audit.log"

# 10. SMTPUTF8 only when the next hop offers it (learnt from its EHLO).
script >"$T/s10.out" <<'S'
< 220
> EHLO c
< 250 (?s)^(?!.*SMTPUTF8)
> MAIL FROM:<ü@example.com> SMTPUTF8
< 451 4.6.7
S
check "next hop without SMTPUTF8: not offered, and refused with 4xx" test $? -eq 0
stop_pid "$SINK_PID"
SINK_PORT_WANT=$SINK_PORT start_sink sink1 --smtputf8
"${SW[@]}" --to user@lg.example.jp >/dev/null 2>&1 # learns the capability
python3 - "$MUGAI_PORT" >"$T/s10b.out" <<'P'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def rd():
    out = b""
    while True:
        l = f.readline(); out += l
        if l[3:4] != b"-": return out.decode("utf-8", "replace")
rd(); s.sendall(b"EHLO c\r\n"); print(rd().strip())
s.sendall("MAIL FROM:<山田@例え.jp> SMTPUTF8\r\n".encode()); print(rd().strip())
s.sendall("RCPT TO:<太郎@lg.example.jp>\r\n".encode()); print(rd().strip())
P
check "next hop with SMTPUTF8: offered, UTF-8 envelope accepted" \
    bash -c "grep -q '^250 SMTPUTF8' '$T/s10b.out' && [ \$(grep -c '^250 2.1' '$T/s10b.out') = 2 ]"

# 10b. Faults at the next hop (issue 11): it hangs, or it drops the
# connection in the middle of DATA. Either way the client gets a 4xx (keeps
# the message) and nothing is delivered.
main_sink_port=$SINK_PORT
start_sink hang --hang
write_conf "$CONF" "${base[@]}" next-hop=127.0.0.1:$SINK_PORT next-hop-timeout=2s
reload_smtp
t0=$SECONDS
out=$("${SW[@]}" --to user@lg.example.jp 2>&1)
check "hung next hop: MAIL gets 451 4.4.1 after next-hop-timeout" grep -q "<\*\* *451 4.4.1" <<<"$out"
check "hung next hop: the answer comes within the timeout (not the client's)" test $((SECONDS - t0)) -le 10
stop_pid "$SINK_PID"
start_sink resetter --reset-in-data
write_conf "$CONF" "${base[@]}" next-hop=127.0.0.1:$SINK_PORT next-hop-timeout=2s
reload_smtp
out=$("${SW[@]}" --to user@lg.example.jp --header "Subject: reset" 2>&1)
echo "$out" >"$T/swaks-reset.out"
check "next hop resets mid-DATA: client gets 451" grep -q "<\*\* *451 4.4.2" "$T/swaks-reset.out"
check "next hop resets mid-DATA: nothing stored there" test "$(count_files "$SINK_DIR/out")" -eq 0
stop_pid "$SINK_PID"
write_conf "$CONF" "${base[@]}" next-hop=127.0.0.1:$main_sink_port
reload_smtp
out=$("${SW[@]}" --to user@lg.example.jp 2>&1)
echo "$out" >"$T/swaks-back.out"
check "back to the working next hop after a reload" grep -q "<-  250 2.0.0" "$T/swaks-back.out"

# 11. SIGTERM drain: an idle session hears 421 at once; a session inside a
# transaction may finish it before the deadline (3 s here); one still open
# at the deadline hears 421; then mugai exits 0.
script >"$T/s11.out" <<'S' &
< 220
> EHLO c
< 250
< 421 4.3.2
<eof
S
idle=$!
script >"$T/s11b.out" <<'S' &
< 220
> EHLO c
< 250
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<drain@lg.example.jp>
< 250
sleep 1.5
> DATA
< 354
> Subject: finished while draining
>
> body
> .
< 250 2.0.0
close
S
busy=$!
script >"$T/s11c.out" <<'S' &
< 220
> EHLO c
< 250
> MAIL FROM:<a@example.com>
< 250
> RCPT TO:<stuck@lg.example.jp>
< 250
< 421 4.3.2
<eof
S
stuck=$!
# All three sessions must be inside mugai before the signal.
est() { [ "$(ss -Htn state established "( sport = :$MUGAI_PORT )" | wc -l)" -ge 3 ]; }
for i in $(seq 1 50); do est && break; sleep 0.1; done
sleep 0.5
kill -TERM "$MUGAI_PID"
wait "$idle"
check "SIGTERM: idle session gets 421 4.3.2" test $? -eq 0
wait "$busy"
check "SIGTERM: a transaction in flight finishes with 250" test $? -eq 0 || cat "$T/s11b.out"
wait "$stuck"
check "SIGTERM: a transaction still open at drain-timeout gets 421 4.3.2" test $? -eq 0 || cat "$T/s11c.out"
check "SIGTERM: new connections are refused while draining" \
    bash -c "! python3 -c \"import socket; socket.create_connection(('127.0.0.1', $MUGAI_PORT), 1)\" 2>/dev/null"
wait "$MUGAI_PID"
check "SIGTERM: mugai exits 0" test $? -eq 0

[ "$FAILS" -eq 0 ] || { echo "--- mugai log"; tail -50 "$T/mugai.log"; exit 1; }
