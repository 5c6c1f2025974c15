"""The retry policy: never risk a second SMS, wait out rate limits within the deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from phone_fakes import MOBILE, START, FakeClock, FakeIntercom

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    ConnectionFailed,
    DeliveryUnknown,
    LandlinePhoneNumber,
    PhoneSwitchClient,
    RateLimited,
    ServerError,
)
from intercom_phone_switch._retry import RetryPolicy

Make = Callable[..., PhoneSwitchClient]


def rate_limited(reset: float | None) -> httpx.Response:
    headers = {"X-RateLimit-Limit": "166", "X-RateLimit-Remaining": "0"}
    if reset is not None:
        headers["X-RateLimit-Reset"] = str(int(reset))
    return httpx.Response(
        429,
        json={"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]},
        headers=headers,
    )


NOT_SENT = [
    httpx.ConnectError("[Errno 111] Connection refused"),
    httpx.ConnectTimeout("timed out"),
    httpx.PoolTimeout("no connection free"),
]
MAYBE_SENT = [
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadTimeout("timed out"),
    httpx.ReadError("Connection reset by peer"),
    httpx.WriteError("Broken pipe"),
]


@pytest.mark.parametrize("failure", NOT_SENT, ids=lambda e: type(e).__name__)
def test_not_sent_is_retried_with_backoff(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock, failure: Exception
) -> None:
    intercom.script.extend([failure, failure])
    with make_client() as client:
        switch = client.create_phone_switch(MOBILE)
    assert switch.attempts == 3
    assert len(intercom.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_not_sent_gives_up_after_max_retries(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.extend([httpx.ConnectError("refused")] * 5)
    with make_client(max_retries=3) as client, pytest.raises(ConnectionFailed) as caught:
        client.create_phone_switch(MOBILE)
    assert caught.value.attempts == 4
    assert len(intercom.requests) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("failure", MAYBE_SENT, ids=lambda e: type(e).__name__)
def test_possibly_delivered_is_never_retried_by_default(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock, failure: Exception
) -> None:
    intercom.script.append(failure)
    with make_client(max_retries=5) as client, pytest.raises(DeliveryUnknown) as caught:
        client.create_phone_switch(MOBILE)
    assert len(intercom.requests) == 1, "a second request could send a second SMS"
    assert caught.value.attempts == 1
    cause = caught.value.__cause__
    assert (type(cause), str(cause)) == (type(failure), str(failure))  # a masked copy
    assert clock.sleeps == []


def test_dropped_connection_after_sending_is_not_retried_async(
    make_async_client: Callable[..., AsyncPhoneSwitchClient], intercom: FakeIntercom
) -> None:
    intercom.script.append(httpx.RemoteProtocolError("Server disconnected"))

    async def run() -> None:
        async with make_async_client(max_retries=5) as client:
            await client.create_phone_switch(MOBILE)

    with pytest.raises(DeliveryUnknown):
        asyncio.run(run())
    assert len(intercom.requests) == 1


def test_server_error_is_never_retried_by_default(
    make_client: Make, intercom: FakeIntercom
) -> None:
    intercom.script.append(httpx.Response(503))
    with make_client() as client, pytest.raises(ServerError):
        client.create_phone_switch(MOBILE)
    assert len(intercom.requests) == 1


@pytest.mark.parametrize(
    "failure", [*MAYBE_SENT, httpx.Response(500)], ids=lambda e: type(e).__name__
)
def test_opt_in_retries_possibly_delivered(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock, failure: object
) -> None:
    intercom.script.append(failure)  # type: ignore[arg-type]
    with make_client(retry_possibly_delivered=True) as client:
        switch = client.create_phone_switch(MOBILE)
    assert switch.attempts == 2
    assert len(intercom.requests) == 2
    assert clock.sleeps == [0.5]


def test_rate_limit_waits_for_the_reset(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.append(rate_limited(START + 7))
    with make_client() as client:
        switch = client.create_phone_switch(MOBILE)
    assert clock.sleeps == [7.0]
    assert switch.attempts == 2
    assert intercom.statuses == [429, 200]


def test_rate_limit_waits_async(
    make_async_client: Callable[..., AsyncPhoneSwitchClient],
    intercom: FakeIntercom,
    clock: FakeClock,
) -> None:
    intercom.script.append(rate_limited(START + 4))

    async def run() -> int:
        async with make_async_client() as client:
            return (await client.create_phone_switch(MOBILE)).attempts

    assert asyncio.run(run()) == 2
    assert clock.sleeps == [4.0]


def test_rate_limit_without_a_usable_reset_backs_off(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.extend([rate_limited(None), rate_limited(START - 100)])
    with make_client() as client:
        assert client.create_phone_switch(MOBILE).attempts == 3
    assert clock.sleeps == [0.5, 1.0]


def test_rate_limit_reset_beyond_the_deadline_raises_at_once(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.append(rate_limited(START + 90))
    with make_client(deadline=30) as client, pytest.raises(RateLimited) as caught:
        client.create_phone_switch(MOBILE)
    assert clock.sleeps == []
    assert caught.value.reset == START + 90
    assert len(intercom.requests) == 1


def test_deadline_bounds_the_total_of_waits(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.extend(
        [rate_limited(START + 8), rate_limited(START + 16), rate_limited(START + 24)]
    )
    with make_client(deadline=20, max_retries=10) as client, pytest.raises(RateLimited) as caught:
        client.create_phone_switch(MOBILE)
    assert clock.sleeps == [8.0, 8.0]
    assert caught.value.attempts == 3


def test_max_retries_zero_never_retries(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.extend([rate_limited(START + 1)])
    with make_client(max_retries=0) as client, pytest.raises(RateLimited):
        client.create_phone_switch(MOBILE)
    intercom.script.extend([httpx.ConnectError("refused")])
    with make_client(max_retries=0) as client, pytest.raises(ConnectionFailed):
        client.create_phone_switch(MOBILE)
    assert clock.sleeps == []


def test_answers_that_sent_nothing_are_not_retried(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.append(httpx.Response(422, json={"error_key": "landline_phone"}))
    with make_client(retry_possibly_delivered=True) as client, pytest.raises(LandlinePhoneNumber):
        client.create_phone_switch(MOBILE)
    assert len(intercom.requests) == 1
    assert clock.sleeps == []


def test_policy_decisions() -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_retries=2, deadline=10, clock=clock)
    started = clock.monotonic()
    assert policy.delay(ConnectionFailed(), 1, started) == 0.5
    assert policy.delay(ConnectionFailed(transient=False), 1, started) is None
    assert policy.delay(ConnectionFailed(), 3, started) is None, "max_retries reached"
    assert policy.delay(DeliveryUnknown(), 1, started) is None
    assert (
        RetryPolicy(retry_possibly_delivered=True, clock=clock).delay(ServerError(), 2, started)
        == 1.0
    )
    clock.now += 9.8
    assert policy.delay(ConnectionFailed(), 1, started) is None, "would end after the deadline"
    assert RetryPolicy(deadline=None, clock=clock).delay(ConnectionFailed(), 1, started) == 0.5
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
