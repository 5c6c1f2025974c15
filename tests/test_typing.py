"""Type checkers follow an editable install: a user's script type-checks strictly."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_pyright_follows_the_installed_package(user_script: Path) -> None:
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if pyright is None:
        pytest.fail("pyright is part of the test dependencies")
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
