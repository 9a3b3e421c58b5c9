#!/usr/bin/env bash
# Integration test of `mugai mail`: every generated fixture (tests/fixtures/
# gen_mail.py) and every real mail in ../shared/corpus/email goes through
# the command; the outputs must re-parse with gmime without a warning, carry
# text/plain bodies only, keep their Japanese text byte-exact after NFC, and
# match what the fixture's manifest entry expects (mail_check.py).
set -euo pipefail

: "${MUGAI:?}" "${MG_SOURCE_ROOT:?}" "${MG_BUILD_ROOT:?}"
REPARSE="$MG_BUILD_ROOT/sanitizers/mail/mail_reparse"
CORPUS="$MG_SOURCE_ROOT/../shared/corpus/email"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

python3 "$MG_SOURCE_ROOT/tests/fixtures/gen_mail.py" "$T/fx"
mkdir -p "$T/q" "$T/out" "$T/in"
printf '[general]\nquarantine-dir = %s\nlog-level = error\n' "$T/q" > "$T/mugai.conf"
cp "$T/fx/"*.eml "$T/in/"
if [ -d "$CORPUS" ]; then
    for f in "$CORPUS"/*.eml; do cp "$f" "$T/in/corpus_$(basename "$f")"; done
else
    echo "corpus $CORPUS missing" >&2
    exit 1
fi

run() {   # run NAME CONFIG [extra args]: exit code into $T/out/NAME.rc
    local n=$1 conf=$2
    shift 2
    set +e
    "$MUGAI" mail -c "$conf" "$T/in/$n.eml" -o "$T/out/$n.eml" --report "$T/out/$n.json" "$@" \
        2> "$T/out/$n.err"
    echo $? > "$T/out/$n.rc"
    set -e
}

for f in "$T/in/"*.eml; do
    run "$(basename "$f" .eml)" "$T/mugai.conf"
done

# Limits: the whole message is blocked, nothing is written.
printf '[general]\nquarantine-dir = %s\nlog-level = error\n[limits]\nmax-items = 500\n' "$T/q" \
    > "$T/limited.conf"
set +e
"$MUGAI" mail -c "$T/limited.conf" "$T/in/many_parts.eml" -o "$T/out/limited.eml" \
    --report "$T/out/limited.json" 2> "$T/out/limited.err"
echo $? > "$T/out/limited.rc"
set -e

# Legacy clients: ISO-2022-JP output.
printf '[general]\nquarantine-dir = %s\nlog-level = error\n[mail]\noutput-charset = iso-2022-jp\n' \
    "$T/q" > "$T/iso.conf"
set +e
"$MUGAI" mail -c "$T/iso.conf" "$T/in/html_iso2022jp.eml" -o "$T/out/iso.eml" \
    --report "$T/out/iso.json" 2> "$T/out/iso.err"
echo $? > "$T/out/iso.rc"
# The HTML version of an alternative, notice at the bottom.
printf '[general]\nquarantine-dir = %s\nlog-level = error\n[mail]\nprefer-plain = false\nnotice-position = bottom\n' \
    "$T/q" > "$T/html.conf"
"$MUGAI" mail -c "$T/html.conf" "$T/in/alternative.eml" -o "$T/out/althtml.eml" \
    --report "$T/out/althtml.json" 2> "$T/out/althtml.err"
echo $? > "$T/out/althtml.rc"
# stdin to stdout.
"$MUGAI" mail -c "$T/mugai.conf" < "$T/in/alternative.eml" > "$T/out/stdio.eml" 2> "$T/out/stdio.err"
echo $? > "$T/out/stdio.rc"
set -e

# gmime reads every output without a warning.
outs=()
for f in "$T/out/"*.eml; do outs+=("$f"); done
"$REPARSE" "${outs[@]}"

python3 "$MG_SOURCE_ROOT/tests/integration/mail_check.py" "$T"
