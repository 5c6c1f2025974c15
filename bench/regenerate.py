"""Regeneration: every version's package and the registry, against the generator's CLI.

The stored spec, the overlays and the generator settings are copied to a scratch folder,
and a fresh interpreter runs ``generate_all`` on it (the same function ``nox -s
generate`` runs). The reference is what generating the same packages costs without it:
openapi-python-client's own command line run once per version, on that version's
effective spec, with the same ``generator-config.yml`` (post-hooks included). Both are
timed as whole processes (wall time: interpreter start, imports and hooks count on both
sides). The working tree is never written; ``generate_all``'s output is compared with
the committed ``generated/``.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .report import Row, Target, spread
from .support import ROOT, environment, median

INPUTS = ("openapi.yaml", "overlays", "generator-config.yml")

GENERATE = """
import sys
from pathlib import Path
from codegen.generate import generate_all
generate_all(Path(sys.argv[1]))
"""


def scratch_root(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
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


def cli_command() -> list[str] | None:
    beside = Path(sys.executable).parent / "openapi-python-client"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("openapi-python-client")
    return [found] if found else None


def effective_specs() -> list[Path]:
    from intercom_phone_switch_generated.registry import MODULES

    modules = sorted(set(MODULES.values()))
    return [
        ROOT / "generated" / "intercom_phone_switch_generated" / module / "openapi.json"
        for module in modules
    ]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=cwd)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{Path(command[0]).name} failed: {tail[0]}")
    return seconds


def cli_once_per_version(cli: list[str], scratch: Path, env: dict[str, str]) -> float:
    """Seconds to run the generator's CLI once for every version's effective spec."""
    total = 0.0
    config = ROOT / "generator-config.yml"
    for index, spec in enumerate(effective_specs()):
        out = scratch / f"cli-{index}"
        shutil.rmtree(out, ignore_errors=True)
        arguments = ["--path", str(spec), "--config", str(config), "--output-path", str(out)]
        total += timed([*cli, "generate", *arguments, "--meta", "none"], env, scratch)
    return total


def run(rounds: int = 3, cli_rounds: int = 1) -> list[Row]:
    ours: list[float] = []
    theirs: list[float] = []
    drift: list[str] = []
    failure = ""
    env = environment()
    # The post-hooks call `python` and `ruff`: this interpreter's, as in nox's session.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # The maintainer tools are not installed: they run from the checkout, as under nox.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cli = cli_command()
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as folder:
        scratch = Path(folder)
        root = scratch_root(scratch / "root")
        try:
            for index in range(rounds):
                ours.append(timed([sys.executable, "-c", GENERATE, str(root)], env, scratch))
                if cli is not None and index < cli_rounds:
                    theirs.append(cli_once_per_version(cli, scratch, env))
            drift = differences(root / "generated", ROOT / "generated")
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            failure = str(error)
    note = ""
    if failure:
        note = f"generation failed: {failure}"
    elif drift:
        note = f"output differs from the committed generated/: {', '.join(drift[:5])}"
    elif cli is None:
        note = "not measured: openapi-python-client's CLI is not installed"
    reference = median(theirs) if theirs else None
    ratios = [mine / reference for mine in ours] if reference and not failure else []
    section = "regeneration (all versions)"
    versions = len(effective_specs())
    return [
        Row(
            section,
            f"openapi-python-client CLI, once per version ({versions})",
            reference,
            "s",
            spread=spread(theirs),
            note="informative: the reference",
            details={"rounds": cli_rounds, "seconds": theirs},
        ),
        Row(
            section,
            "generate_all (one process)",
            median(ours) if ours and not failure else None,
            "s",
            reference="the CLI once per version (time ratio)",
            ratio=median(ratios) if ratios and not drift else None,
            ratio_spread=spread(ratios),
            spread=spread(ours),
            target=Target("<=", 1.0),
            note=note,
            details={"rounds": rounds, "seconds": ours, "differs_from_committed": drift},
        ),
    ]
