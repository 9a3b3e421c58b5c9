#!/usr/bin/env bash
# Benchmark (not part of meson test): peak RSS and time of `mugai mail` on
# a message with a 30 MB attachment. Fails when the peak RSS passes LIMIT_KB
# (default 10 x the message size: the current bound, see doc/mail.md).
# Usage: MUGAI=build/src/cli/mugai tests/bench/mail_rss.sh
set -euo pipefail
: "${MUGAI:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 - "$T/big.eml" <<'PY'
import os, sys
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.base import MIMEBase
from email import encoders
m = MIMEMultipart()
m["Subject"] = "30 MB"
m.attach(MIMEText("大きな添付ファイル\n", "plain", "utf-8"))
a = MIMEBase("text", "csv")
a.set_payload(b"".join(b"%d,\xe3\x81\x82\xe3\x81\x84,row\r\n" % i for i in range(1400000)))
encoders.encode_base64(a)
a.add_header("Content-Disposition", "attachment", filename="big.csv")
m.attach(a)
open(sys.argv[1], "wb").write(m.as_bytes())
PY
printf '[general]\nquarantine-dir = %s/q\nlog-level = error\n' "$T" > "$T/c.conf"
size_kb=$(( $(stat -c %s "$T/big.eml") / 1024 ))
limit=${LIMIT_KB:-$(( size_kb * 10 ))}
/usr/bin/time -f "%e %M" -o "$T/time" "$MUGAI" mail -c "$T/c.conf" "$T/big.eml" -o "$T/out.eml" || true
read -r secs rss < "$T/time"
echo "message ${size_kb} KB: ${secs} s, peak RSS ${rss} KB (limit ${limit} KB)"
[ "$rss" -le "$limit" ]
