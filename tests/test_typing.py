"""Type checkers follow an editable install: a user's script type-checks strictly."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.versions import NEXT

USER_SCRIPT = """
from __future__ import annotations

import httpx

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    DeliveryUnknown,
    PhoneSwitch,
    PhoneSwitchClient,
    PhoneSwitchError,
)
from intercom_phone_switch.fake import FakeIntercom
from intercom_phone_switch.fake._clients import fake_client
from intercom_phone_switch_generated.registry import LATEST_VERSION


def send(client: PhoneSwitchClient, phone: str) -> str | None:
    try:
        switch: PhoneSwitch = client.create_phone_switch(phone, {"plan": "pro"})
    except DeliveryUnknown as error:
        return error.message
    except PhoneSwitchError:
        return None
    return switch.url


async def send_async(client: AsyncPhoneSwitchClient) -> PhoneSwitch:
    return await client.create_phone_switch("+353832345678")


fake = FakeIntercom(tokens=["t"])
with fake_client(fake) as client:
    print(send(client, "+353832345678"), LATEST_VERSION)
with PhoneSwitchClient("t", http_client=httpx.Client(transport=fake.transport())) as other:
    print(send(other, "+353832345678"))
"""


@pytest.fixture
def user_script(tmp_path: Path) -> Path:
    script = tmp_path / "app.py"
    script.write_text(USER_SCRIPT, encoding="utf-8")
    return script


def test_mypy_strict_follows_the_installed_package(user_script: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", user_script.name],
        capture_output=True,
        text=True,
        cwd=user_script.parent,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def _pyright() -> str:
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if pyright is None:
        pytest.fail("pyright is part of the test dependencies")
    return pyright


def test_pyright_follows_the_installed_package(user_script: Path) -> None:
    pyright = _pyright()
    result = subprocess.run(
        [pyright, "--pythonpath", sys.executable, user_script.name],
        capture_output=True,
        text=True,
        cwd=user_script.parent,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


def test_a_type_checker_catches_a_version_intercom_does_not_accept(tmp_path: Path) -> None:
    script = tmp_path / "typo.py"
    script.write_text(
        "from intercom_phone_switch import PhoneSwitchClient\n"
        f'PhoneSwitchClient("t", version="{NEXT}")\n'
        'PhoneSwitchClient("t", version="2.13", region="mars")\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", script.name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert 'typo.py:2: error: Argument "version"' in result.stdout
    assert 'typo.py:3: error: Argument "region"' in result.stdout


#: The packages whose names are imported on first use (a module ``__getattr__``).
LAZY_PACKAGES = (
    "intercom_phone_switch",
    "intercom_phone_switch.contract",
    "intercom_phone_switch.fake",
    "intercom_phone_switch.guard",
)


def _line(diagnostic: dict[str, Any]) -> int | None:
    """The 1-based line of a pyright diagnostic (None for one about the whole package)."""
    return diagnostic["range"]["start"]["line"] + 1 if "range" in diagnostic else None


def test_every_public_symbol_has_a_declared_type(tmp_path: Path) -> None:
    """pyright --verifytypes scores 100%: no public attribute, return or parameter whose
    type a checker would have to infer (`nox -s lint` checks the same with basedpyright)."""
    # --verifytypes finds the package with the first `python` on PATH (it takes no
    # --pythonpath): this interpreter's.
    bin_dir = str(Path(sys.executable).parent)
    result = subprocess.run(
        [_pyright(), "--verifytypes", "intercom_phone_switch", "--ignoreexternal", "--outputjson"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])},
        check=False,
        timeout=300,
    )
    report = json.loads(result.stdout)
    completeness = report["typeCompleteness"]
    problems = [
        f"{diagnostic['file']}:{_line(diagnostic)}: {diagnostic['message']}"
        for diagnostic in report["generalDiagnostics"]
        if diagnostic["severity"] == "error"
    ]
    assert completeness["exportedSymbolCounts"]["withKnownType"] > 100, result.stderr
    assert completeness["completenessScore"] == 1, "\n".join(problems)
    assert result.returncode == 0, result.stderr


def test_type_checkers_refuse_a_misspelt_public_name(tmp_path: Path) -> None:
    """The lazily imported packages show type checkers their public names, each of them
    and no other: a misspelt one is an error, not a value of type Any."""
    lines = ["from __future__ import annotations"]
    for package in LAZY_PACKAGES:
        names = importlib.import_module(package).__all__
        lines.append(f"from {package} import {', '.join(names)}")
    lines.append("import " + ", ".join(LAZY_PACKAGES[1:]))
    first_typo = len(lines) + 1
    lines.append("from intercom_phone_switch import PhoneSwitchClientt")
    lines.append("print(intercom_phone_switch.guard.Gaurd)")
    lines.append("print(intercom_phone_switch.fake.FakeIntercomm)")
    lines.append("print(intercom_phone_switch.contract.runn)")
    script = tmp_path / "typos.py"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    typo_lines = set(range(first_typo, first_typo + 4))

    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", script.name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    flagged = {int(line.split(":")[1]) for line in mypy.stdout.splitlines() if ": error:" in line}
    assert flagged == typo_lines, mypy.stdout

    pyright = subprocess.run(
        [_pyright(), "--pythonpath", sys.executable, "--outputjson", script.name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    diagnostics = json.loads(pyright.stdout)["generalDiagnostics"]
    flagged = {_line(diagnostic) for diagnostic in diagnostics if diagnostic["severity"] == "error"}
    assert flagged == typo_lines, pyright.stdout
