#!/bin/bash
# The ICAP service against c-icap-client (the c-icap project's own client):
# OPTIONS, RESPMOD of clean / sanitizable / blocked files, with and without
# preview, with and without 204, gzip and deflate bodies, REQMOD, ICAPS;
# plus raw-socket checks for what c-icap-client cannot send (206, 404, 405).
. "$(dirname "$0")/icap_lib.sh"
need c-icap-client
need openssl

ICAP_PORT=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -days 2 -subj "/CN=127.0.0.1" >/dev/null 2>&1 || { not_ok "make a test certificate"; exit 1; }
write_conf "$T/mugai.conf" listen=127.0.0.1:$ICAP_PORT max-body-size=1M
check "--check-config accepts the test config" "$MUGAI" serve -c "$T/mugai.conf" --check-config
write_conf "$T/bad.conf" listen=127.0.0.1:$ICAP_PORT preview-size=lots
check "--check-config refuses a bad [icap] value" bash -c "! '$MUGAI' serve -c '$T/bad.conf' --check-config 2>/dev/null"
start_mugai "$T/mugai.conf"

CI=(c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s respmod)
# run NAME ARGS...: c-icap-client with -v, headers to $T/NAME.out, body to $T/NAME.body
run() { local n=$1; shift; rm -f "$T/$n.body"; "${CI[@]}" -v -o "$T/$n.body" "$@" >"$T/$n.out" 2>&1; }
has() { grep -q -- "$2" "$T/$1.out"; }
body_has() { grep -q -- "$2" "$T/$1.body"; }

# OPTIONS
"${CI[@]}" -v >"$T/opt.out" 2>&1
check "OPTIONS: 200 with Methods: RESPMOD" has opt "Methods: RESPMOD"
check "OPTIONS: ISTag" has opt 'ISTag: "mugai-'
check "OPTIONS: Allow: 204, Preview, Transfer-Preview, Max-Connections, Options-TTL" \
    bash -c "grep -q 'Allow: 204' '$T/opt.out' && grep -q 'Preview: 4096' '$T/opt.out' && grep -q 'Transfer-Preview: \*' '$T/opt.out' && grep -q 'Max-Connections: 100' '$T/opt.out' && grep -q 'Options-TTL: 3600' '$T/opt.out'"
c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s reqmod -v >"$T/optq.out" 2>&1
check "OPTIONS on /reqmod: Methods: REQMOD" has optq "Methods: REQMOD"

# Clean text: 204, with and without preview
run clean -f "$FX/clean.txt" -resp http://origin.test/clean.txt
check "clean text: 204" has clean "ICAP/1.0 204"
run cleannp -f "$FX/clean.txt" -resp http://origin.test/clean.txt -nopreview
check "clean text without preview: 204 (Allow: 204)" has cleannp "ICAP/1.0 204"
run clean204 -f "$FX/clean20k.txt" -resp http://origin.test/clean20k.txt -no204
check "clean text, 204 not allowed outside preview: 200 echo" has clean204 "ICAP/1.0 200"
check "  the echoed body is the original" cmp -s "$FX/clean20k.txt" "$T/clean204.body"

# HTML: turned into text (200), headers corrected
for mode in preview nopreview; do
    args=(); [ $mode = nopreview ] && args=(-nopreview)
    run html$mode -f "$FX/page.html" -resp http://origin.test/page.html "${args[@]}" -rhx "Content-Type: text/html" -rhx 'ETag: "abc"'
    check "HTML ($mode): 200 sanitized" has html$mode "X-Mugai-Verdict: sanitized"
    check "  Content-Type text/plain from the sanitizer" has html$mode "Content-Type: text/plain; charset=utf-8"
    check "  renamed: Content-Disposition filename page.txt" has html$mode 'filename="page.txt"'
    check "  ETag removed" bash -c "! grep -q 'ETag' '$T/html$mode.out'"
    check "  script gone, Japanese text kept" bash -c "! grep -q 'evil.example' '$T/html$mode.body' && grep -q '住民説明会' '$T/html$mode.body'"
    check "  Content-Length matches the body" bash -c "grep -q \"Content-Length: \$(stat -c %s '$T/html$mode.body')\" '$T/html$mode.out'"
done

