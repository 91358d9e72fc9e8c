#!/usr/bin/env python3
"""Rewrites the code block after each `<!-- example: FILE#REGION -->` marker in README.md with the lines between
`// README:begin REGION` and `// README:end` in examples/src/main/java/org/mlp4j/examples/FILE (indentation
removed). ReadmeQuotesExamplesTest checks the same thing; run this after editing an example.

  python3 examples/update_readme.py
"""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "examples", "src", "main", "java", "org", "mlp4j", "examples")


def regions():
    out = {}
    for name in sorted(os.listdir(SRC)):
        if not name.endswith(".java"):
            continue
        lines = open(os.path.join(SRC, name), encoding="utf-8").read().split("\n")
        i = 0
        while i < len(lines):
            t = lines[i].strip()
            if t.startswith("// README:begin "):
                key = name + "#" + t[len("// README:begin "):].strip()
                body = []
                i += 1
                while lines[i].strip() != "// README:end":
                    body.append(lines[i])
                    i += 1
                indent = min(len(l) - len(l.lstrip()) for l in body if l.strip())
                out[key] = "".join(("" if not l.strip() else l[indent:].rstrip()) + "\n" for l in body)
            i += 1
    return out


def main():
    regs = regions()
    path = os.path.join(ROOT, "README.md")
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        out.append(lines[i])
        m = re.fullmatch(r"<!-- example: ([A-Za-z0-9_]+\.java)#([a-z0-9-]+) -->", lines[i].strip())
        if m:
            key = m.group(1) + "#" + m.group(2)
            if key not in regs:
                raise SystemExit("README.md quotes " + key + ", which no example defines")
            j = i + 1
            if j < len(lines) and lines[j] == "```java":
                j += 1
                while lines[j] != "```":
                    j += 1
                j += 1
            out.append("```java")
            out.extend(regs[key].rstrip("\n").split("\n"))
            out.append("```")
            i = j
            continue
        i += 1
    open(path, "w", encoding="utf-8").write("\n".join(out))


if __name__ == "__main__":
    main()
