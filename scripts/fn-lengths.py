#!/usr/bin/env python3
"""Lists the longest Rust functions under src/ (lines from `fn` to its closing brace), for the refactor's note.

Usage: scripts/fn-lengths.py [N]   (default: the 15 longest)
A small brace matcher, not a parser: it skips strings, chars and comments well enough for this codebase.
"""
import pathlib, re, sys

def functions(path):
    text = path.read_text()
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?fn\s+(\w+)", line)
        if not m:
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            s = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j])
            s = re.sub(r"'(\\.|[^'\\])'", "''", s)
            s = s.split("//")[0]
            for ch in s:
                if ch == "{":
                    depth += 1; started = True
                elif ch == "}":
                    depth -= 1
            if started and depth <= 0:
                break
            if not started and s.rstrip().endswith(";"):
                break
            j += 1
        if started:
            out.append((j - i + 1, f"{path}:{i+1}", m.group(5)))
    return out

n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
allf = [f for p in sorted(pathlib.Path("src").rglob("*.rs")) for f in functions(p)]
for length, where, name in sorted(allf, reverse=True)[:n]:
    print(f"{length:5d}  {name:32s} {where}")
