#!/bin/bash
# Operations around `mugai serve`: the /metrics endpoint scraped with curl
# and parsed, the audit chain of SMTP jobs (message + item lines) verified,
# the quarantined original of a sanitized mail listed, shown, released to a
# file and re-sent by mail (--to) to a local sink, the release audited.
. "$(dirname "$0")/smtp_lib.sh"
need swaks
need curl

start_sink sink1
MUGAI_PORT=$(free_port)
METRICS_PORT=$(free_port)
CONF=$T/mugai.conf
write_conf "$CONF" listen=127.0.0.1:$MUGAI_PORT next-hop=127.0.0.1:$SINK_PORT hostname=mugai.test \
    relay-domains=lg.example.jp drain-timeout=3s
printf '[metrics]\nlisten = 127.0.0.1:%s\n' "$METRICS_PORT" >>"$CONF"
start_mugai "$CONF"
wait_port "$METRICS_PORT" 10 || { not_ok "metrics port open"; cat "$T/mugai.log"; exit 1; }

SW=(swaks --server 127.0.0.1:$MUGAI_PORT --from sender@example.com --helo client.example)
"${SW[@]}" --to user@lg.example.jp --header "Subject: plain" --body "just text" >"$T/sw1.out" 2>&1
check "plain message relayed" grep -q "<-  250 2.0.0 Ok" "$T/sw1.out"
printf 'MZ\x90\x00 pretend program\n' >"$T/tool.exe"
"${SW[@]}" --to user@lg.example.jp --header "Subject: with program" --body "see attachment" \
    --attach-type application/octet-stream --attach-name tool.exe --attach @"$T/tool.exe" >"$T/sw2.out" 2>&1
check "message with a program relayed (sanitized)" grep -q "<-  250 2.0.0 Ok: sanitized" "$T/sw2.out"

# --- metrics
curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" -o "$T/metrics.txt"
check "curl /metrics" test -s "$T/metrics.txt"
check "/metrics is text/plain version 0.0.4" bash -c \
    "curl -sSi 'http://127.0.0.1:$METRICS_PORT/metrics' | tr -d '\r' | grep -qi '^Content-Type: text/plain; version=0.0.4'"
check "/other is 404" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$METRICS_PORT/other)\" = 404 ]"
check "POST is 405" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:$METRICS_PORT/metrics)\" = 405 ]"
python3 - "$T/metrics.txt" >"$T/metrics.check" 2>&1 <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
samples, types = {}, {}
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf|NaN)$')
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ", 3)
        types[name] = typ
        continue
    if line.startswith("#") or not line:
        continue
    m = line_re.match(line)
    assert m, "not a sample line: %r" % line
    labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
    samples.setdefault(m.group(1), []).append((labels, float(m.group(3))))
def total(name, **want):
    return sum(v for l, v in samples.get(name, []) if all(l.get(k) == x for k, x in want.items()))
