#!/usr/bin/env bash
# mugai sanitize over a generated folder of mixed files (issue 3's "done
# when"): HTML and ISO-2022-JP text come out as readable UTF-8 with the
# Japanese intact, EICAR and a renamed executable are blocked with notices,
# plain UTF-8 text is unchanged, and the JSON report says exactly that.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$MG_SOURCE_ROOT/tests/fixtures/gen_demo.py" "$work/in"
set +e
"$MUGAI" sanitize -q -o "$work/out" -r "$work/report.json" "$work/in"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "exit status $rc, want 1 (something blocked)"; exit 1; }

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
out = os.path.join(work, "out")
rep = json.load(open(os.path.join(work, "report.json")))
by_name = {os.path.basename(j["input"]): j for j in rep["jobs"]}

def verdict(name):
    return by_name[name]["report"]["root"]["verdict"], by_name[name]["report"]["root"]["reason"]

def read(rel):
    return open(os.path.join(out, rel), "rb").read()

fail = []
def check(cond, msg):
    if not cond:
        fail.append(msg)

# HTML -> text
check(verdict("お知らせ.html")[0] == "sanitized", "html verdict %s" % (verdict("お知らせ.html"),))
txt = read("お知らせ.txt").decode("utf-8")
check("住民説明会のお知らせ" in txt and "市のホームページ <https://www.example.lg.jp/info>" in txt, "html text: %r" % txt)
check("alert" not in txt and "<" not in txt.replace("<https://", ""), "html script or tag survived: %r" % txt)
# ISO-2022-JP -> UTF-8 with ① ㈱
check(verdict("請求書_iso2022jp.txt")[0] == "sanitized", "iso-2022-jp verdict %s" % (verdict("請求書_iso2022jp.txt"),))
jp = read("請求書_iso2022jp.txt").decode("utf-8")
check("請求書の件でご連絡します。" in jp and "①" in jp and "㈱" in jp, "iso-2022-jp text: %r" % jp)
# EICAR and the disguised executable
check(verdict("eicar.com.txt") == ("blocked", "virus"), "eicar %s" % (verdict("eicar.com.txt"),))
check("削除しました" in read("eicar.com.txt.blocked.txt").decode("utf-8"), "eicar notice")
check(not os.path.exists(os.path.join(out, "eicar.com.txt")), "eicar written out")
check(verdict("見積書.pdf") == ("blocked", "executable"), "pe %s" % (verdict("見積書.pdf"),))
check(os.path.exists(os.path.join(out, "見積書.pdf.blocked.txt")), "pe notice")
check(not os.path.exists(os.path.join(out, "見積書.pdf")), "pe written out")
# UTF-8 text unchanged, path kept
check(verdict("議事録.txt")[0] == "clean", "utf-8 text %s" % (verdict("議事録.txt"),))
check(read("memo/議事録.txt") == open(os.path.join(work, "in", "memo", "議事録.txt"), "rb").read(), "utf-8 text changed")
# The formats the demo shows off: each rebuilt, nothing active left.
import email, zipfile
def actions(name):
    return [a["action"] for a in by_name[name]["report"]["root"]["actions"]]
check(verdict("請求書.docm")[0] == "sanitized" and "vba-removed" in actions("請求書.docm"), "docm %s" % (actions("請求書.docm"),))
with zipfile.ZipFile(os.path.join(out, "請求書.docx")) as z:
    names = z.namelist()
    check(not any("vbaProject" in n for n in names), "vbaProject survived: %r" % names)
    check("請求書 第12号" in z.read("word/document.xml").decode("utf-8"), "docx text lost")
check(verdict("案内.pdf")[0] == "sanitized" and "javascript-removed" in actions("案内.pdf"), "pdf %s" % (actions("案内.pdf"),))
pdf = read("案内.pdf")
check(b"/JavaScript" not in pdf and b"/OpenAction" not in pdf, "pdf JavaScript survived")
check(verdict("問い合わせ.eml")[0] == "sanitized", "mail %s" % (verdict("問い合わせ.eml"),))
m = email.message_from_bytes(read("問い合わせ.eml"))
check(m.get_content_type() == "text/plain", "mail body is %s" % m.get_content_type())
body = m.get_payload(decode=True).decode("utf-8")
check("会議資料をお送りします①" in body and "alert" not in body, "mail body: %r" % body)
check(str(email.header.make_header(email.header.decode_header(m["Subject"]))) == "会議の件①", "subject %r" % m["Subject"])
check(verdict("資料.zip")[0] == "sanitized", "zip %s" % (verdict("資料.zip"),))
with zipfile.ZipFile(os.path.join(out, "資料.zip")) as z:
    names = sorted(z.namelist())
    check(names == ["資料/setup.exe.blocked.txt", "資料/説明.txt"], "zip members %r" % names)
