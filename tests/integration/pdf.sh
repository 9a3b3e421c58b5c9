#!/bin/bash
# Integration test for the pdf sanitizer. Generates the fixtures
# (tests/fixtures/gen_pdf.py), takes the real samples in
# ../shared/corpus/pdf, disarms each one and checks the output three ways:
# our own key counter (tests/fixtures/pdf_keys.py, no qpdf) finds nothing,
# pdfinfo opens it, pdftotext gives the same text as the original. Also
# checks that the counter does see the active content in the inputs, the
# reported actions, the link policies, extraction and determinism.
#
# Everything goes through `mugai sanitize` (engine: type detection, scans,
# the pdf sanitizer, verification); the byte-exact extraction check also uses
# mg-pdf-disarm, a driver over the disarm core alone.
set -u

src=${MG_SOURCE_ROOT:?}
build=${MG_BUILD_ROOT:?}
for t in python3 pdfinfo pdftotext qpdf; do
    if ! command -v "$t" >/dev/null; then
        echo "skip: $t is not installed (tests/deps.txt)"
        exit 77
    fi
done
drv=$build/sanitizers/pdf/mg-pdf-disarm
keys=$src/tests/fixtures/pdf_keys.py
work=$build/tests/pdf-work
rm -rf "$work"
mkdir -p "$work/in" "$work/out" "$work/extract"
python3 "$src/tests/fixtures/gen_pdf.py" "$work/in" || { echo "FAIL: gen_pdf.py"; exit 1; }

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# disarm IN OUT [--uri MODE] [--extract DIR]: runs `mugai sanitize` on IN
# with a [pdf] section made from the options, moves the rebuilt file to OUT
# and writes OUT.log from the JSON report: one "keyword<TAB>detail" line per
# action, "child<TAB>name<TAB>verdict" per child item, and a last line
# "status<TAB>ok" (sanitized) or "status<TAB><reason keyword><TAB>detail".
# Returns mugai's exit status (0 rebuilt, 1 blocked).
disarm() {
    local in=$1 out=$2 uri=keep files=remove
    shift 2
    while [ $# -gt 0 ]; do
        case $1 in
        --uri) uri=$2 ;;
        --extract) files=extract ;;
        esac
        shift 2
    done
    local tmp
    tmp=$(mktemp -d -p "$work")
    printf '[pdf]\nuri = %s\nembedded-files = %s\n' "$uri" "$files" >"$tmp/mugai.conf"
    timeout 120 "$MUGAI" sanitize -q -c "$tmp/mugai.conf" -o "$tmp/out" -r "$tmp/report.json" \
        "$in" >"$out.stdout" 2>"$out.err"
    local rc=$?
    python3 - "$tmp/report.json" >"$out.log" <<'PY'
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]["report"]
root = job["root"]
for a in root.get("actions", []):
    print("%s\t%s" % (a["action"], a["detail"] or ""))
for c in root.get("children", []):
    print("child\t%s\t%s" % (c["name"], c["verdict"]))
if root["verdict"] == "sanitized":
    print("status\tok")
else:
    print("status\t%s\t%s" % (root["reason"], root.get("detail") or ""))
PY
    [ -f "$tmp/out/$(basename "$in")" ] && mv "$tmp/out/$(basename "$in")" "$out"
    # mugai's own log lines are expected (the clamav notice); anything else
    # on stderr (a qpdf warning, say) is a failure.
    if grep -vqE ' mugai\[[0-9]+\]: level=' "$out.err"; then
        fail "$(basename "$in"): something was printed on stderr: $(grep -vE ' mugai\[[0-9]+\]: ' "$out.err" | head -c 300)"
    fi
    return $rc
}

# check_output ORIG OUT: key counter, pdfinfo, pdftotext equality.
check_output() {
    local orig=$1 out=$2 name
    name=$(basename "$orig")
    python3 "$keys" "$out" >"$out.keys" || fail "$name: active content left: $(cat "$out.keys")"
    pdfinfo "$out" >/dev/null 2>&1 || fail "$name: pdfinfo cannot open the output"
    local before after
    before=$(pdftotext "$orig" - 2>/dev/null)
    after=$(pdftotext "$out" - 2>/dev/null)
    [ "$before" == "$after" ] || fail "$name: text changed"
}

# expect NAME PATTERN: the action log of NAME has a line matching PATTERN.
expect() {
    grep -qE "$2" "$work/out/$1.pdf.log" || fail "$1: no action matching '$2' in: $(tr '\n' '|' <"$work/out/$1.pdf.log")"
}

