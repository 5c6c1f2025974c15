"""Fail when the committed ``generated/`` is not what a fresh generation writes.

The inputs (stored spec, overlays, generator config) are copied to a scratch folder,
generated there, and the two trees compared file by file.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from .generate import generate_all

INPUTS = ("openapi.yaml", "overlays", "generator-config.yml")
IGNORED = {"__pycache__"}


def _files(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and not IGNORED.intersection(path.relative_to(root).parts)
    }


def differences(root: Path) -> list[str]:
    """Paths under generated/ that differ from a fresh generation (empty when in sync)."""
    with tempfile.TemporaryDirectory(prefix="generated-") as scratch:
        fresh_root = Path(scratch)
        for name in INPUTS:
            source = root / name
            if source.is_dir():
                shutil.copytree(source, fresh_root / name)
            else:
                shutil.copy2(source, fresh_root / name)
        generate_all(fresh_root)
        committed, fresh = root / "generated", fresh_root / "generated"
        ours, theirs = _files(committed), _files(fresh)
        report = [f"only in generated/: {p}" for p in sorted(ours - theirs)]
        report += [f"missing from generated/: {p}" for p in sorted(theirs - ours)]
        report += [
            f"differs: generated/{p}"
            for p in sorted(ours & theirs)
            if not filecmp.cmp(committed / p, fresh / p, shallow=False)
        ]
        return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    report = differences(args.root.resolve())
    if report:
        print("generated/ is out of date; run `nox -s generate` and commit:", file=sys.stderr)
        for line in report:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("generated/ matches a fresh generation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
