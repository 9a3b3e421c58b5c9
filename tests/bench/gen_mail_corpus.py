#!/usr/bin/env python3
"""gen_mail_corpus.py OUTDIR [N]: N (default 1000) realistic messages for the
mail pipeline benchmark: Japanese and English bodies, about half HTML
(multipart/alternative), about a third with attachments (CSV, PNG, a small
DOCX, a small PDF), sizes spread around 50 KB on average. Deterministic."""
import io
import os
import random
import sys
import zipfile
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
os.makedirs(out, exist_ok=True)
rnd = random.Random(20261123)

JA = ("いつもお世話になっております。市民課の山田です。来週の住民説明会について、"
      "会場と日時を下記のとおりご連絡いたします。資料は当日配布いたします。"
      "ご不明な点がございましたら、担当までお問い合わせください。")
EN = ("Thank you for your message. Please find the minutes of the meeting below; "
      "the next session is scheduled for Tuesday at 10:00 in room 3.")


def paragraph():
    return JA if rnd.random() < 0.7 else EN


def body_text(target):
    parts = []
    size = 0
    while size < target:
        p = paragraph()
        parts.append(p)
        size += len(p.encode("utf-8")) + 1
    return "\n\n".join(parts) + "\n"


def html_of(text):
    paras = "".join("<p>%s</p>\n" % p for p in text.split("\n\n"))
    return ("<html><head><meta charset=\"utf-8\"><style>p{margin:0}</style></head>"
            "<body><div>%s<a href=\"https://www.example.lg.jp/\">市のホームページ</a></div>"
            "</body></html>" % paras)


def docx():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                   + "".join('<w:p><w:r><w:t>%s</w:t></w:r></w:p>' % paragraph() for _ in range(20))
                   + '</w:body></w:document>')
    return b.getvalue()


def pdf():
    text = "BT /F1 12 Tf 72 720 Td (Minutes of the meeting) Tj ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    o = b"%PDF-1.4\n"
    offs = []
    for i, s in enumerate(objs):
        offs.append(len(o))
        o += b"%d 0 obj\n%s\nendobj\n" % (i + 1, s.encode())
    x = len(o)
    o += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offs:
        o += b"%010d 00000 n \n" % off
    o += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return o


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000a49444154789c6300010000050001"
                    "0d0a2db40000000049454e44ae426082")

for i in range(n):
    target = int(rnd.lognormvariate(9.6, 0.8))  # median ~15 KB of text
    target = max(800, min(target, 200000))
    text = body_text(target)
    if rnd.random() < 0.5:
        msg = MIMEMultipart("alternative")
        msg.attach(MIMEText(text, "plain", "utf-8"))
        msg.attach(MIMEText(html_of(text), "html", "utf-8"))
    else:
        msg = MIMEText(text, "plain", "utf-8")
    if rnd.random() < 1 / 3:
        outer = MIMEMultipart("mixed")
        outer.attach(msg)
        kind = rnd.choice(["csv", "png", "docx", "pdf"])
        if kind == "csv":
            rows = "".join("%d,山田,%d\r\n" % (k, rnd.randint(0, 99999)) for k in range(rnd.randint(200, 4000)))
            a = MIMEApplication(rows.encode("utf-8"), "octet-stream")
            name = "集計.csv"
        elif kind == "png":
            a = MIMEApplication(PNG, "octet-stream")
            name = "写真.png"
        elif kind == "docx":
            a = MIMEApplication(docx(), "octet-stream")
            name = "議事録.docx"
        else:
            a = MIMEApplication(pdf(), "pdf")
            name = "minutes.pdf"
        a.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
        outer.attach(a)
        msg = outer
    msg["From"] = "sender%d@example.jp" % i
    msg["To"] = "info@city.example.lg.jp"
    msg["Subject"] = "お知らせ %d" % i
    msg["Date"] = formatdate(1700000000 + i * 60)
    msg["Message-ID"] = "<%d@example.jp>" % i
    with open(os.path.join(out, "%04d.eml" % i), "wb") as f:
        f.write(msg.as_bytes())