# --- generated fixtures ---
declare -A want=(
    [openaction_js]='^javascript-removed	document /OpenAction \(JavaScript\)'
    [names_js]='^javascript-removed	Names/JavaScript$'
    [annot_aa]='^javascript-removed	page 1 annotation /AA /E \(JavaScript\)'
    [launch]='^action-removed	page 1 annotation /A \(Launch\)'
    [embedded_file]='^attachment-removed	page 1 annotation: evil.exe'
    [xfa]='^form-removed	form /XFA'
    [uri]='^javascript-removed	page 1 annotation /A \(URI\)'
    [objstm_js]='^javascript-removed	document /OpenAction \(JavaScript\)'
    [escapes]='^javascript-removed	document /OpenAction \(JavaScript\)'
    [incremental]='^javascript-removed	document /OpenAction \(JavaScript\)'
    [broken_xref]='^repaired	'
    [junk_trailer]='^repaired	'
    [orphan]='^item-removed	unreferenced objects'
    [rich_media]='^external-removed	page 1 annotation /A \(GoToR\)'
    [encrypted_empty]='^decrypted	empty user password'
)
for f in "$work"/in/*.pdf; do
    n=$(basename "$f" .pdf)
    out=$work/out/$n.pdf
    disarm "$f" "$out"
    rc=$?
    if [ "$n" == encrypted_password ]; then
        [ $rc -eq 1 ] && grep -q '^status	encrypted' "$out.log" ||
            fail "$n: not blocked as encrypted (rc $rc): $(tail -1 "$out.log")"
        [ -e "$out" ] && fail "$n: an output was written"
        continue
    fi
    if [ $rc -ne 0 ]; then
        fail "$n: rc $rc: $(tail -1 "$out.log")"
        continue
    fi
    check_output "$f" "$out"
    [ -n "$(pdftotext "$f" - 2>/dev/null | tr -d '[:space:]')" ] || fail "$n: fixture has no text"
    case $n in
    clean)
        [ "$(grep -vc '^status' "$out.log")" -eq 0 ] || fail "clean: actions on a clean file" ;;
    encrypted_empty | uri) ;;
    *)
        # The counter must see what the sanitizer removed, or this test is blind.
        python3 "$keys" "$f" >/dev/null && fail "$n: key counter finds nothing in the input" ;;
    esac
    if [ -n "${want[$n]:-}" ]; then
        expect "$n" "${want[$n]}"
    fi
done
expect broken_xref '^javascript-removed	document /OpenAction'
expect junk_trailer '^javascript-removed	document /OpenAction'
expect objstm_js '^item-removed	unreferenced objects \(1 findings\)'
expect annot_aa '^javascript-removed	page 1 /AA /O \(JavaScript\)'

# Unreferenced objects are not written.
qpdf --qdf --object-streams=disable "$work/out/orphan.pdf" "$work/orphan-qdf.pdf" 2>/dev/null
grep -q MG-ORPHAN-MARKER "$work/in/orphan.pdf" || fail "orphan: marker missing from the input"
grep -q MG-ORPHAN-MARKER "$work/orphan-qdf.pdf" && fail "orphan: unreferenced object written"
# Same input, same bytes.
disarm "$work/in/openaction_js.pdf" "$work/again.pdf"
cmp -s "$work/out/openaction_js.pdf" "$work/again.pdf" || fail "output is not deterministic"
# The output is not encrypted any more.
qpdf --is-encrypted "$work/out/encrypted_empty.pdf" && fail "encrypted_empty: still encrypted"

# Link policies.
disarm "$work/in/uri.pdf" "$work/uri-remove.pdf" --uri remove || fail "uri remove: rc $?"
python3 "$keys" --uri-remove "$work/uri-remove.pdf" >/dev/null || fail "uri remove: a link is left"
grep -q '^url-removed	1$' "$work/uri-remove.pdf.log" || fail "uri remove: no url-removed record"
disarm "$work/in/uri.pdf" "$work/uri-defang.pdf" --uri defang || fail "uri defang: rc $?"
qpdf --qdf --object-streams=disable "$work/uri-defang.pdf" "$work/uri-defang-qdf.pdf" 2>/dev/null
grep -qF 'hxxp://example[.]com/x' "$work/uri-defang-qdf.pdf" || fail "uri defang: link not defanged"
grep -qF 'http://example.com' "$work/uri-defang-qdf.pdf" && fail "uri defang: live link left"
qpdf --qdf --object-streams=disable "$work/out/uri.pdf" "$work/uri-keep-qdf.pdf" 2>/dev/null
grep -qF 'http://example.com/x' "$work/uri-keep-qdf.pdf" || fail "uri keep: link lost"

# Extraction: the engine gets the embedded file as a child item ...
disarm "$work/in/embedded_file.pdf" "$work/extracted.pdf" --extract "$work/extract" || fail "extract: rc $?"
grep -q '(extracted)' "$work/extracted.pdf.log" || fail "extract: not reported"
grep -q '^child	evil.exe	' "$work/extracted.pdf.log" || fail "extract: no child item evil.exe"
check_output "$work/in/embedded_file.pdf" "$work/extracted.pdf"
# ... with exactly the embedded bytes (checked on the core driver).
timeout 60 "$drv" --extract "$work/extract" "$work/in/embedded_file.pdf" "$work/extracted2.pdf" >/dev/null ||
    fail "extract driver: rc $?"
printf 'MZ-not-really\n' | cmp -s - "$work/extract/embedded-0.bin" || fail "extract: wrong bytes"

# --- real samples ---
corpus=$src/../shared/corpus/pdf
if [ -d "$corpus" ]; then
    for f in "$corpus"/*.pdf; do
        n=$(basename "$f" .pdf)
        out=$work/out/corpus-$n.pdf
        disarm "$f" "$out"
        rc=$?
        case $n in
        pdfjs_encrypted-attachment)
            [ $rc -eq 1 ] && grep -q '^status	encrypted' "$out.log" || fail "$n: not blocked as encrypted"
            continue ;;
        pdfjs_poppler-742-0-fuzzed)
            # Damaged beyond repair: blocked as malformed, or repaired and clean.
            if [ $rc -eq 1 ]; then
                grep -q '^status	malformed' "$out.log" || fail "$n: blocked for another reason"
                continue
            fi ;;
        esac
        if [ $rc -ne 0 ]; then
            fail "$n: rc $rc: $(tail -1 "$out.log")"
            continue
        fi
        check_output "$f" "$out"
        case $n in
        *_clean) [ "$(grep -vc '^status' "$out.log")" -eq 0 ] || fail "$n: actions on a clean file" ;;
        *) [ "$(grep -vc '^status' "$out.log")" -gt 0 ] || fail "$n: nothing removed" ;;
        esac
    done
else
    echo "note: $corpus not found, real samples not checked"
fi

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "pdf: all checks passed"
