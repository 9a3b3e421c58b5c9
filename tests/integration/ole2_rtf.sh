#!/usr/bin/env bash
# mugai sanitize over the ole2/rtf fixtures (generated) and the real samples
# in ../shared/corpus: verdicts and actions from the report, no active
# content left in any output, LibreOffice text unchanged (issue 7, items 2-3).
set -euo pipefail
command -v soffice >/dev/null 2>&1 || { echo "soffice not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus="$MG_SOURCE_ROOT/../shared/corpus"
python3 "$MG_SOURCE_ROOT/tests/fixtures/gen_ole2_rtf.py" "$work/in"
inputs=("$work/in")
for d in "$corpus/ole2" "$corpus/rtf"; do
    [ -d "$d" ] && inputs+=("$d")
done
set +e
"$MUGAI" sanitize -q -o "$work/out" -r "$work/report.json" "${inputs[@]}" 2>"$work/stderr"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "exit status $rc, want 1 (something blocked)"; cat "$work/stderr"; exit 1; }
python3 "$MG_SOURCE_ROOT/tests/fixtures/check_ole2_rtf.py" "$work" "${inputs[@]}"
