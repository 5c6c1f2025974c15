"""``intercom-phone-switch demo``: the main job."""

from __future__ import annotations

import io

from click.testing import CliRunner
from rich.console import Console

from intercom_phone_switch.cli import main
from intercom_phone_switch.commands.demo import run_demo
from intercom_phone_switch.fake import FakeIntercom
from intercom_phone_switch_generated.registry import VERSIONS

ERRORS = (
    "InvalidPhoneNumber",
    "LandlinePhoneNumber",
    "AuthenticationError",
    "RateLimited",
    "InvalidCustomAttributes",
    "UnsupportedVersion",
    "SmsNotSent",
    "ServerError",
    "DeliveryUnknown",
    "ConnectionFailed",
)


def test_demo_sends_for_every_version_and_shows_each_error() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "Fake Intercom listening on http://127.0.0.1:" in output
    for version in VERSIONS:
        assert f"demo_version={version}" in output
    assert output.count("http://via.intercom.io/msgr/") == 2 * len(VERSIONS)  # answers, outbox
    for error in ERRORS:
        assert error in output
    assert "Exceeded rate limit of 1 in 10 seconds" in output
    assert f"All {len(VERSIONS) + len(ERRORS)} steps behaved as expected." in output


def test_demo_fails_when_the_fake_misbehaves() -> None:
    fake = FakeIntercom()
    fake.faults.randomly(1.0, kinds=["server_error_after"], seed=1)
    buffer = io.StringIO()
    code = run_demo(Console(file=buffer, width=200), fake)
    assert code == 1
    output = buffer.getvalue()
    assert "misbehaved" in output
    assert "phone switch with Intercom-Version 2.7: expected PhoneSwitch, got ServerError" in output
