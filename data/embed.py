#!/usr/bin/env python3
"""Turns a text file into a C string constant: embed.py IN OUT SYMBOL [KEY=VALUE...]
@KEY@ placeholders in IN are replaced first (used for install paths)."""
import sys

src, dst, sym = sys.argv[1:4]
text = open(src, encoding="utf-8").read()
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    text = text.replace("@" + k + "@", v)
with open(dst, "w", encoding="utf-8") as f:
    f.write("/* Generated from %s by data/embed.py; do not edit. */\n" % src.split("/")[-1])
    f.write("const char %s[] =\n" % sym)
    for line in text.splitlines(True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        f.write('    "%s"\n' % esc)
    f.write(";\n")
