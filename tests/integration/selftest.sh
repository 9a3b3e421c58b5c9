#!/bin/bash
# mugai selftest: on the default policy every class comes out as promised
# (a class whose sanitizer is not in this build shows "unavailable", never
# ok, and makes the exit status 1); a weakened policy shows NG.
set -u
: "${MUGAI:?}"
T=$(mktemp -d /tmp/mugai-selftest.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0
check() { local what=$1; shift; if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; FAILS=$((FAILS + 1)); fi; }

printf '[general]\nquarantine-dir = %s/q\naudit = %s/audit.log\n' "$T" "$T" >"$T/default.conf"
"$MUGAI" selftest -c "$T/default.conf" --json >"$T/default.json" 2>"$T/err"
rc=$?
python3 - "$T/default.json" "$rc" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
rc = int(sys.argv[2])
ids = [r["id"] for r in rows]
want = ["docm-macro", "docx-dde", "docx-template", "pdf-javascript", "pdf-launch", "pdf-embedded",
        "rtf-object", "zip-nested", "zip-encrypted", "mail-iso2022jp-html", "eicar", "exe-as-pdf"]
fails = 0
def expect(c, what):
    global fails
    print(("ok   " if c else "FAIL ") + what)
    fails += not c
expect(ids == want, "every class listed, in order")
for r in rows:
    if r["status"] == "unavailable":
        expect(r["actual"].startswith('no "'), r["id"] + " unavailable says which sanitizer is missing")
    else:
        expect(r["status"] == "ok", r["id"] + " ok on the default policy: " + r["actual"])
unavail = sum(r["status"] == "unavailable" for r in rows)
expect(rc == (1 if unavail else 0), "exit status %d with %d unavailable" % (rc, unavail))
sys.exit(1 if fails else 0)
PY
check "default policy: every available class as expected" test $? -eq 0
check "selftest writes no audit line and no quarantine" bash -c "[ ! -e '$T/audit.log' ] && [ ! -e '$T/q' ]"

# The table, in Japanese by default.
"$MUGAI" selftest -c "$T/default.conf" >"$T/table.txt" 2>/dev/null
check "Japanese table header" grep -q '| 種類 | 期待する結果 | 実際の結果 | 判定 |' "$T/table.txt"
check "12 rows" test "$(grep -c '^| [^-]' "$T/table.txt")" -eq 13
check "RTF is listed" grep -q 'RTF' "$T/table.txt"

# Weakened: PDFs passed as they are, no virus scanning. Those rows must be NG.
printf '[general]\nquarantine-dir = %s/q\n[types]\npdf = pass\n[clamav]\nmode = off\n' "$T" >"$T/weak.conf"
"$MUGAI" selftest -c "$T/weak.conf" --json >"$T/weak.json" 2>/dev/null
rc=$?
check "weakened policy exits 1" test "$rc" -eq 1
for id in pdf-javascript pdf-launch pdf-embedded eicar; do
    check "weakened policy: $id is NG" grep -q "\"id\":\"$id\".*\"status\":\"ng\"" "$T/weak.json"
done
check "weakened policy: docm still ok" grep -q '"id":"docm-macro".*"status":"ok"' "$T/weak.json"

echo "$FAILS failures"
[ "$FAILS" -eq 0 ]
