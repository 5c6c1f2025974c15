"""Regeneration: every version's package and the registry, in-process, timed.

The stored spec, the overlays and the generator settings are copied to a scratch folder,
and a fresh interpreter runs ``generate_all`` on it (the same function ``nox -s
generate`` runs), timing the call itself: the generator's own imports count, the
interpreter's start does not. The working tree is never written. Each run's output is
compared with the committed ``generated/``.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .report import Row, Target
from .support import ROOT, environment, median

INPUTS = ("openapi.yaml", "overlays", "generator-config.yml")

TIMED = """
import sys, time
from pathlib import Path
from codegen.generate import generate_all
started = time.perf_counter()
generate_all(Path(sys.argv[1]))
print(time.perf_counter() - started)
"""


def scratch_root(folder: Path) -> Path:
    for name in INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        else:
            shutil.copy2(source, folder / name)
    return folder


def differences(left: Path, right: Path) -> list[str]:
    """Files that differ or exist on one side only (bytecode caches left out)."""
    found: list[str] = []
    compared = filecmp.dircmp(left, right, ignore=["__pycache__"])

    def walk(node: filecmp.dircmp[str], prefix: str) -> None:
        found.extend(prefix + name for name in node.left_only + node.right_only)
        found.extend(prefix + name for name in node.diff_files)
        for name, child in node.subdirs.items():
            walk(child, f"{prefix}{name}/")

    walk(compared, "")
    return found


def run(rounds: int = 3, budget: float = 3.0) -> list[Row]:
    seconds: list[float] = []
    drift: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as scratch:
        root = scratch_root(Path(scratch))
        for _ in range(rounds):
            done = subprocess.run(
                [sys.executable, "-c", TIMED, str(root)],
                capture_output=True,
                text=True,
                timeout=120,
                env=environment(),
            )
            if done.returncode != 0:
                failure = done.stderr.strip().splitlines()[-1:] or ["no output"]
                break
            seconds.append(float(done.stdout.strip().splitlines()[-1]))
        else:
            failure = []
            drift = differences(root / "generated", ROOT / "generated")
    note = ""
    if failure:
        note = f"generation failed: {failure[0]}"
    elif drift:
        note = f"output differs from the committed generated/: {', '.join(drift[:5])}"
    return [
        Row(
            "regeneration (all versions, in-process)",
            "generate_all",
            median(seconds) if seconds and not failure else None,
            "s",
            reference="3 s budget",
            target=Target("<=", budget, " s"),
            note=note,
            details={"rounds": rounds, "seconds": seconds, "differs_from_committed": drift},
        )
    ]
