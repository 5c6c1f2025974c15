"""The fixtures the package gives its users' test suites (entry point pytest11)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest

from intercom_phone_switch import LandlinePhoneNumber, PhoneSwitchClient
from intercom_phone_switch.fake import FakeIntercom, FakeServer


def test_the_plugin_is_registered() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins["intercom_phone_switch"] == "intercom_phone_switch._pytest_entry"


def test_client_fixture_talks_to_the_fake(
    fake_intercom: FakeIntercom, fake_intercom_client: PhoneSwitchClient
) -> None:
    switch = fake_intercom_client.create_phone_switch("+353832345678", {"plan": "pro"})
    (sms,) = fake_intercom.outbox.messages()
    assert (sms.url, sms.request_id) == (switch.url, switch.request_id)
    with pytest.raises(LandlinePhoneNumber):
        fake_intercom_client.create_phone_switch("+40241100100")


@pytest.fixture
def fake_intercom_options() -> dict[str, Any]:
    return {"tokens": ["custom-token"], "default_version": "2.13", "rate_limit": 7}


def test_options_fixture_configures_the_fake(
    fake_intercom: FakeIntercom, fake_intercom_client: PhoneSwitchClient
) -> None:
    assert fake_intercom.tokens == frozenset({"custom-token"})
    switch = fake_intercom_client.create_phone_switch("+353832345678")
    assert switch.rate_limit.limit == 7


def test_server_fixture(fake_intercom: FakeIntercom, fake_intercom_server: FakeServer) -> None:
    answer = httpx.post(
        fake_intercom_server.url + "/phone_call_redirects",
        json={"phone": "+353832345678"},
        headers={"Authorization": "Bearer custom-token"},
    )
    assert answer.status_code == 200
    assert fake_intercom.outbox.total == 1


def test_a_users_suite_gets_the_fixtures(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            from intercom_phone_switch import DeliveryUnknown
            import pytest

            def test_switch(fake_intercom, fake_intercom_client):
                fake_intercom.faults.script("drop_after_sms")
                with pytest.raises(DeliveryUnknown):
                    fake_intercom_client.create_phone_switch("+353832345678")
                assert len(fake_intercom.outbox.messages("+353832345678")) == 1

            def test_fresh_fake_per_test(fake_intercom):
                assert fake_intercom.outbox.total == 0
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


USERS_TESTS = """
import asyncio

import pytest

from intercom_phone_switch import InvalidCustomAttributes


@pytest.fixture
def fake_intercom_client_options():
    return {"version": "2.13", "max_retries": 0}


def test_the_client_options_choose_the_version(fake_intercom, fake_intercom_client):
    switch = fake_intercom_client.create_phone_switch("+353832345678", {"plan": "pro"})
    assert switch.version == "2.13"
    assert fake_intercom.outbox.last().version == "2.13"
    with pytest.raises(InvalidCustomAttributes):
        fake_intercom_client.create_phone_switch("+353832345678", {"seats": 3})


def test_the_async_client(fake_intercom, fake_intercom_async_client):
    async def send():
        return await fake_intercom_async_client.create_phone_switch("+353832345678")

    switch = asyncio.run(send())
    assert switch.version == "2.13"
    assert fake_intercom.outbox.total == 1


def test_the_token_of_the_fake(fake_intercom):
    assert isinstance(fake_intercom.token, str)
    assert fake_intercom.token in fake_intercom.tokens
"""


def test_a_users_suite_with_pytester(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USERS_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_fake_names_a_token_it_accepts() -> None:
    assert FakeIntercom(tokens=["b", "a"]).token == "a"
    with pytest.raises(ValueError, match="accepts no token"):
        _ = FakeIntercom(tokens=[]).token
