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

# The same sanitizers inside a mail: mugai mail rebuilds the attachments.
python3 - "$work" <<'PY'
import sys
from email.message import EmailMessage
w = sys.argv[1]
m = EmailMessage()
m["From"], m["To"], m["Subject"] = "a@example.jp", "b@example.lg.jp", "請求書"
m.set_content("添付をご確認ください。")
m.add_attachment(open(w + "/in/macro.doc", "rb").read(), maintype="application", subtype="msword", filename="請求書.doc")
m.add_attachment(open(w + "/in/object.rtf", "rb").read(), maintype="application", subtype="rtf", filename="見積.rtf")
open(w + "/m.eml", "wb").write(bytes(m))
PY
set +e
"$MUGAI" mail --report "$work/m.json" "$work/m.eml" >"$work/m-out.eml" 2>"$work/m.err"
rc=$?
set -e
[ "$rc" -eq 0 ] || { echo "mugai mail exit $rc"; cat "$work/m.err"; exit 1; }
python3 - "$work" "$MG_SOURCE_ROOT/tests/fixtures" <<'PY'
import email, email.policy, json, sys
sys.path.insert(0, sys.argv[2])
import cfb, check_ole2_rtf as chk
w = sys.argv[1]
rep = json.load(open(w + "/m.json"))
kids = {c["name"]: c for c in rep["root"]["children"]}
acts = lambda n: [a["action"] + ":" + a["detail"] for a in kids[n]["actions"]]
assert kids["請求書.doc"]["verdict"] == "sanitized" and "vba-removed:Macros" in acts("請求書.doc"), kids["請求書.doc"]
assert kids["見積.rtf"]["verdict"] == "sanitized" and any(a.startswith("ole-removed") for a in acts("見積.rtf")), kids["見積.rtf"]
msg = email.message_from_binary_file(open(w + "/m-out.eml", "rb"), policy=email.policy.default)
seen = {}
for part in msg.iter_attachments():
    seen[part.get_filename()] = part.get_content()
assert set(seen) >= {"請求書.doc", "見積.rtf"}, seen.keys()
chk.check_cfb("請求書.doc (mail)", seen["請求書.doc"])
chk.check_rtf("見積.rtf (mail)", seen["見積.rtf"])
root = cfb.read(seen["請求書.doc"])
assert root.find("WordDocument") is not None
if chk.fails:
    print("\n".join(chk.fails))
    sys.exit(1)
print("ole2/rtf: mugai mail rebuilt both attachments")
PY
