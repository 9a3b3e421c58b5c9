#!/usr/bin/env python3
"""Checks the outputs of mail_cli.sh (argument: its work directory).

For every output: 7-bit, the X-Mugai-* headers naming the report's job,
bodies text/plain only (anything else is an attachment), the Japanese
expectations of the fixture's manifest entry (NFC, byte-exact), the report's
actions and removed items, and the original in quarantine. For the real
corpus mails, the subject and every line of the original text bodies (as
Python decodes them) must be in the output."""
import base64
import email
import hashlib
import json
import os
import sys
import unicodedata
from email import policy

T = sys.argv[1]
OUT = os.path.join(T, "out")
IN = os.path.join(T, "in")
failures = []


def fail(name, msg):
    failures.append("%s: %s" % (name, msg))


def nfc(s):
    return unicodedata.normalize("NFC", s)


def load(path):
    with open(path, "rb") as f:
        return f.read()


def parse(data):
    return email.message_from_bytes(data, policy=policy.default)


def report_items(rep):
    """All items of the report tree (root first)."""
    out, stack = [], [rep["root"]]
    while stack:
        it = stack.pop()
        out.append(it)
        stack.extend(reversed(it.get("children") or []))
    return out


def body_text(msg):
    """Text of the non-attachment text/plain parts of msg itself (not of
    attached messages)."""
    texts = []
    stack = [msg]
    while stack:
        p = stack.pop(0)
        ct = p.get_content_type()
        if p.is_multipart():
            stack[0:0] = list(p.iter_parts())
            continue
        if ct == "text/plain" and not p.is_attachment():
            texts.append(p.get_content())
    return nfc("\n".join(texts).replace("\r\n", "\n"))


def attachments(msg):
    """(filename, part) of the top-level attachments of msg."""
    res = []
    for p in msg.iter_parts() if msg.is_multipart() else []:
        if p.is_attachment():
            res.append((p.get_filename(), p))
    return res


def check_structure(name, msg, depth=0):
    for p in msg.walk():
        ct = p.get_content_type()
        if ct == "message/rfc822":
            continue
        if p.is_multipart():
            if ct != "multipart/mixed":
                fail(name, "unexpected container %s" % ct)
            continue
        if not p.is_attachment() and ct != "text/plain":
            fail(name, "body part of type %s" % ct)
        if ct == "text/html":
            fail(name, "text/html in the output")


def check_common(name, data, rep):
    if any(b >= 0x80 for b in data):
        fail(name, "output is not 7-bit")
    msg = parse(data)
    if msg.defects:
        fail(name, "python email defects %r" % msg.defects)
    if msg["X-Mugai-Report"] != rep["job"]:
        fail(name, "X-Mugai-Report %r != job %r" % (msg["X-Mugai-Report"], rep["job"]))
    if msg["X-Mugai-Result"] not in ("clean", "sanitized", "blocked-parts"):
        fail(name, "X-Mugai-Result %r" % msg["X-Mugai-Result"])
    if not msg["Received"] or msg["MIME-Version"] != "1.0":
        fail(name, "Received or MIME-Version missing")
    check_structure(name, msg)
    # Quarantine: a record under the job id and the original as a blob
    # named by its SHA-256, when anything changed.
    if msg["X-Mugai-Result"] != "clean":
        src = load(os.path.join(IN, name + ".eml"))
        sha = hashlib.sha256(src).hexdigest()
        blob = os.path.join(T, "q", "blobs", sha[:2], sha)
        rec = os.path.join(T, "q", "records", rep["job"] + ".ini")
        if not os.path.exists(rec) or not os.path.exists(blob) or load(blob) != src:
            fail(name, "original not in quarantine (%s, %s)" % (rec, blob))
    return msg


