#!/bin/bash
# Squid as a real proxy in front of a local HTTP origin, with mugai as its
# ICAP RESPMOD service: `curl -x` downloads get the same outcomes as
# c-icap-client (clean 204, HTML turned into text, exe blocked with the 403
# page, PDF rebuilt, gzip decoded, 206 blocked). Squid runs with a private
# configuration in the temp dir on ephemeral ports.
. "$(dirname "$0")/icap_lib.sh"
need squid
need curl

ICAP_PORT=$(free_port)
write_conf "$T/mugai.conf" listen=127.0.0.1:$ICAP_PORT max-body-size=1M
start_mugai "$T/mugai.conf"

# Origin
cp "$FX/clean.txt" "$FX/page.html" "$FX/setup.exe" "$FX/photo.png" "$FX/huge.txt" "$T/"
mkdir -p "$T/www"
cp "$FX/clean.txt" "$FX/page.html" "$FX/setup.exe" "$FX/photo.png" "$FX/huge.txt" "$T/www/"
cp "$FX/page.html.gz" "$T/www/zipped.html.gz"
PDF=$CORPUS/pdf/pdfjs_doc_actions.pdf
[ -f "$PDF" ] && cp "$PDF" "$T/www/doc.pdf"
python3 "$HERE/icap_origin.py" "$T/www" "$T/origin.port" 2>"$T/origin.log" &
PIDS+=($!)
for i in $(seq 1 50); do [ -s "$T/origin.port" ] && break; sleep 0.1; done
ORIGIN=$(cat "$T/origin.port")

# Squid (as root it switches to the proxy user: the temp dir must be writable for it)
SQUID_PORT=$(free_port)
mkdir -p "$T/squid"
chmod 777 "$T/squid"
chmod 755 "$T"
cat >"$T/squid/squid.conf" <<CONF
http_port 127.0.0.1:$SQUID_PORT
pid_filename $T/squid/squid.pid
cache_log $T/squid/cache.log
access_log stdio:$T/squid/access.log
coredump_dir $T/squid
cache deny all
cache_mem 8 MB
shutdown_lifetime 1 second
visible_hostname mugai-test
http_access allow localhost
http_access deny all
icap_enable on
icap_preview_enable on
icap_preview_size 4096
icap_send_client_ip on
icap_service mugai_resp respmod_precache icap://127.0.0.1:$ICAP_PORT/respmod bypass=off
adaptation_access mugai_resp allow all
icap_service mugai_req reqmod_precache icap://127.0.0.1:$ICAP_PORT/reqmod bypass=off
adaptation_access mugai_req allow all
CONF
check "squid accepts the configuration" squid -k parse -f "$T/squid/squid.conf"
squid -N -f "$T/squid/squid.conf" >"$T/squid/stdout" 2>&1 &
SQUID_PID=$!
PIDS+=($SQUID_PID)
wait_port "$SQUID_PORT" 20 || { echo "squid did not start"; cat "$T/squid/cache.log"; exit 1; }

get() { # name path [curl args]
    local n=$1 p=$2; shift 2
    curl -s -x "http://127.0.0.1:$SQUID_PORT" -D "$T/$n.h" -o "$T/$n.b" "$@" "http://127.0.0.1:$ORIGIN/$p"
}
status() { head -1 "$T/$1.h" | awk '{print $2}'; }
export T FX; export -f status

get clean clean.txt
check "clean text through Squid: 200, unchanged" bash -c "[ \$(status clean) = 200 ] && cmp -s '$FX/clean.txt' '$T/clean.b'"
check "  answered 204 by mugai" grep -q "RESPMOD -> 204 clean url=http://127.0.0.1:$ORIGIN/clean.txt" "$T/mugai.log"
get png photo.png
check "PNG through Squid: unchanged (fast path)" bash -c "[ \$(status png) = 200 ] && cmp -s '$FX/photo.png' '$T/png.b'"
get html page.html
check "HTML through Squid: sanitized text" bash -c "[ \$(status html) = 200 ] && grep -qi 'X-Mugai-Verdict: sanitized' '$T/html.h' && grep -q '住民説明会' '$T/html.b' && ! grep -q evil.example '$T/html.b'"
check "  Content-Type text/plain, ETag gone" bash -c "grep -qi 'Content-Type: text/plain; charset=utf-8' '$T/html.h' && ! grep -qi '^ETag' '$T/html.h'"
get exe setup.exe
check "exe through Squid: 403 page in Japanese" bash -c "[ \$(status exe) = 403 ] && grep -q 'ダウンロードを遮断しました' '$T/exe.b'"
get gz zipped.html --compressed
check "gzip-encoded HTML through Squid: decoded, sanitized, no Content-Encoding" bash -c "[ \$(status gz) = 200 ] && ! grep -qi 'Content-Encoding' '$T/gz.h' && grep -q '住民説明会' '$T/gz.b'"
get range page.html -r 0-20
check "Range request (206) of HTML: blocked" bash -c "[ \$(status range) = 403 ]"
get huge huge.txt
check "2 MB over max-body-size: 403 (decided from the preview's Content-Length)" bash -c "[ \$(status huge) = 403 ]"
if [ -f "$T/www/doc.pdf" ] && "$MUGAI" version 2>/dev/null | grep -q ' pdf/'; then
    get pdf doc.pdf
    check "PDF with JavaScript through Squid: rebuilt without /JavaScript" bash -c "[ \$(status pdf) = 200 ] && head -c 5 '$T/pdf.b' | grep -q '%PDF-' && ! grep -aq '/JavaScript' '$T/pdf.b'"
fi
# Uploads (REQMOD): a clean form upload reaches the origin; an exe does not.
curl -s -x "http://127.0.0.1:$SQUID_PORT" -D "$T/up1.h" -o "$T/up1.b" -F "file=@$FX/clean.txt;type=text/plain" -F note=hello "http://127.0.0.1:$ORIGIN/upload"
check "clean form upload through Squid reaches the origin" bash -c "[ \$(status up1) = 200 ] && grep -q 'received' '$T/up1.b'"
curl -s -x "http://127.0.0.1:$SQUID_PORT" -D "$T/up2.h" -o "$T/up2.b" -F "file=@$FX/setup.exe;type=application/octet-stream" "http://127.0.0.1:$ORIGIN/upload"
check "exe form upload through Squid: 403 page, origin never sees it" bash -c "[ \$(status up2) = 403 ] && grep -q 'アップロードを遮断しました' '$T/up2.b' && ! grep -q 'received' '$T/up2.b'"
get clean2 clean.txt
check "Squid keeps using the ICAP service (persistent connection)" bash -c "[ \$(status clean2) = 200 ]"
check "Squid saw no ICAP errors" bash -c "! grep -qi 'icap.*\(error\|fail\|suspend\)' '$T/squid/cache.log'"
check "mugai still running" kill -0 "$MUGAI_PID"
stop_pid "$SQUID_PID"
finish
