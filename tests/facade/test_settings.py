"""A client's settings at their edges: numbers no clock can use, values nested or long
enough to break a message, and the token never shown back in one."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from phone_fakes import MOBILE, TOKEN, FakeIntercom

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    AuthenticationError,
    PhoneSwitchClient,
    UnsupportedVersion,
)
from intercom_phone_switch._settings import MAX_TOKEN_LENGTH

HUGE = 10**400  # an int no float holds
DEEP: list[object] = []
_level = DEEP
for _ in range(1_000):
    _level.append([])
    _level = _level[0]  # type: ignore[assignment]
LONG = "x" * 20_000_000


def _deep() -> list[object]:
    return DEEP


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, HUGE])
@pytest.mark.parametrize("option", ["deadline", "attempt_timeout", "timeout"])
def test_seconds_no_clock_can_use_are_refused(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        PhoneSwitchClient(TOKEN, **{option: value})


@pytest.mark.parametrize("value", [math.nan, 1.5, True, "2"])
def test_max_retries_must_be_a_whole_number(value: object) -> None:
    with pytest.raises(TypeError, match="max_retries must be an int"):
        PhoneSwitchClient(TOKEN, max_retries=value)  # type: ignore[arg-type]


def test_a_per_call_timeout_and_a_batch_deadline_are_checked_alike(
    make_client: Callable[..., PhoneSwitchClient], intercom: FakeIntercom
) -> None:
    client = make_client()
    with pytest.raises(ValueError, match="timeout"):
        client.create_phone_switch(MOBILE, timeout=HUGE)
    with pytest.raises(ValueError, match="deadline"):
        client.create_phone_switches([MOBILE], deadline=math.nan)
    assert intercom.requests == []


@pytest.mark.parametrize("option", ["timeout", "base_url", "version", "region"])
def test_a_value_nested_1000_deep_gets_a_short_message(option: str) -> None:
    with pytest.raises((TypeError, ValueError, UnsupportedVersion)) as caught:
        PhoneSwitchClient(TOKEN, **{option: _deep()})
    assert len(str(caught.value)) < 2_000


@pytest.mark.parametrize("option", ["base_url", "version", "region"])
def test_a_value_20_million_characters_long_gets_a_short_message(option: str) -> None:
    with pytest.raises((ValueError, UnsupportedVersion)) as caught:
        PhoneSwitchClient(TOKEN, **{option: LONG})
    assert len(str(caught.value)) < 2_000


def test_a_token_too_long_to_be_one_is_refused_at_once() -> None:
    with pytest.raises(AuthenticationError, match=f"longer than {MAX_TOKEN_LENGTH}"):
        AsyncPhoneSwitchClient(LONG)


@pytest.mark.parametrize(
    "url", ["http://h.invalid/{token}/#x", "http://h.invalid/?t={token}", "ftp://{token}/"]
)
def test_a_refused_base_url_never_shows_the_token(url: str) -> None:
    with pytest.raises(ValueError, match="base_url") as caught:
        PhoneSwitchClient(TOKEN, base_url=url.format(token=TOKEN))
    assert TOKEN not in str(caught.value)
    assert "[redacted]" in str(caught.value)
