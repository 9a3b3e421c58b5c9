#!/usr/bin/env python3
"""Folds doc/<module>.md into README.md's "Formats, front ends and operations
in detail" part, one level deeper (# -> ##, outside code blocks), in the
order below. The doc files are the sources (the package installs them); the
README is what people read on the project page.

    scripts/fold-docs.py          rewrite README.md
    scripts/fold-docs.py --check  exit 1 if README.md is not up to date
"""
import os
import sys

ORDER = ["text", "html", "mail", "smtp", "icap", "ooxml", "ole2", "rtf", "pdf",
         "archive", "scanner", "sandbox", "ops"]
START = "## Formats, front ends and operations in detail\n"
END = "## Design\n"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def demote(text):
    out, fence = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fence = not fence
        out.append("#" + line if not fence and line.startswith("#") else line)
    return "".join(out)


def folded(readme):
    i = readme.index(START)
    j = readme.index(END, i)
    head = readme[i:].split("\n\n", 2)  # the heading and the intro paragraph
    parts = [START, "\n", head[1], "\n\n"]
    for name in ORDER:
        with open(os.path.join(ROOT, "doc", name + ".md"), encoding="utf-8") as f:
            parts.append(demote(f.read()).rstrip("\n") + "\n\n")
    return readme[:i] + "".join(parts) + readme[j:]


def main():
    path = os.path.join(ROOT, "README.md")
    with open(path, encoding="utf-8") as f:
        cur = f.read()
    new = folded(cur)
    if "--check" in sys.argv[1:]:
        if new != cur:
            print("README.md is not in step with doc/*.md: run scripts/fold-docs.py")
            return 1
        return 0
    if new != cur:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
