#!/usr/bin/env python3
"""The README's embedding example is the code the test suite compiles and runs.

Compares the ```swift block of README.md's section "Embedding: a whole study in one process"
with the region of Tests/MPCProtocolTests/ReadmeExampleTests.swift between the markers
`// --- README example begins ---` and `// --- README example ends ---`, after removing all
whitespace (swift-format may re-wrap and re-indent the test; any other difference fails).
The README block's leading `import` lines, which cannot stand inside the test function, must
be exactly the test file's imports other than `Testing`.

Usage: check-readme-example.py [README] [TEST]   (paths default to the repository's)
Exit 0 when they match; 1 with a message naming both files and the first difference.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Embedding: a whole study in one process"
BEGIN = "// --- README example begins ---"
END = "// --- README example ends ---"
IMPORT = re.compile(r"^\s*import\s+(\w+)\s*$")


def fail(message):
    print(f"check-readme-example: {message}", file=sys.stderr)
    sys.exit(1)


def readme_block(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    try:
        start = lines.index(SECTION)
    except ValueError:
        fail(f"{path}: no section heading '{SECTION}'")
    block = None
    for i in range(start + 1, len(lines)):
        if lines[i].startswith("## "):
            break
        if lines[i].strip() == "```swift":
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
            if end is None:
                fail(f"{path}:{i + 1}: the ```swift block is not closed")
            block = (i + 2, lines[i + 1 : end])
            break
    if block is None:
        fail(f"{path}: no ```swift block in section '{SECTION}'")
    return block


def test_region(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        fail(f"{path}: expected one '{BEGIN}' line followed by one '{END}' line")
    imports = [m.group(1) for m in map(IMPORT.match, lines) if m]
    return begins[0] + 2, lines[begins[0] + 1 : ends[0]], imports


def squeeze(lines):
    """The text without whitespace, and for each of its characters the line it came from."""
    chars, origin = [], []
    for number, line in lines:
        for c in line:
            if not c.isspace():
                chars.append(c)
                origin.append(number)
    return "".join(chars), origin


def main():
    readme = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "README.md")
    test = (
        sys.argv[2]
        if len(sys.argv) > 2
        else os.path.join(ROOT, "Tests/MPCProtocolTests/ReadmeExampleTests.swift")
    )
    readme, test = os.path.relpath(readme), os.path.relpath(test)
    first, block = readme_block(readme)
    test_first, region, test_imports = test_region(test)

    # The README's leading imports (and blank lines among them).
    readme_imports, body = [], list(enumerate(block, start=first))
    while body and (not body[0][1].strip() or IMPORT.match(body[0][1])):
        m = IMPORT.match(body.pop(0)[1])
        if m:
            readme_imports.append(m.group(1))
    expected = sorted(set(test_imports) - {"Testing"})
    if sorted(readme_imports) != expected:
        fail(
            f"{readme} (line {first}) imports {', '.join(readme_imports) or 'nothing'}, but "
            f"{test} imports {', '.join(expected)} (besides Testing): the example would not "
            "compile as printed"
        )

    a, a_line = squeeze(body)
    b, b_line = squeeze(list(enumerate(region, start=test_first)))
    if a == b:
        return
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    where_a = f"line {a_line[i]}" if i < len(a) else "its end"
    where_b = f"line {b_line[i]}" if i < len(b) else "its end"
    fail(
        f"the embedding example differs (ignoring whitespace) between {readme} ({where_a}: "
        f"…{a[max(0, i - 20) : i + 20]}…) and the region of {test} between '{BEGIN}' and "
        f"'{END}' ({where_b}: …{b[max(0, i - 20) : i + 20]}…); make the README block the "
        "code the test runs"
    )


main()
