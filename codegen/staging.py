"""Change the project all at once or not at all.

An import (or a normalisation) rewrites ``openapi.yaml`` and overlays, and with them every
generated package. :func:`apply` does the whole change in a copy of the project first:
writes the new files there, regenerates ``generated/``, checks that a second generation
gives the same bytes (the drift check CI runs) and that every version's seam imports and
builds a request. Only when all of that succeeds are the files that differ copied into
the project, each one replaced whole. Any failure raises :class:`Stopped` and leaves the
project as it was.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .drift import INPUTS, differences
from .generate import PACKAGE, GenerationFailed, generate_all

GENERATED = "generated"
IGNORED = frozenset({"__pycache__"})

#: Run in a fresh interpreter against the staged generated/: every version's seam must
#: import and build a request.
_SMOKE = """
import importlib, sys
from intercom_phone_switch_generated import registry
for version, module in registry.MODULES.items():
    seam = importlib.import_module(f"intercom_phone_switch_generated.{module}.seam")
    assert seam.VERSION == version, (seam.VERSION, version)
    built = seam.request("+15550100", {"plan": "gold"}, version)
    assert built.method == registry.METHOD.upper() and built.path == registry.PATH, built
"""


class Stopped(RuntimeError):
    """The change could not be made; nothing in the project was written."""


def _copy_inputs(root: Path, target: Path) -> None:
    for name in INPUTS:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(*IGNORED))
        elif source.is_file():
            shutil.copy2(source, target / name)


def _files(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and not IGNORED.intersection(path.relative_to(folder).parts)
    }


def _smoke(staged: Path) -> None:
    environment = {
        **os.environ,
        "PYTHONPATH": str(staged / GENERATED),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    check = subprocess.run(
        [sys.executable, "-c", _SMOKE],
        capture_output=True,
        text=True,
        env=environment,
        cwd=staged,
        timeout=300,
        check=False,
    )
    if check.returncode != 0:
        last = (check.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise Stopped(f"the generated seams do not work: {last}")


def _replace(target: Path, source: Path) -> None:
    """``target`` becomes a copy of ``source``, in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def apply(
    root: Path,
    files: Mapping[str, str],
    obsolete: Iterable[str] = (),
    *,
    generate: bool = True,
) -> list[str]:
    """Write ``files`` (relative path -> text), delete ``obsolete``, and regenerate
    ``generated/`` when ``generate``: all of it, or, raising Stopped, none of it.

    Returns the project paths changed, created or deleted.
    """
    with tempfile.TemporaryDirectory(prefix="intercom-import-") as scratch:
        staged = Path(scratch)
        _copy_inputs(root, staged)
        for name, text in files.items():
            (staged / name).parent.mkdir(parents=True, exist_ok=True)
            (staged / name).write_text(text, encoding="utf-8")
        for name in obsolete:
            (staged / name).unlink(missing_ok=True)
        if generate:
            try:
                generate_all(staged)
            except GenerationFailed as exc:
                raise Stopped(f"generation failed: {exc}") from None
            drift = differences(staged)
            if drift:
                raise Stopped(
                    "a second generation differs from the first ("
                    + "; ".join(drift[:5])
                    + "): generated/ would not be reproducible"
                )
            _smoke(staged)
        else:
            from .effective import SpecError, build

            try:
                build(staged)
            except SpecError as exc:
                raise Stopped(str(exc)) from None
        return _commit(root, staged, files, obsolete, generate)


def _commit(
    root: Path, staged: Path, files: Mapping[str, str], obsolete: Iterable[str], generate: bool
) -> list[str]:
    changed: list[str] = []
    for name in files:
        target = root / name
        if not target.is_file() or not filecmp.cmp(target, staged / name, shallow=False):
            changed.append(name)
    gone = [name for name in obsolete if (root / name).exists()]
    generated: list[str] = []
    removed: list[str] = []
    if generate:
        ours, theirs = _files(root / GENERATED), _files(staged / GENERATED)
        generated = sorted(
            name
            for name in theirs
            if name not in ours
            or not filecmp.cmp(root / GENERATED / name, staged / GENERATED / name, shallow=False)
        )
        removed = sorted(ours - theirs)
    for name in changed:
        _replace(root / name, staged / name)
    for name in generated:
        _replace(root / GENERATED / name, staged / GENERATED / name)
    for name in gone:
        (root / name).unlink()
    for name in removed:
        (root / GENERATED / name).unlink()
    _prune_empty(root / GENERATED / PACKAGE)
    return sorted([*changed, *gone, *(f"{GENERATED}/{name}" for name in (*generated, *removed))])


def _prune_empty(folder: Path) -> None:
    """Remove the folders a deleted version package left empty (or holding caches)."""
    if not folder.is_dir():
        return
    for child in sorted(folder.iterdir()):
        if child.is_dir() and child.name not in IGNORED:
            _prune_empty(child)
            if not _files(child):
                shutil.rmtree(child)