check(verdict("パスワード付き.zip") == ("blocked", "encrypted"), "ppap %s" % (verdict("パスワード付き.zip"),))
check("パスワード付きZIPファイル" in read("パスワード付き.zip.blocked.txt").decode("utf-8"), "ppap notice")
if fail:
    print("\n".join(fail))
    sys.exit(1)
print("cli-sanitize: all expectations met")
PY

# Usage errors exit 2; inputs are never overwritten.
set +e
"$MUGAI" sanitize -q "$work/in" >/dev/null 2>&1; [ $? -eq 2 ] || { echo "missing -o not exit 2"; exit 1; }
"$MUGAI" sanitize -q -o "$work/in/sub" "$work/in" >/dev/null 2>&1; [ $? -eq 2 ] || { echo "outdir inside input accepted"; exit 1; }
"$MUGAI" sanitize -q -o "$work/out2" "$work/does-not-exist" >/dev/null 2>&1; [ $? -eq 2 ] || { echo "missing input not exit 2"; exit 1; }
set -e
# Unreadable files are blocked with a notice, and the run continues.
mkdir -p "$work/in2"; echo hello > "$work/in2/ok.txt"; ln -s /etc/passwd "$work/in2/link.txt"
set +e
"$MUGAI" sanitize -q -o "$work/out3" "$work/in2"; rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "symlink run exit $rc, want 1"; exit 1; }
[ -f "$work/out3/link.txt.blocked.txt" ] && [ -f "$work/out3/ok.txt" ] || { echo "symlink notice or ok.txt missing"; ls -la "$work/out3"; exit 1; }
echo "cli-sanitize: usage and unreadable cases ok"

# Malformed input: each gets a BLOCKED verdict with a clear reason, and the
# run goes on to the next file.
mkdir -p "$work/bad"
: > "$work/bad/empty.txt"
printf 'abc\x1b$B\x30' > "$work/bad/broken-iso2022.txt"          # escape then half a character
printf 'caf\xc3\x28 invalid utf-8 \xff\xfe\n' > "$work/bad/bad-utf8.txt"
head -c 300 "$work/out/案内.pdf" > "$work/bad/truncated.pdf"
head -c 200 "$work/out/請求書.docx" > "$work/bad/truncated.docx"
printf 'text with a NUL \x00 byte\n' > "$work/bad/nul.txt"
echo "fine" > "$work/bad/zz-last.txt"
set +e
"$MUGAI" sanitize -q -o "$work/out4" -r "$work/bad.json" "$work/bad"; rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "malformed run exit $rc, want 1"; exit 1; }
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
jobs = {os.path.basename(j["input"]): j["report"]["root"] for j in json.load(open(os.path.join(work, "bad.json")))["jobs"]}
want = {
    "empty.txt": ("blocked", "empty"),
    "broken-iso2022.txt": ("blocked", "malformed"),
    "bad-utf8.txt": ("blocked", "malformed"),
    "truncated.pdf": ("blocked", None),
    "truncated.docx": ("blocked", None),
    "zz-last.txt": ("clean", "none"),
    # libmagic calls text with a NUL byte data, so its .txt name is a claim
    # the bytes do not back: blocked as a mismatch, never passed as text.
    "nul.txt": ("blocked", "type-mismatch"),
}
bad = []
for name, (v, r) in want.items():
    got = jobs.get(name)
    if got is None or got["verdict"] != v or (r and got["reason"] != r):
        bad.append("%s: %s" % (name, got and (got["verdict"], got["reason"], got["detail"])))
    elif v == "blocked" and not os.path.exists(os.path.join(work, "out4", name + ".blocked.txt")):
        bad.append("%s: no notice" % name)
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("cli-sanitize: malformed inputs blocked, run continued")
PY