# Executable: 403 page in Japanese
run exe -f "$FX/setup.exe" -resp http://origin.test/dl/setup.exe
check "exe: 200 with an HTTP 403 page" has exe "HTTP/1.1 403 Forbidden"
check "  page is Japanese UTF-8 HTML with the job id" bash -c "grep -q 'ダウンロードを遮断しました' '$T/exe.body' && grep -q 'ジョブ ID' '$T/exe.body' && grep -q \"\$(sed -n 's/.*X-Mugai-Job: //p' '$T/exe.out' | tr -d '\r')\" '$T/exe.body'"
check "  page names the file and the reason" bash -c "grep -q 'setup.exe' '$T/exe.body' && grep -q '理由' '$T/exe.body'"
run exenp -f "$FX/setup.exe" -resp http://origin.test/dl/setup.exe -nopreview
check "exe without preview: 403 page" has exenp "HTTP/1.1 403 Forbidden"
run exehtml -f "$FX/setup.exe" -resp 'http://origin.test/<script>x.exe'
check "  the URL on the page is HTML-escaped" bash -c "grep -q '&lt;script&gt;' '$T/exehtml.body' && ! grep -q '<script>' '$T/exehtml.body'"

# PDF with JavaScript (corpus): 200, rebuilt without JavaScript
PDF=$CORPUS/pdf/pdfjs_doc_actions.pdf
if [ -f "$PDF" ] && "$MUGAI" version 2>/dev/null | grep -q ' pdf/'; then
    run pdf -f "$PDF" -resp http://origin.test/doc_actions.pdf -rhx "Content-Type: application/pdf"
    check "PDF with JavaScript: 200 sanitized" has pdf "X-Mugai-Verdict: sanitized"
    check "  the result is a PDF without /JavaScript" bash -c "head -c 5 '$T/pdf.body' | grep -q '%PDF-' && ! grep -aq '/JavaScript' '$T/pdf.body'"
else
    echo "note: PDF sanitizer or corpus not available, PDF case not run"
fi

# A macro-enabled Word file (corpus): 200, renamed .docx, macro gone, type corrected
DOCM=$CORPUS/ooxml/ot_oleform-PR314.docm
if [ -f "$DOCM" ] && "$MUGAI" version 2>/dev/null | grep -q ' ooxml/'; then
    run docm -f "$DOCM" -resp http://origin.test/report.docm -rhx "Content-Type: application/vnd.ms-word.document.macroEnabled.12"
    check ".docm: 200 sanitized, renamed report.docx" bash -c "grep -q 'X-Mugai-Verdict: sanitized' '$T/docm.out' && grep -q 'filename=\"report.docx\"' '$T/docm.out'"
    check "  Content-Type is the macro-free one" grep -q "Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document" "$T/docm.out"
    check "  no vbaProject in the package" bash -c "python3 -c \"import zipfile,sys; sys.exit(any('vba' in n.lower() for n in zipfile.ZipFile('$T/docm.body').namelist()))\""
else
    echo "note: OOXML sanitizer or corpus not available, .docm case not run"
fi

# PNG: the preview fast path says 204
run png -f "$FX/photo.png" -resp http://origin.test/photo.png -rhx "Content-Type: image/png"
check "PNG: 204 decided from the preview" has png "ICAP/1.0 204"
check "  logged as fast-path" grep -q "RESPMOD -> 204 fast-path url=http://origin.test/photo.png" "$T/mugai.log"
run pngexe -f "$FX/setup.exe" -resp http://origin.test/photo.png -rhx "Content-Type: image/png"
check "an exe labelled image/png: not fast-pathed, blocked" has pngexe "HTTP/1.1 403"

# Content-Encoding
run gz -f "$FX/page.html.gz" -resp http://origin.test/page.html -rhx "Content-Type: text/html" -rhx "Content-Encoding: gzip"
check "gzip HTML: decoded and sanitized (200)" has gz "X-Mugai-Verdict: sanitized"
check "  Content-Encoding removed, body is plain text" bash -c "! grep -q 'Content-Encoding' '$T/gz.out' && grep -q '住民説明会' '$T/gz.body'"
run gzclean -f "$FX/clean.txt.gz" -resp http://origin.test/clean.txt -rhx "Content-Type: text/plain" -rhx "Content-Encoding: gzip"
check "gzip clean text: 204" has gzclean "ICAP/1.0 204"
run zz -f "$FX/page.html.zz" -resp http://origin.test/page.html -rhx "Content-Encoding: deflate" -nopreview
check "deflate HTML: decoded and sanitized" has zz "X-Mugai-Verdict: sanitized"
run badgz -f "$FX/bad.gz" -resp http://origin.test/page.html -rhx "Content-Encoding: gzip"
check "corrupt gzip: blocked" has badgz "HTTP/1.1 403"
run zstd -f "$FX/clean.txt" -resp http://origin.test/clean.txt -rhx "Content-Encoding: zstd"
check "unknown encoding (zstd): blocked" has zstd "HTTP/1.1 403"

