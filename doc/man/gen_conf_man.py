#!/usr/bin/env python3
"""Fills the key reference of mugai.conf(5) from data/conf.d (the single
source of every key, its default and its comment), so the page lists every
key the binary accepts; the prose around it is written in mugai.conf.5.in.

    gen_conf_man.py TEMPLATE CONF_D OUTPUT [KEY=VALUE...]"""
import os
import sys

tmpl, confd, out = sys.argv[1:4]
subst = dict(kv.split("=", 1) for kv in sys.argv[4:])


def roff(text):
    text = text.replace("\\", "\\e")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line.replace("-", "\\-"))
    return "\n".join(lines)


sections = []  # (name, [(key, default, comment)])
for name in sorted(os.listdir(confd)):
    if not name.endswith(".conf"):
        continue
    comment = []
    with open(os.path.join(confd, name), encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            for k, v in subst.items():
                line = line.replace("@" + k + "@", v)
            s = line.strip()
            if s.startswith("#"):
                comment.append(s.lstrip("#").strip())
            elif s.startswith("[") and s.endswith("]"):
                sections.append((s[1:-1], []))
                # a comment right above a section header describes the file, not a key
                comment = []
            elif "=" in s and sections:
                k, v = s.split("=", 1)
                sections[-1][1].append((k.strip(), v.strip(), " ".join(c for c in comment if c)))
                comment = []
            elif not s:
                # a blank line ends a comment block only when a key followed it
                pass

body = []
for sec, keys in sections:
    if not keys:
        continue
    body.append(".SS [%s]" % sec)
    described = None
    for k, v, c in keys:
        default = roff(v) if v else "(empty)"
        body.append(".TP")
        body.append("\\fB%s\\fR = \\fI%s\\fR" % (roff(k), default))
        if c:
            body.append(roff(c))
            described = k
        else:
            # keys listed under one comment (the [types] classes, log and log-level)
            body.append("See \\fB%s\\fR above." % roff(described) if described else "")
text = open(tmpl, encoding="utf-8").read().replace("@KEYS@\n", "\n".join(body) + "\n")
with open(out, "w", encoding="utf-8") as f:
    f.write(text)
