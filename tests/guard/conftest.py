"""Fixtures for the guard's tests: a real redis-server, store URLs, a fake Intercom."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from intercom_phone_switch import AsyncPhoneSwitchClient, PhoneSwitchClient
from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom
from intercom_phone_switch.guard import Guard

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support import redis_server  # noqa: E402


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A redis-server of this test session on 127.0.0.1. Skipped only outside CI, and
    only when no server can be started; in CI (CI=true) that is a failure."""
    server = redis_server()
    try:
        url = server.__enter__()
    except RuntimeError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs a Redis server: {error}")
        pytest.skip(f"no Redis server could be started: {error}")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh guard URL of each store (its own namespace or file)."""
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    if request.param == "memory":
        return f"memory://{namespace}"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/guard.db"
    base: str = request.getfixturevalue("redis_url")
    return f"{base}?namespace={namespace}"


@pytest.fixture
def fake() -> FakeIntercom:
    return FakeIntercom()


@pytest.fixture
def make_client(fake: FakeIntercom) -> Iterator[Callable[..., PhoneSwitchClient]]:
    made: list[tuple[PhoneSwitchClient, httpx.Client]] = []

    def make(**options: Any) -> PhoneSwitchClient:
        http = httpx.Client(transport=fake.transport())
        options.setdefault("base_url", "http://fake-intercom.invalid")
        client = PhoneSwitchClient(DEFAULT_TOKEN, http_client=http, **options)
        made.append((client, http))
        return client

    yield make
    for client, http in made:
        client.close()  # a guard is closed by guards_closed, as its maker closes it
        http.close()


@pytest.fixture
def make_async_client(fake: FakeIntercom) -> Iterator[Callable[..., AsyncPhoneSwitchClient]]:
    made: list[AsyncPhoneSwitchClient] = []

    def make(**options: Any) -> AsyncPhoneSwitchClient:
        http = httpx.AsyncClient(transport=fake.async_transport())
        options.setdefault("base_url", "http://fake-intercom.invalid")
        client = AsyncPhoneSwitchClient(DEFAULT_TOKEN, http_client=http, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        asyncio.run(client.aclose())


@pytest.fixture(autouse=True)
def guards_closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every Guard a test opens (``Guard(url)`` in the test, or a client's from its URL) is
    closed when the test ends, as an application closes its own."""
    opened: list[Guard] = []
    made = Guard.__init__

    def init(self: Guard, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(Guard, "__init__", init)
    yield
    for guard in opened:
        guard.close()
