"""AiohttpTransport: answers, timeouts, limits, and above all how failures are classified.

A failure may be reported as "not sent" only when no connection was ever handed to the
request; the scripted server below drops connections after reading a whole request, to
prove such a drop comes back as "maybe sent" and is never retried by the client.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from tcp_servers import ScriptedServer

from intercom_phone_switch import (
    AiohttpClient,
    AiohttpTransport,
    AsyncPhoneSwitchClient,
    ConnectionFailed,
    DeliveryUnknown,
    PhoneSwitch,
)
from intercom_phone_switch._aiohttp import ResponseTooLarge
from intercom_phone_switch._outcome import Outcome
from intercom_phone_switch._secret import Token
from intercom_phone_switch._wire import Wire, _failed
from intercom_phone_switch.fake import FakeIntercom

TOKEN = "aiohttp-test-token"
BODY = {"phone": "+353832345678"}

#: The token the classification masks (none of these errors holds it).
SECRET = Token("test-token-0123456789")


async def post(url: str, transport: AiohttpTransport, **options: object) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, **options) as http:  # type: ignore[arg-type]
        return await http.post(url + "/phone_call_redirects", json=BODY)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_phone_switches_go_through_aiohttp_to_the_fake() -> None:
    fake = FakeIntercom(tokens=[TOKEN])

    async def run() -> list[object]:
        async with (
            AiohttpClient() as http,
            AsyncPhoneSwitchClient(TOKEN, base_url=server.url, http_client=http) as client,
        ):
            one = await client.create_phone_switch("+353832345678", {"since": "2023-03-04"})
            many = await client.create_phone_switches(
                ["+353830000001", "+353830000002", "+40241100100"], concurrency=2
            )
            assert http.aiohttp_transport.connections_opened <= 2
            return [one, *many]

    with fake.serve() as server:
        outcomes = asyncio.run(run())
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "PhoneSwitch",
        "PhoneSwitch",
        "PhoneSwitch",
        "LandlinePhoneNumber",
    ]
    first = outcomes[0]
    assert isinstance(first, PhoneSwitch)
    assert first.request_id == fake.outbox.messages("+353832345678")[0].request_id
    assert fake.contacts.get("+353832345678").custom_attributes == {"since": "2023-03-04"}
    assert fake.outbox.total == 3


@pytest.mark.parametrize("script", [["drop"], ["ok", "drop"]], ids=["new", "reused"])
def test_a_drop_after_the_request_was_read_is_maybe_sent(script: list[str]) -> None:
    server = ScriptedServer(script)

    async def run() -> BaseException:
        async with server.running(), httpx.AsyncClient(transport=AiohttpTransport()) as http:
            for _ in script[:-1]:  # the connection the drop happens on has served before
                assert (await http.post(server.url + "/x", json=BODY)).status_code == 200
            with pytest.raises(httpx.TransportError) as raised:
                await http.post(server.url + "/x", json=BODY)
            return raised.value

    error = asyncio.run(run())
    assert isinstance(error, httpx.RemoteProtocolError)
    assert not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    assert _failed(Wire(), error, SECRET).outcome is Outcome.UNKNOWN
    assert server.requests == len(script)


def test_the_client_never_sends_a_dropped_request_again() -> None:
    server = ScriptedServer(["drop", "ok"])

    async def run() -> None:
        async with (
            server.running(),
            AiohttpClient() as http,
            AsyncPhoneSwitchClient(TOKEN, base_url=server.url, http_client=http) as client,
        ):
            with pytest.raises(DeliveryUnknown) as raised:
                await client.create_phone_switch("+353832345678")
            assert raised.value.attempts == 1

    asyncio.run(run())
    assert server.requests == 1  # max_retries=2, yet no second request (no second SMS)


def test_a_refused_connection_is_not_sent_and_is_retried() -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    async def run() -> None:
        with pytest.raises(httpx.ConnectError) as raised:
            await post(url, AiohttpTransport())
        assert _failed(Wire(), raised.value, SECRET).outcome is Outcome.REFUSED
        async with (
            AiohttpClient() as http,
            AsyncPhoneSwitchClient(
                TOKEN, base_url=url, http_client=http, max_retries=1, deadline=5
            ) as client,
        ):
            with pytest.raises(ConnectionFailed) as failed:
                await client.create_phone_switch("+353832345678")
            assert failed.value.attempts == 2

    asyncio.run(run())


def test_no_answer_within_the_read_timeout_is_a_read_timeout() -> None:
    server = ScriptedServer(["hang"])

    async def run() -> None:
        async with server.running():
            with pytest.raises(httpx.ReadTimeout) as raised:
                await post(server.url, AiohttpTransport(), timeout=httpx.Timeout(5, read=0.2))
            assert _failed(Wire(), raised.value, SECRET).outcome is Outcome.UNKNOWN

    asyncio.run(run())
    assert server.requests == 1


def test_waiting_for_a_free_connection_is_bounded_and_sends_nothing() -> None:
    server = ScriptedServer(["hang"])
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))

    async def run() -> BaseException:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            busy = asyncio.ensure_future(http.post(server.url + "/x", json=BODY, timeout=3))
            await asyncio.sleep(0.2)  # the only connection is now taken
            with pytest.raises(httpx.TransportError) as raised:
                await http.post(
                    server.url + "/x", json=BODY, timeout=httpx.Timeout(3, pool=0.1, connect=0.1)
                )
            busy.cancel()
            return raised.value

    error = asyncio.run(run())
    assert isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout)
    assert _failed(Wire(), error, SECRET).outcome is Outcome.REFUSED
    assert server.requests == 1


@pytest.mark.parametrize("step", ["big", "chunked_big"])
def test_answers_larger_than_the_limit_are_refused(step: str) -> None:
    server = ScriptedServer([step])

    async def run() -> None:
        async with server.running():
            limited = AiohttpTransport(max_response_bytes=1 << 20)
            with pytest.raises(ResponseTooLarge) as raised:
                await post(server.url, limited, timeout=httpx.Timeout(5))
            assert _failed(Wire(), raised.value, SECRET).outcome is Outcome.UNKNOWN

    asyncio.run(run())


def test_status_headers_and_encoded_bodies_come_through_as_httpx_has_them() -> None:
    server = ScriptedServer(["ok", "gzip"])

    async def run() -> list[httpx.Response]:
        async with server.running(), httpx.AsyncClient(transport=AiohttpTransport()) as http:
            return [await http.post(server.url + "/x", json=BODY) for _ in range(2)]

    plain, zipped = asyncio.run(run())
    assert plain.status_code == 200
    assert plain.headers["x-request-id"] == "r1"
    assert plain.json()["type"] == "phone_call_redirect"
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json() == plain.json()  # httpx decoded it, once
    assert server.connections == 1


def test_a_closed_transport_refuses_to_send() -> None:
    async def run() -> None:
        transport = AiohttpTransport()
        await transport.aclose()
        with pytest.raises(RuntimeError):
            await post("http://127.0.0.1:9", transport)

    asyncio.run(run())


def test_the_client_refuses_a_transport_of_its_own() -> None:
    with pytest.raises(TypeError):
        AiohttpClient(transport=httpx.AsyncHTTPTransport())


def test_cookies_an_answer_sets_are_kept_by_httpx() -> None:
    server = ScriptedServer(["ok", "cookie"])

    async def run() -> httpx.Cookies:
        async with server.running(), AiohttpClient() as http:
            await http.get(server.url + "/")
            await http.get(server.url + "/")
            return http.cookies

    assert asyncio.run(run()).get("session") == "abc"
