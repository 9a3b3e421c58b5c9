#!/usr/bin/env python3
"""Embeds a text file as a C string constant (used for indicators.txt).

    embed_text.py IN OUT_C SYMBOL

Writes `const char SYMBOL[]` and `const size_t SYMBOL_len`."""
import sys

src, out, sym = sys.argv[1:4]
with open(src, "rb") as f:
    data = f.read()
lines = ["/* Generated from %s by embed_text.py; do not edit. */\n" % src.split("/")[-1],
         "#include <stddef.h>\n",
         "extern const char %s[];\nextern const size_t %s_len;\n" % (sym, sym),
         "const char %s[] =\n" % sym]
for i in range(0, len(data), 64):
    chunk = data[i:i + 64]
    lines.append('    "' + "".join("\\x%02x" % b for b in chunk) + '"\n')
if not data:
    lines.append('    ""\n')
lines.append(";\nconst size_t %s_len = %d;\n" % (sym, len(data)))
text = "".join(lines)
try:
    with open(out, encoding="ascii") as f:
        if f.read() == text:
            sys.exit(0)
except FileNotFoundError:
    pass
with open(out, "w", encoding="ascii") as f:
    f.write(text)