def check_expect(name, msg, rep, exp):
    body = body_text(msg)
    subject = nfc(str(msg["Subject"] or ""))
    if "subject" in exp and subject != nfc(exp["subject"]):
        fail(name, "subject %r != %r" % (subject, exp["subject"]))
    for s in exp.get("body", []):
        if nfc(s) not in body:
            fail(name, "body lacks %r" % s)
    for s in exp.get("body_absent", []):
        if nfc(s) in body:
            fail(name, "body still has %r" % s)
    acts = {a["action"] for a in rep["root"]["actions"]}
    for a in exp.get("actions", []):
        if a not in acts:
            fail(name, "action %s not in report (%s)" % (a, sorted(acts)))
    removed = [it for it in report_items(rep)[1:] if it["verdict"] == "blocked"]
    rnames = {it["name"]: it["reason"] for it in removed}
    for r in exp.get("removed", []):
        if r not in rnames:
            fail(name, "%s not removed (%s)" % (r, rnames))
    for r, why in exp.get("removed_reason", {}).items():
        if rnames.get(r) != why:
            fail(name, "%s removed for %r, expected %r" % (r, rnames.get(r), why))
    if "removed_count" in exp and len(removed) != exp["removed_count"]:
        fail(name, "%d items removed, expected %d" % (len(removed), exp["removed_count"]))
    if "min_removed" in exp and len(removed) < exp["min_removed"]:
        fail(name, "%d items removed, expected at least %d" % (len(removed), exp["min_removed"]))
    if "removed_reason_any" in exp and exp["removed_reason_any"] not in rnames.values():
        fail(name, "no item removed for %s (%s)" % (exp["removed_reason_any"], rnames))
    att = [(n or "") for n, _ in attachments(msg)]
    kept = [n for n in att if not n.endswith(".txt") or not any(
        n.startswith(r + ".") for r in rnames)]
    if "attachments" in exp and sorted(map(nfc, kept)) != sorted(map(nfc, exp["attachments"])):
        fail(name, "attachments %r, expected %r" % (kept, exp["attachments"]))
    for a in exp.get("attachments_absent", []):
        if a in att:
            fail(name, "attachment %s still there" % a)
    # Every removed attachment left a placeholder naming it.
    for r in rnames:
        if not any(n.startswith(r + ".") and n.endswith(".txt") for n in att):
            fail(name, "no placeholder for removed %r (%r)" % (r, att))
    if exp.get("docm_outcome"):
        docx = [p for n, p in attachments(msg) if n == "請求書.docx"]
        if docx:
            if docx[0].get_content_type() != \
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
                fail(name, "docx attached as %s" % docx[0].get_content_type())
            if b"vbaProject" in docx[0].get_payload(decode=True):
                fail(name, "the rebuilt docx still names vbaProject")
        elif "請求書.docm" not in rnames:
            fail(name, "docm neither rebuilt as docx nor removed (%r)" % att)
    if "result" in exp and msg["X-Mugai-Result"] != exp["result"]:
        fail(name, "X-Mugai-Result %s, expected %s" % (msg["X-Mugai-Result"], exp["result"]))
    if "from_name" in exp:
        if nfc(msg["From"].addresses[0].display_name) != nfc(exp["from_name"]):
            fail(name, "From %r" % str(msg["From"]))
    for k, nexp in enumerate(exp.get("nested", [])):
        subs = [p for _, p in attachments(msg) if p.get_content_type() == "message/rfc822"]
        if k >= len(subs):
            fail(name, "nested message %d missing" % k)
            continue
        inner = subs[k].get_content()
        check_expect(name + "/nested%d" % k, inner, {"root": {"actions": []}, "job": ""},
                     {key: v for key, v in nexp.items() if key != "removed"})


def check_corpus(name, msg):
    orig = parse(load(os.path.join(IN, name + ".eml")))
    body = body_text(msg) + nfc("\n".join(
        p.get_content() for p in msg.walk()
        if p.get_content_type() == "text/plain" and not p.is_attachment()))
    try:
        osub = nfc(str(orig["Subject"] or ""))
    except Exception:
        osub = None
    if osub is not None and nfc(str(msg["Subject"] or "")) != osub:
        fail(name, "subject %r != original %r" % (str(msg["Subject"]), osub))
    # Parts of a message/external-body are a reference, not text: dropped.
    skip = set()
    for p in orig.walk():
        if p.get_content_type() == "message/external-body":
            skip.update(id(q) for q in p.walk())
    for p in orig.walk():
        if p.get_content_type() != "text/plain" or p.is_attachment() or id(p) in skip:
            continue
        try:
            text = p.get_content()
        except Exception:
            continue
        for line in text.splitlines()[:40]:
            line = nfc(line.strip())
            if any(ord(c) < 0x20 for c in line):
                continue   # binary mislabelled as text: removed, not text
            if line and line not in body:
                fail(name, "text line %r lost" % line)


