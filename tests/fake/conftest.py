from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom


class SettableClock:
    """A UNIX clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_003.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture
def fake() -> FakeIntercom:
    return FakeIntercom()


@pytest.fixture
def raw(fake: FakeIntercom) -> Iterator[httpx.Client]:
    """Plain httpx calling ``fake`` in-process, sending a token it accepts."""
    with httpx.Client(
        transport=fake.transport(),
        base_url="http://fake-intercom.invalid",
        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
    ) as client:
        yield client
