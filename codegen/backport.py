"""Make generated code import on Python 3.10: ``typing.Self`` arrived in 3.11.

openapi-python-client writes ``from typing import ..., Self``; this post-hook (listed in
generator-config.yml, after ruff's fixes) takes ``Self`` from ``typing_extensions`` on
3.10 only, so that newer Pythons do not pay for importing it. Usage:
``python -m codegen.backport DIRECTORY``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_TYPING_IMPORT = re.compile(r"^from typing import (?P<names>[^\n(]+)\n", re.MULTILINE)
_EXTENSIONS_IMPORT = re.compile(r"^from typing_extensions import Self\n", re.MULTILINE)

#: Where ``Self`` comes from: the standard library from 3.11 on.
_SELF = (
    "import sys\n\n"
    "if sys.version_info >= (3, 11):\n"
    "    from typing import Self\n"
    "else:\n"
    "    from typing_extensions import Self\n\n"
)


def backport(source: str) -> str:
    """``source`` with every import of ``Self`` replaced by one import that works on 3.10."""
    found = False

    def typing_line(match: re.Match[str]) -> str:
        nonlocal found
        names = [name.strip() for name in match["names"].split(",")]
        if "Self" not in names:
            return match[0]
        found = True
        rest = [name for name in names if name != "Self"]
        return f"from typing import {', '.join(rest)}\n" if rest else ""

    def extensions_line(match: re.Match[str]) -> str:
        nonlocal found
        found = True
        return ""

    source = _EXTENSIONS_IMPORT.sub(extensions_line, _TYPING_IMPORT.sub(typing_line, source))
    if not found or "if sys.version_info >= (3, 11):\n    from typing import Self" in source:
        return source
    lines = source.splitlines(keepends=True)
    at = _after_imports(lines)
    return "".join(lines[:at]) + "\n" + _SELF + "".join(lines[at:])


def _after_imports(lines: list[str]) -> int:
    """The index of the first line after the module's leading imports."""
    end = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(("import ", "from ")):
            if "(" in line and ")" not in line:  # a parenthesised import: to its closing line
                while ")" not in lines[index] and index + 1 < len(lines):
                    index += 1
            end = index + 1
        elif line.strip() and not line.startswith("#"):
            break
        index += 1
    return end


def main(argv: list[str]) -> int:
    for folder in argv or ["."]:
        for path in sorted(Path(folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            new = backport(text)
            if new != text:
                path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
