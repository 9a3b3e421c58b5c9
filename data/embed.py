#!/usr/bin/env python3
"""Builds the configuration from data/conf.d/*.conf (in name order: each
module owns one file) and writes it twice: as the example mugai.conf and as a
C string constant with the embedded defaults.

    embed.py CONF_D OUT_C OUT_CONF SYMBOL [KEY=VALUE...]

@KEY@ placeholders are replaced (install paths)."""
import os
import sys

confd, out_c, out_conf, sym = sys.argv[1:5]
text = ""
for name in sorted(os.listdir(confd)):
    if name.endswith(".conf"):
        with open(os.path.join(confd, name), encoding="utf-8") as f:
            text += f.read()
for kv in sys.argv[5:]:
    k, v = kv.split("=", 1)
    text = text.replace("@" + k + "@", v)
text = text.rstrip("\n") + "\n"


def write_if_changed(path, content):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == content:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


with_c = ["/* Generated from data/conf.d by data/embed.py; do not edit. */\n",
          "const char %s[] =\n" % sym]
for line in text.splitlines(True):
    esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    with_c.append('    "%s"\n' % esc)
with_c.append(";\n")
write_if_changed(out_c, "".join(with_c))
write_if_changed(out_conf, text)