with open(os.path.join(T, "fx", "manifest.json"), encoding="utf-8") as f:
    manifest = json.load(f)

names = sorted(f[:-4] for f in os.listdir(IN) if f.endswith(".eml"))
for name in names:
    rc = int(load(os.path.join(OUT, name + ".rc")))
    rep_path = os.path.join(OUT, name + ".json")
    if not os.path.exists(rep_path):
        fail(name, "no report (exit %d): %s" % (rc, load(os.path.join(OUT, name + ".err"))))
        continue
    rep = json.load(open(rep_path, encoding="utf-8"))
    exp = manifest.get(name, {})
    out_path = os.path.join(OUT, name + ".eml")
    if "whole_blocked" in exp:
        if rc != 1 or os.path.exists(out_path) or rep["verdict"] != "blocked" or \
                rep["root"]["reason"] != exp["whole_blocked"]:
            fail(name, "expected the whole message blocked (%s): exit %d, verdict %s/%s" % (
                exp["whole_blocked"], rc, rep["verdict"], rep["root"]["reason"]))
        continue
    if rc not in (0, 1) or not os.path.exists(out_path):
        fail(name, "exit %d, no output: %s" % (rc, load(os.path.join(OUT, name + ".err"))))
        continue
    anyblocked = any(it["verdict"] == "blocked" for it in report_items(rep))
    if rc != (1 if anyblocked else 0):
        fail(name, "exit %d with blocked=%s" % (rc, anyblocked))
    msg = check_common(name, load(out_path), rep)
    if name.startswith("corpus_"):
        check_corpus(name, msg)
    elif not exp:
        fail(name, "no manifest entry")
    else:
        check_expect(name, msg, rep, exp)

# Over max-items: blocked as a whole, nothing written.
rep = json.load(open(os.path.join(OUT, "limited.json"), encoding="utf-8"))
if int(load(os.path.join(OUT, "limited.rc"))) != 1 or os.path.exists(os.path.join(OUT, "limited.eml")) \
        or rep["root"]["reason"] != manifest["many_parts"]["limited_reason"]:
    fail("limited", "many_parts over max-items not blocked as a whole: %s" % rep["root"]["reason"])

# ISO-2022-JP output: the body holds the CP50220 bytes, the subject is
# ISO-2022-JP encoded words.
iso = parse(load(os.path.join(OUT, "iso.eml")))
want = base64.b64decode(manifest["html_iso2022jp"]["iso2022jp_bytes"])
part = next(p for p in iso.walk() if p.get_content_type() == "text/plain")
if part.get_content_charset() != "iso-2022-jp" or want not in part.get_payload(decode=True):
    fail("iso", "ISO-2022-JP body bytes not found")
if "=?ISO-2022-JP?B?" not in load(os.path.join(OUT, "iso.eml")).decode("ascii"):
    fail("iso", "Subject not ISO-2022-JP encoded")

# prefer-plain = false, notice-position = bottom.
alt = body_text(parse(load(os.path.join(OUT, "althtml.eml"))))
if int(load(os.path.join(OUT, "althtml.rc"))) != 0 or "HTML版の本文です。" not in alt or \
        "プレーンテキスト版" in alt or "x()" in alt or \
        not (0 <= alt.find("HTML版の本文です。") < alt.find("【mugai】")):
    fail("althtml", "HTML alternative with the notice at the bottom not as expected: %r" % alt)

# stdin/stdout.
if int(load(os.path.join(OUT, "stdio.rc"))) != 0 or \
        "プレーンテキスト版の本文です。" not in body_text(parse(load(os.path.join(OUT, "stdio.eml")))):
    fail("stdio", "stdin to stdout failed")

for f in failures:
    print("FAIL", f)
print("%d messages checked, %d failures" % (len(names), len(failures)))
sys.exit(1 if failures else 0)
