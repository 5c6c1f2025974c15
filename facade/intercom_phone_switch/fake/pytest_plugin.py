"""pytest fixtures for testing code that sends phone switches, against the fake Intercom.

Installed with the package (entry point ``pytest11``), so the fixtures are there in any
test suite:

- ``fake_intercom``: a fresh FakeIntercom for each test; override
  ``fake_intercom_options`` to pass it settings (tokens, rate_limit, ...).
- ``fake_intercom_guard``: a fresh idempotency guard for each test (``Guard("memory://")``,
  a store of its own: no test sees another test's keys); override it to use another.
- ``fake_intercom_client``: a PhoneSwitchClient already pointed at it, made with
  ``fake_intercom_client_options`` (override it to choose the version, retries...) and
  given ``fake_intercom_guard``, so ``idempotency_key=`` works (unless the options give
  their own ``guard``). Its
  httpx client calls the fake in-process (``FakeTransport``: the app runs on a private event loop
  thread), so no port is opened, nothing can collide, and injected faults, timeouts and
  dropped connections reach the client as the same httpx errors a network gives.
- ``fake_intercom_async_client``: the same as an AsyncPhoneSwitchClient, for async tests
  (any runner: pytest-asyncio, anyio, or ``asyncio.run`` in a plain test).
- ``fake_intercom_server``: the same fake on a real 127.0.0.1 port (uvicorn in a thread),
  for code that takes a URL, another process, or a different HTTP stack.

Nothing heavy is imported until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from intercom_phone_switch import AsyncPhoneSwitchClient, PhoneSwitchClient
    from intercom_phone_switch.guard import Guard

    from ._app import FakeIntercom
    from ._server import FakeServer


@pytest.fixture
def fake_intercom_options() -> dict[str, Any]:
    """Keyword arguments for the test's FakeIntercom; override it to change them."""
    return {}


@pytest.fixture
def fake_intercom(fake_intercom_options: dict[str, Any]) -> FakeIntercom:
    """A fresh fake Intercom workspace: empty outbox, no faults, its own budgets."""
    from ._app import FakeIntercom

    return FakeIntercom(**fake_intercom_options)


@pytest.fixture
def fake_intercom_client_options() -> dict[str, Any]:
    """Keyword arguments for the fixture clients (``version``, ``max_retries``, ``token``...);
    override it to change them."""
    return {}


@pytest.fixture
def fake_intercom_guard() -> Iterator[Guard]:
    """The idempotency guard of the fixture clients: a fresh memory guard for each test
    (a store of its own, so a key one test used is free in the next); closed afterwards.
    Override it to give the clients another guard (a SQLite file in ``tmp_path``, say)."""
    from intercom_phone_switch.guard import Guard

    with Guard("memory://") as guard:
        yield guard


@pytest.fixture
def fake_intercom_client(
    fake_intercom: FakeIntercom,
    fake_intercom_client_options: dict[str, Any],
    fake_intercom_guard: Guard,
) -> Iterator[PhoneSwitchClient]:
    """A PhoneSwitchClient calling ``fake_intercom`` in-process, with a token it accepts
    and the test's ``fake_intercom_guard``."""
    from ._clients import fake_client

    options = {"guard": fake_intercom_guard, **fake_intercom_client_options}
    with fake_client(fake_intercom, **options) as client:
        yield client


@pytest.fixture
def fake_intercom_async_client(
    fake_intercom: FakeIntercom,
    fake_intercom_client_options: dict[str, Any],
    fake_intercom_guard: Guard,
) -> Iterator[AsyncPhoneSwitchClient]:
    """An AsyncPhoneSwitchClient calling ``fake_intercom`` in-process, with the test's
    ``fake_intercom_guard``. It binds to no event loop until used, so any async test
    runner can await it; it is closed afterwards."""
    import asyncio

    import httpx

    from intercom_phone_switch import AsyncPhoneSwitchClient

    from ._clients import BASE_URL

    options = {"guard": fake_intercom_guard, **fake_intercom_client_options}
    token = options.pop("token", None) or fake_intercom.token
    http = httpx.AsyncClient(transport=fake_intercom.async_transport())
    client = AsyncPhoneSwitchClient(token, base_url=BASE_URL, http_client=http, **options)
    try:
        yield client
    finally:
        asyncio.run(http.aclose())


@pytest.fixture
def fake_intercom_server(fake_intercom: FakeIntercom) -> Iterator[FakeServer]:
    """``fake_intercom`` served on a free 127.0.0.1 port; ``.url`` is its base URL."""
    with fake_intercom.serve() as server:
        yield server
