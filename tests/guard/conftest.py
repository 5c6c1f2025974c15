"""Fixtures for the guard's tests: a real redis-server, store URLs, a fake Intercom."""

from __future__ import annotations

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
    made: list[httpx.Client] = []

    def make(**options: Any) -> PhoneSwitchClient:
        http = httpx.Client(transport=fake.transport())
        made.append(http)
        options.setdefault("base_url", "http://fake-intercom.invalid")
        return PhoneSwitchClient(DEFAULT_TOKEN, http_client=http, **options)

    yield make
    for http in made:
        http.close()


@pytest.fixture
def make_async_client(fake: FakeIntercom) -> Callable[..., AsyncPhoneSwitchClient]:
    def make(**options: Any) -> AsyncPhoneSwitchClient:
        http = httpx.AsyncClient(transport=fake.async_transport())
        options.setdefault("base_url", "http://fake-intercom.invalid")
        return AsyncPhoneSwitchClient(DEFAULT_TOKEN, http_client=http, **options)

    return make
