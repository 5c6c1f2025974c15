"""The pytest fixtures give each test a guard of its own: a key one test used is free in
the next, whatever order they run in."""

from __future__ import annotations

import pytest

USERS_TESTS = """
import pytest

from intercom_phone_switch.guard import Guard

CALL_SID = "CA0123456789"


@pytest.mark.parametrize("run", [1, 2, 3])
def test_each_test_sends_with_the_same_call_sid(fake_intercom, fake_intercom_client, run):
    switch = fake_intercom_client.create_phone_switch("+353832345678", idempotency_key=CALL_SID)
    assert not switch.replayed
    assert fake_intercom.outbox.total == 1
    again = fake_intercom_client.create_phone_switch("+353832345678", idempotency_key=CALL_SID)
    assert again.replayed


async def send_twice(client):
    first = await client.create_phone_switch("+353832345678", idempotency_key=CALL_SID)
    second = await client.create_phone_switch("+353832345678", idempotency_key=CALL_SID)
    return first, second


def test_the_async_client_has_the_tests_guard(fake_intercom_async_client, fake_intercom_guard):
    import asyncio

    first, second = asyncio.run(send_twice(fake_intercom_async_client))
    assert (first.replayed, second.replayed) == (False, True)
    assert fake_intercom_guard.state(CALL_SID).state == "accepted"


class TestAnotherGuard:
    @pytest.fixture
    def fake_intercom_guard(self, tmp_path):
        with Guard(f"sqlite:///{tmp_path}/guard.db", per_phone_window=60) as guard:
            yield guard

    def test_an_overridden_guard_is_used(self, fake_intercom_client, fake_intercom_guard):
        fake_intercom_client.create_phone_switch("+353832345678", idempotency_key=CALL_SID)
        assert fake_intercom_guard.state(CALL_SID).state == "accepted"
        assert fake_intercom_guard.url.startswith("sqlite:///")
"""


def test_each_test_has_a_guard_of_its_own(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USERS_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=5)
