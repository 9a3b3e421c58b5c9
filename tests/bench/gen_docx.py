#!/usr/bin/env python3
"""Writes the 1 MB .docx the benchmarks use: gen_docx.py OUT.docx [OUT.eml]

A stored (uncompressed) OOXML word document of about 1 MB of Japanese and
English words, so it stays 1 MB on the wire; with OUT.eml also a MIME
message carrying it as a base64 attachment (for smtp-source -F)."""
import base64
import io
import random
import sys
import zipfile

random.seed(1)
words = ["mugai", "無害化", "report", "自治体", "LGWAN", "data", "table", "予算"]
text = " ".join(random.choice(words) for _ in range(120000))
doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
       '<w:body><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:body></w:document>' % text)
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    z.writestr("word/document.xml", doc)
data = b.getvalue()
open(sys.argv[1], "wb").write(data)
if len(sys.argv) > 2:
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    msg = ("From: bench@example.com\r\nTo: user@lg.example.jp\r\nSubject: docx bench\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
           "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nsee attachment\r\n"
           "--b\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n"
           "Content-Disposition: attachment; filename=\"report.docx\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--b--\r\n")
    open(sys.argv[2], "w").write(msg)
