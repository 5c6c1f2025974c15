"""``versions`` and ``demo`` when a version renames the phone field: every version is still
listed, and nothing ends in a traceback. Each case runs in a process of its own, in which
every reader of the effective specs sees the renamed version (see
``tests/contract/renamed.py``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION, VERSIONS

HELPERS = Path(__file__).resolve().parent.parent / "contract"

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    import pytest
    from renamed import renamed_phone

    renamed_phone(pytest.MonkeyPatch(), sys.argv[2])
    from intercom_phone_switch.cli import main

    main(sys.argv[3:], prog_name="intercom-phone-switch")
    """
)


def run(renamed: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(HELPERS), renamed, *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={
            **{
                key: value
                for key, value in os.environ.items()
                if key != "INTERCOM_PHONE_SWITCH_LOG"
            },
            "COLUMNS": "200",
        },
    )


@pytest.mark.parametrize("renamed", [LATEST_VERSION, VERSIONS[0]])
def test_versions_lists_every_version_when_one_renames_the_phone(renamed: str) -> None:
    result = run(renamed, "versions")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for value in HEADER_VALUES:
        assert value in result.stdout
    for version in VERSIONS:
        assert re.search(rf"│ {re.escape(version)}\s+│", result.stdout), version


def test_demo_goes_through_every_version_when_one_renames_the_phone() -> None:
    renamed = LATEST_VERSION
    result = run(renamed, "demo")

    shown = result.stdout + result.stderr
    assert result.returncode in (0, 1), shown
    assert "Traceback" not in shown
    for version in VERSIONS:
        line = re.search(rf"^  {re.escape(version)}\s+(\S+)", result.stdout, re.MULTILINE)
        assert line is not None, version
        if version != renamed:
            assert line.group(1) == "PhoneSwitch", line.group(0)
    assert "steps behaved as expected" in shown or "steps misbehaved" in shown
