"""Input and answers at the edges: each refused with its own typed error before anything is
sent, or read without an untyped exception."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timezone

import httpx
import pytest
from phone_fakes import MOBILE, FakeClock, FakeIntercom

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    InvalidCustomAttributes,
    InvalidPhoneNumber,
    PhoneSwitchClient,
    RateLimit,
    RateLimited,
    SmsNotSent,
)
from intercom_phone_switch._validation import _normalised
from tests.versions import LATEST

Make = Callable[..., PhoneSwitchClient]
HUGE = "9" * 401


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def too_many_requests(reset: str) -> httpx.Response:
    return httpx.Response(
        429,
        json={"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    )


@pytest.mark.parametrize("reset", [HUGE, "1" + "0" * 17, "-5", "1_000", "12.5"])
def test_an_unreadable_rate_limit_reset_is_still_rate_limited(
    make_client: Make, intercom: FakeIntercom, reset: str
) -> None:
    intercom.script.extend([too_many_requests(reset)] * 3)
    with make_client(max_retries=2) as client, pytest.raises(RateLimited) as caught:
        client.create_phone_switch(MOBILE)
    error = caught.value
    assert error.reset_at is None or error.reset_at.year <= 9999
    assert error.rate_limit is not None
    assert error.rate_limit.reset_at == error.reset_at
    str(error), repr(error)  # neither raises


def test_an_unreadable_rate_limit_reset_async(
    make_async_client: Callable[..., AsyncPhoneSwitchClient], intercom: FakeIntercom
) -> None:
    intercom.script.extend([too_many_requests(HUGE)] * 3)

    async def run() -> RateLimited:
        async with make_async_client(max_retries=2) as client:
            with pytest.raises(RateLimited) as caught:
                await client.create_phone_switch(MOBILE)
        return caught.value

    assert asyncio.run(run()).reset is None


def test_a_reset_beyond_the_calendar_has_no_datetime(
    make_client: Make, intercom: FakeIntercom
) -> None:
    far = 10**14  # readable, but after the year 9999
    intercom.script.append(too_many_requests(str(far)))
    with make_client(max_retries=3, deadline=None) as client, pytest.raises(RateLimited) as caught:
        client.create_phone_switch(MOBILE)
    assert caught.value.reset == far
    assert caught.value.reset_at is None
    assert len(intercom.requests) == 1, "a reset that far away is not waited for"
    assert RateLimit(reset=far).reset_at is None
    assert RateLimit(reset=0).reset_at == datetime(1970, 1, 1, tzinfo=timezone.utc)


def test_a_window_further_than_a_minute_is_not_waited_for(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.append(too_many_requests(str(int(clock.now) + 86_400)))
    with make_client(deadline=None) as client, pytest.raises(RateLimited):
        client.create_phone_switch(MOBILE)
    assert clock.sleeps == []


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999])
def test_backoff_is_jittered_within_bounds(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock, draw: float
) -> None:
    intercom.script.extend([httpx.ConnectError("refused")] * 3)
    clock.draws = [draw] * 3
    with make_client(max_retries=3) as client:
        client.create_phone_switch(MOBILE)
    nominal = [0.5, 1.0, 2.0]
    assert clock.sleeps == pytest.approx([wait * (1 - 0.5 * draw) for wait in nominal])
    for wait, most in zip(clock.sleeps, nominal, strict=True):
        assert most / 2 <= wait <= most


def test_waits_for_a_window_spread_after_the_reset(
    make_client: Make, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.script.append(too_many_requests(str(int(clock.now) + 4)))
    clock.draws = [0.5]
    with make_client() as client:
        client.create_phone_switch(MOBILE)
    assert clock.sleeps == [pytest.approx(4.25)]


def test_the_system_clock_draws_different_jitter() -> None:
    from intercom_phone_switch import SystemClock

    draws = {SystemClock().random() for _ in range(20)}
    assert len(draws) > 1
    assert all(0.0 <= d < 1.0 for d in draws)


@pytest.mark.parametrize("depth", [33, 1_200, 5_000])
def test_deep_nesting_is_invalid_custom_attributes(make_client: Make, depth: int) -> None:
    with make_client() as client, pytest.raises(InvalidCustomAttributes) as caught:
        client.create_phone_switch(MOBILE, {"deep": nested(depth)}, version=LATEST)
    assert caught.value.attribute == "deep"
    assert "nested more than 32 levels deep" in caught.value.message


def test_a_value_holding_itself_is_invalid_custom_attributes(make_client: Make) -> None:
    loop: list[object] = []
    loop.append(loop)
    wide: list[object] = []
    wide.extend([wide] * 1000)
    with make_client() as client:
        for value in (loop, wide):
            with pytest.raises(InvalidCustomAttributes):
                client.create_phone_switch(MOBILE, {"x": value})


def test_deep_nesting_async(make_async_client: Callable[..., AsyncPhoneSwitchClient]) -> None:
    async def run() -> None:
        async with make_async_client() as client:
            with pytest.raises(InvalidCustomAttributes):
                await client.create_phone_switch(MOBILE, {"deep": nested(1_200)})

    asyncio.run(run())


@pytest.mark.parametrize(
    "attributes",
    [
        {"\ud800": "x"},
        {"a\udfff": 1},
        {"a": "\ud800"},
        {"a": {"type": "list", "instances": [{"id": "\ud800"}]}},
        {"a": {"type": "list", "instances": [{"\ud800": "x"}]}},
    ],
)
def test_lone_surrogates_are_invalid_custom_attributes(
    make_client: Make, intercom: FakeIntercom, attributes: dict[str, object]
) -> None:
    with make_client() as client, pytest.raises(InvalidCustomAttributes) as caught:
        client.create_phone_switch(MOBILE, attributes)
    assert "not valid Unicode" in caught.value.message
    assert caught.value.attempts == 0
    assert intercom.requests == []


@pytest.mark.parametrize(
    "value",
    [
        {1: "x"},
        {1: "x", "1": "y"},
        {"type": "list", "instances": [{"id": "1", 2: "b"}]},
        [{(1, 2): "x"}],
        {"ok": {None: 1}},
    ],
)
def test_non_string_keys_are_refused_before_sending(
    make_client: Make, intercom: FakeIntercom, value: object
) -> None:
    with make_client() as client, pytest.raises(InvalidCustomAttributes) as caught:
        client.create_phone_switch(MOBILE, {"nested": value}, version=LATEST)
    assert "JSON keys are strings" in caught.value.message
    assert intercom.requests == []


def test_what_passes_reaches_the_wire_unchanged(make_client: Make, intercom: FakeIntercom) -> None:
    instances = {
        "type": "list",
        "instances": [{"id": "1", "external_id": "e", "custom_attributes": {"k": "v"}}],
    }
    with make_client() as client:
        client.create_phone_switch(MOBILE, {"plan": "pro", "seats": 3, "list": instances})
    assert intercom.bodies[0]["custom_attributes"] == {
        "plan": "pro",
        "seats": 3,
        "list": instances,
    }


def test_nan_nested_anywhere_is_refused(make_client: Make, intercom: FakeIntercom) -> None:
    with make_client() as client, pytest.raises(InvalidCustomAttributes, match="JSON cannot"):
        client.create_phone_switch(
            MOBILE, {"list": {"type": "list", "instances": [{"n": float("nan")}]}}
        )
    assert intercom.requests == []


def test_huge_invalid_phones_are_not_kept_nor_copied(make_client: Make) -> None:
    _normalised.cache_clear()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        messages = []
        with make_client() as client:
            for index in range(30):
                phone = f"+{index}" + "5" * 1_000_000
                with pytest.raises(InvalidPhoneNumber) as caught:
                    client.create_phone_switch(phone)
                messages.append(caught.value.message)
                del phone, caught
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2_000_000, f"{kept} bytes kept after 30 inputs of 1 MB"
    assert _normalised.cache_info().currsize == 0
    assert all(len(message) < 300 for message in messages)
    assert "too long" in messages[0]


def test_huge_values_are_shown_in_short(make_client: Make) -> None:
    with make_client() as client:
        with pytest.raises(InvalidCustomAttributes) as caught:
            client.create_phone_switch(MOBILE, {"x" * 100_000: None})
        assert len(caught.value.message) < 500
        with pytest.raises(InvalidPhoneNumber) as phone:
            client.create_phone_switch(["+353"] * 100_000)  # type: ignore[arg-type]
        assert len(phone.value.message) < 300


def test_long_error_messages_from_a_server_are_bounded(
    make_client: Make, intercom: FakeIntercom
) -> None:
    long = "m" * 500_000
    intercom.script.append(httpx.Response(400, json={"error_key": "sms_failed", "message": long}))
    with make_client() as client, pytest.raises(SmsNotSent) as caught:
        client.create_phone_switch(MOBILE)
    error = caught.value
    assert len(error.message) < 2_100
    assert error.body is not None
    assert len(error.body) < 17_000
    assert "more characters" in error.message
