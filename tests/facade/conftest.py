"""Fixtures for the facade's tests: a scripted Intercom behind httpx.MockTransport, a fake
clock, and clients wired to both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from phone_fakes import TOKEN, FakeClock, FakeIntercom

from intercom_phone_switch import AsyncPhoneSwitchClient, PhoneSwitchClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def intercom(clock: FakeClock) -> FakeIntercom:
    return FakeIntercom(clock)


@pytest.fixture
def make_client(
    intercom: FakeIntercom, clock: FakeClock
) -> Iterator[Callable[..., PhoneSwitchClient]]:
    made: list[httpx.Client] = []

    def make(**options: Any) -> PhoneSwitchClient:
        http = httpx.Client(transport=httpx.MockTransport(intercom))
        made.append(http)
        options.setdefault("token", TOKEN)
        options.setdefault("clock", clock)
        return PhoneSwitchClient(http_client=http, **options)

    yield make
    for http in made:
        http.close()


@pytest.fixture
def make_async_client(
    intercom: FakeIntercom, clock: FakeClock
) -> Callable[..., AsyncPhoneSwitchClient]:
    def make(**options: Any) -> AsyncPhoneSwitchClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(intercom.async_handler))
        options.setdefault("token", TOKEN)
        options.setdefault("clock", clock)
        return AsyncPhoneSwitchClient(http_client=http, **options)

    return make
