"""Per-call options, derived clients, and what every request says about the client."""

from __future__ import annotations

import asyncio
import importlib.metadata
import re
from collections.abc import Callable

import httpx
import pytest
from phone_fakes import MOBILE, TOKEN, FakeClock, FakeIntercom

import intercom_phone_switch
from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    ConnectionFailed,
    PhoneSwitchClient,
)

Make = Callable[..., PhoneSwitchClient]


def test_version_and_user_agent() -> None:
    version = intercom_phone_switch.__version__
    assert re.fullmatch(r"\d+(\.\d+)*([.+-].+)?", version)
    assert "__version__" in dir(intercom_phone_switch)
    # The build reads the version from the package: the metadata says the same.
    assert importlib.metadata.version("intercom-phone-switch") == version


def test_every_request_names_the_client(make_client: Make, intercom: FakeIntercom) -> None:
    with make_client() as client:
        client.create_phone_switch(MOBILE)
        client.create_phone_switch(MOBILE, extra_headers={"User-Agent": "mine/1"})
    expected = f"intercom-phone-switch/{intercom_phone_switch.__version__}"
    assert intercom.requests[0].headers["user-agent"] == expected
    assert intercom.requests[1].headers["user-agent"] == "mine/1"


def test_extra_headers_per_call(make_client: Make, intercom: FakeIntercom) -> None:
    with make_client() as client:
        client.create_phone_switch(MOBILE, extra_headers={"X-Trace": "abc"})
        client.create_phone_switch(MOBILE)
    assert intercom.requests[0].headers["x-trace"] == "abc"
    assert "x-trace" not in intercom.requests[1].headers
    assert intercom.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"Authorization": "Bearer other"}, ValueError),
        ({"intercom-version": "2.9"}, ValueError),
        ({"Content-Type": "text/plain"}, ValueError),
        ({"X-Number": 5}, TypeError),
        (["X-A"], TypeError),
    ],
)
def test_extra_headers_cannot_replace_the_clients_own(
    make_client: Make, intercom: FakeIntercom, headers: object, error: type[Exception]
) -> None:
    with make_client() as client, pytest.raises(error):
        client.create_phone_switch(MOBILE, extra_headers=headers)  # type: ignore[arg-type]
    assert intercom.requests == []


def test_timeout_per_call(intercom: FakeIntercom) -> None:
    timeouts: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return intercom(request)

    http = httpx.Client(transport=httpx.MockTransport(handler), timeout=7.0)
    with PhoneSwitchClient(TOKEN, http_client=http) as client:
        client.create_phone_switch(MOBILE, timeout=2.5)
        client.create_phone_switch(MOBILE, timeout=httpx.Timeout(1.0, connect=0.5))
        client.create_phone_switch(MOBILE)
        with pytest.raises(TypeError):
            client.create_phone_switch(MOBILE, timeout="soon")  # type: ignore[arg-type]
    http.close()
    assert timeouts == [
        httpx.Timeout(2.5).as_dict(),
        httpx.Timeout(1.0, connect=0.5).as_dict(),
        httpx.Timeout(7.0).as_dict(),
    ]


@pytest.mark.parametrize(
    "timeout",
    [1e999, float("nan"), 0, -1.0, httpx.Timeout(5.0, read=float("inf"))],
    ids=["inf", "nan", "zero", "negative", "inf-read"],
)
def test_a_timeout_no_socket_can_use_is_refused_before_sending(
    make_client: Make, intercom: FakeIntercom, timeout: object
) -> None:
    with make_client() as client, pytest.raises(ValueError, match="seconds above 0"):
        client.create_phone_switch(MOBILE, timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seconds above 0"):
        PhoneSwitchClient(TOKEN, timeout=timeout)  # type: ignore[arg-type]
    assert intercom.requests == []


def test_max_retries_per_call(make_client: Make, intercom: FakeIntercom, clock: FakeClock) -> None:
    intercom.script.extend([httpx.ConnectError("refused")] * 6)
    with make_client(max_retries=5) as client:
        with pytest.raises(ConnectionFailed) as caught:
            client.create_phone_switch(MOBILE, max_retries=0)
        assert caught.value.attempts == 1
        with pytest.raises(ValueError, match="max_retries"):
            client.create_phone_switch(MOBILE, max_retries=-1)
        intercom.script[:] = [httpx.ConnectError("refused")]
        assert client.create_phone_switch(MOBILE, max_retries=1).attempts == 2


def test_per_call_options_async(
    make_async_client: Callable[..., AsyncPhoneSwitchClient], intercom: FakeIntercom
) -> None:
    intercom.script.extend([httpx.ConnectError("refused")] * 2)

    async def run() -> None:
        async with make_async_client(max_retries=5) as client:
            with pytest.raises(ConnectionFailed) as caught:
                await client.create_phone_switch(
                    MOBILE, max_retries=1, extra_headers={"X-Trace": "t"}, timeout=3.0
                )
            assert caught.value.attempts == 2

    asyncio.run(run())
    assert [r.headers["x-trace"] for r in intercom.requests] == ["t", "t"]
    assert intercom.requests[0].extensions["timeout"] == httpx.Timeout(3.0).as_dict()


def test_with_options_derives_a_client_sharing_the_pool(
    make_client: Make, intercom: FakeIntercom
) -> None:
    with make_client(version="2.12", max_retries=4) as client:
        other = client.with_options(version="2.9", max_retries=0, region="eu")
        assert other._http is client._http
        assert (other.version, other.base_url) == ("2.9", "https://api.eu.intercom.io")
        assert other._policy.max_retries == 0
        assert client.version == "2.12"
        assert client._policy.max_retries == 4
        other.create_phone_switch(MOBILE)
        other.close()  # never closes the shared pool
        assert not client._http.is_closed
        client.create_phone_switch(MOBILE)
        again = other.with_options(base_url="http://localhost:9")
        assert again.base_url == "http://localhost:9"
    assert [r.headers["intercom-version"] for r in intercom.requests] == ["2.9", "2.12"]
    assert str(intercom.requests[0].url).startswith("https://api.eu.intercom.io/")
    assert intercom.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_with_options_of_a_client_that_owns_its_pool() -> None:
    with PhoneSwitchClient(TOKEN, timeout=4.0) as client:
        derived = client.with_options(deadline=5.0)
        assert derived._http is client._http
        assert derived._policy.deadline == 5.0
        derived.close()
        assert not client._http.is_closed
    assert client._http.is_closed


def test_with_options_async(intercom: FakeIntercom) -> None:
    async def run() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(intercom.async_handler))
        async with AsyncPhoneSwitchClient(TOKEN, http_client=http) as client:
            derived = client.with_options(version="2.13")
            assert isinstance(derived, AsyncPhoneSwitchClient)
            await derived.create_phone_switch(MOBILE)
        await http.aclose()

    asyncio.run(run())
    assert intercom.requests[0].headers["intercom-version"] == "2.13"
