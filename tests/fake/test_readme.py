"""The python examples of the README's fake Intercom section run, unchanged."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"


def blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("<!-- fake:start -->") : text.index("<!-- fake:end -->")]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_section_has_examples() -> None:
    assert len(blocks()) >= 4


def test_examples_run_in_order() -> None:
    namespace: dict[str, Any] = {"__name__": "readme"}
    for index, block in enumerate(blocks()):
        if "def test_" in block:
            continue  # a test module: run by pytest below
        exec(compile(block, f"README.md fake block {index + 1}", "exec"), namespace)
    assert namespace["fake"].outbox.total >= 3


def test_the_pytest_example_passes(tmp_path: Path) -> None:
    (example,) = [block for block in blocks() if "def test_" in block]
    (tmp_path / "test_readme_example.py").write_text(example, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