# Size limit (1M here): blocked, never passed. Without preview: the whole
# body is read (and dropped past the limit). With a preview, mugai answers
# from the preview (Content-Length), which c-icap-client 0.5 does not print
# (it stops at "Preview response was with status: 200"); icap_proto.py and
# the Squid test check that path.
run huge -f "$FX/huge.txt" -resp http://origin.test/huge.txt -nopreview
check "2 MB body over max-body-size: 403 page" has huge "HTTP/1.1 403"
check "  reason is the size limit" grep -q "reason=limit-size" "$T/mugai.log"

# REQMOD: an upload is sanitized; a blocked upload gets a 403 response
c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s reqmod -req http://origin.test/upload/page.html -method POST \
    -f "$FX/page.html" -v -o "$T/rq.body" >"$T/rq.out" 2>&1
check "REQMOD HTML upload: 200, request rebuilt" bash -c "grep -q 'X-Mugai-Verdict: sanitized' '$T/rq.out' && grep -q '住民説明会' '$T/rq.body' && ! grep -q evil.example '$T/rq.body'"
c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s reqmod -req http://origin.test/upload/setup.exe -method POST \
    -f "$FX/setup.exe" -v -o "$T/rqx.body" >"$T/rqx.out" 2>&1
check "REQMOD exe upload: HTTP 403 response" bash -c "grep -q 'HTTP/1.1 403' '$T/rqx.out' && grep -q 'アップロードを遮断しました' '$T/rqx.body'"

# Raw-socket protocol checks (206, 404, 405, 501, preview ieof, persistence)
check "raw protocol checks" python3 "$HERE/icap_proto.py" "$ICAP_PORT" "$FX"

# Audit and quarantine
check "audit lines written (one per engine job)" bash -c "[ \$(wc -l < '$T/audit.log') -ge 10 ]"
check "quarantine holds the originals of sanitized and blocked bodies" bash -c "ls '$T/quarantine/records/'*.ini >/dev/null 2>&1 && grep -rq 'origin.test' '$T/quarantine/records/'"

# SIGHUP reload with a changed policy: the ISTag changes (Squid then drops
# what it cached from the old policy); the old connection's requests still work.
istag() { sed -n 's/^[[:space:]]*ISTag: //p' "$1" | tr -d '\r'; }
export -f istag
echo "options-ttl = 10m" >>"$T/mugai.conf"
printf '[types]\nimage = block\n' >>"$T/mugai.conf"
kill -HUP "$MUGAI_PID"
for i in $(seq 1 30); do grep -q "icap reloaded" "$T/mugai.log" && break; sleep 0.1; done
"${CI[@]}" -v >"$T/opt2.out" 2>&1
check "SIGHUP: new ISTag and Options-TTL after a policy change" \
    bash -c "[ -n \"\$(istag '$T/opt.out')\" ] && [ \"\$(istag '$T/opt.out')\" != \"\$(istag '$T/opt2.out')\" ] && grep -q 'Options-TTL: 600' '$T/opt2.out'"
run pngblock -f "$FX/photo.png" -resp http://origin.test/photo.png -rhx "Content-Type: image/png"
check "  and the new policy applies (image = block: PNG now blocked)" has pngblock "HTTP/1.1 403"

# ICAPS (TLS on the whole listener)
stop_pid "$MUGAI_PID"
write_conf "$T/tls.conf" listen=127.0.0.1:$ICAP_PORT tls-cert=$T/cert.pem tls-key=$T/key.pem
start_mugai "$T/tls.conf"
c-icap-client -tls -tls-no-verify -i 127.0.0.1 -p "$ICAP_PORT" -s respmod -f "$FX/page.html" \
    -resp http://origin.test/page.html -v -o "$T/tls.body" >"$T/tls.out" 2>&1
check "ICAPS: HTML sanitized over TLS" grep -q "X-Mugai-Verdict: sanitized" "$T/tls.out"
check "mugai still running" kill -0 "$MUGAI_PID"
finish
