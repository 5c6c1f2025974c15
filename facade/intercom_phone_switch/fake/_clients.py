"""Phone switch clients wired to a fake, in-process: no socket, no port.

with fake_client(fake) as client:
    client.create_phone_switch("+353832345678")
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from intercom_phone_switch import AsyncPhoneSwitchClient, PhoneSwitchClient

    from ._app import FakeIntercom

#: The base URL of in-process clients. The transport never resolves it: nothing leaves
#: the process.
BASE_URL = "http://fake-intercom.invalid"


def token_of(fake: FakeIntercom) -> str:
    """A token the fake accepts (its ``token``)."""
    return fake.token


@contextlib.contextmanager
def fake_client(
    fake: FakeIntercom, *, token: str | None = None, **options: Any
) -> Iterator[PhoneSwitchClient]:
    """A PhoneSwitchClient calling ``fake`` in-process; ``options`` go to the client
    (version, max_retries, timeout, ...). Closed, with its transport, on exit."""
    from intercom_phone_switch import PhoneSwitchClient

    http = httpx.Client(transport=fake.transport())
    try:
        client = PhoneSwitchClient(
            token if token is not None else token_of(fake),
            base_url=BASE_URL,
            http_client=http,
            **options,
        )
        with client:
            yield client
    finally:
        http.close()


@contextlib.asynccontextmanager
async def fake_async_client(
    fake: FakeIntercom, *, token: str | None = None, **options: Any
) -> AsyncIterator[AsyncPhoneSwitchClient]:
    """An AsyncPhoneSwitchClient calling ``fake`` in-process, in the running event loop."""
    from intercom_phone_switch import AsyncPhoneSwitchClient

    http = httpx.AsyncClient(transport=fake.async_transport())
    try:
        client = AsyncPhoneSwitchClient(
            token if token is not None else token_of(fake),
            base_url=BASE_URL,
            http_client=http,
            **options,
        )
        async with client:
            yield client
    finally:
        await http.aclose()