fails = []
def expect(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: fails.append(what)
expect(types.get("mugai_jobs_total") == "counter", "jobs_total is a counter")
expect(total("mugai_jobs_total", type="mail") >= 2, "two mail jobs counted")
expect(total("mugai_jobs_total", type="mail", verdict="sanitized") >= 1, "a sanitized mail counted")
expect(total("mugai_bytes_in_total") > 0 and total("mugai_bytes_out_total") > 0, "bytes in and out counted")
for st in ("receive", "sanitize", "relay"):
    b = [(l["le"], v) for l, v in samples["mugai_stage_duration_seconds_bucket"] if l["stage"] == st]
    vals = [v for _, v in b]
    expect(vals == sorted(vals), st + " buckets are cumulative")
    expect(b[-1][0] == "+Inf" and b[-1][1] == total("mugai_stage_duration_seconds_count", stage=st),
           st + " +Inf bucket equals the count")
    expect(total("mugai_stage_duration_seconds_count", stage=st) >= 2, st + " observed twice")
expect(types.get("mugai_stage_duration_seconds") == "histogram", "stage durations are a histogram")
expect(total("mugai_worker_restarts_total") == 0 and "mugai_worker_restarts_total" in samples, "worker restarts exposed (0)")
expect("mugai_queue_depth" in samples and "mugai_jobs_in_flight" in samples, "queue depth and in-flight gauges")
expect(total("mugai_jobs_in_flight") == 0, "nothing in flight after the jobs")
expect(total("mugai_next_hop_errors_total") == 0, "no next-hop errors yet")
expect("mugai_signature_db_system" in samples, "signature database gauge")
if total("mugai_signature_db_system") == 1:
    expect(total("mugai_signature_db_age_seconds") >= 0, "system db age")
else:
    expect("mugai_signature_db_age_seconds" not in samples, "no age without a system db")
sys.exit(1 if fails else 0)
PY
rc=$?
cat "$T/metrics.check"
check "metrics parse and add up" test "$rc" -eq 0

# --- audit trail of the SMTP jobs
check "audit chain intact" "$MUGAI" audit verify "$T/audit.log"
check "audit has the two smtp job lines" test "$(grep -c '"type":"job","smtp":{' "$T/audit.log")" -eq 2
check "audit has item lines for the attachment" grep -q '"type":"item".*"path":"[^"]*tool.exe"' "$T/audit.log"

# --- quarantine: the sanitized mail's original
"$MUGAI" quarantine -c "$CONF" list --json >"$T/q.json"
ID=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r[0]["id"] if len(r)==1 else "")' "$T/q.json")
check "exactly one quarantined original (the sanitized mail)" test -n "$ID"
check "show names the envelope" bash -c "'$MUGAI' quarantine -c '$CONF' show '$ID' | grep -q 'sender@example.com'"
"$MUGAI" quarantine -c "$CONF" release "$ID" -o "$T/orig.eml" 2>>"$T/release.log"
check "release -o writes the original with the program" grep -q "tool.exe" "$T/orig.eml"
check "release -o is audited" grep -q '"type":"release".*"file":"[^"]*orig.eml".*"ok":true' "$T/audit.log"
check "release needs -o or --to" bash -c "! '$MUGAI' quarantine -c '$CONF' release '$ID' 2>/dev/null"
check "release --to refuses a bad address" bash -c "! '$MUGAI' quarantine -c '$CONF' release '$ID' --to 'not an address' 2>/dev/null"
before=$(count_files "$SINK_DIR/out")
"$MUGAI" quarantine -c "$CONF" release "$ID" --to admin@lg.example.jp >"$T/rel.out" 2>>"$T/release.log"
check "release --to exits 0" test $? -eq 0
after=$(count_files "$SINK_DIR/out")
check "the sink received one more message" test "$after" -eq $((before + 1))
last=$(ls -t "$SINK_DIR/out"/*.eml | head -1)
check "released to the given recipient" grep -q "X-Sink-To: <admin@lg.example.jp>" "$last"
check "from the original envelope sender" grep -q "X-Sink-From: <sender@example.com>" "$last"
check "with the trace header" grep -q "^X-Mugai-Released: job=$ID" "$last"
# The original attachment, byte for byte: the base64 body part as sent.
b64=$(base64 -w0 "$T/tool.exe")
check "with the ORIGINAL attachment" bash -c "tr -d '\r\n' <'$last' | grep -qF '$b64'"
check "release audited in the chain" bash -c "grep -q '\"type\":\"release\".*\"rcpt\":\"admin@lg.example.jp\".*\"ok\":true' '$T/audit.log' && '$MUGAI' audit verify '$T/audit.log' >/dev/null"

# --- a reload keeps the endpoint
kill -HUP "$MUGAI_PID"
sleep 1
check "metrics after SIGHUP" bash -c "curl -fsS http://127.0.0.1:$METRICS_PORT/metrics 2>/dev/null | grep -q '^mugai_jobs_total'"

# --- next hop down: counted
stop_pid "$SINK_PID"
"${SW[@]}" --to user@lg.example.jp --header "Subject: nowhere" --body "x" >/dev/null 2>&1
check "next-hop error counted" bash -c "curl -fsS http://127.0.0.1:$METRICS_PORT/metrics 2>/dev/null | grep -q '^mugai_next_hop_errors_total [1-9]'"

stop_pid "$MUGAI_PID"
echo "$FAILS failures"
[ "$FAILS" -eq 0 ]
