"""Make generated code import on Python 3.10: ``typing.Self`` arrived in 3.11.

openapi-python-client writes ``from typing import ..., Self``; this post-hook (listed in
generator-config.yml, before the ruff hooks) takes ``Self`` from ``typing_extensions``
instead. Usage: ``python -m codegen.backport DIRECTORY``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_TYPING_IMPORT = re.compile(r"^from typing import (?P<names>[^\n(]+)$", re.MULTILINE)


def backport(source: str) -> str:
    def replace(match: re.Match[str]) -> str:
        names = [name.strip() for name in match["names"].split(",")]
        if "Self" not in names:
            return match[0]
        rest = [name for name in names if name != "Self"]
        lines = [f"from typing import {', '.join(rest)}"] if rest else []
        lines.append("from typing_extensions import Self")
        return "\n".join(lines)

    return _TYPING_IMPORT.sub(replace, source)


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
