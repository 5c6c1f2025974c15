"""SlotTransport, the async client's default transport: one connection per request, reused."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tcp_servers import ScriptedServer

from intercom_phone_switch import AsyncPhoneSwitchClient, PhoneSwitchClient
from intercom_phone_switch._http import _failure
from intercom_phone_switch._pool import SlotTransport, default_client
from intercom_phone_switch._secret import Token

BODY = {"phone": "+353832345678"}

#: The token the classification masks (none of these errors holds it).
SECRET = Token("test-token-0123456789")


def test_many_requests_share_at_most_max_connections_and_reuse_them() -> None:
    server = ScriptedServer(["ok"])
    transport = SlotTransport(limits=httpx.Limits(max_connections=8))

    async def run() -> list[int]:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:

            async def one() -> int:
                return (await http.post(server.url + "/x", json=BODY)).status_code

            statuses = await asyncio.gather(*(one() for _ in range(200)))
            assert transport.connections == 8
            return statuses

    assert asyncio.run(run()) == [200] * 200
    assert server.requests == 200
    assert server.connections == 8  # kept alive and reused, never reopened


def test_waiting_for_a_free_connection_is_a_pool_timeout_and_sends_nothing() -> None:
    server = ScriptedServer(["hang"])
    transport = SlotTransport(limits=httpx.Limits(max_connections=1))

    async def run() -> BaseException:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            busy = asyncio.ensure_future(http.post(server.url + "/x", json=BODY, timeout=3))
            await asyncio.sleep(0.2)
            with pytest.raises(httpx.PoolTimeout) as raised:
                await http.post(server.url + "/x", json=BODY, timeout=httpx.Timeout(3, pool=0.1))
            busy.cancel()
            return raised.value

    assert _failure(asyncio.run(run()), SECRET).failure == "not_sent"
    assert server.requests == 1


def test_a_drop_after_the_request_is_still_maybe_sent_and_frees_the_connection() -> None:
    server = ScriptedServer(["drop", "ok"])
    transport = SlotTransport(limits=httpx.Limits(max_connections=1))

    async def run() -> BaseException:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.RemoteProtocolError) as raised:
                await http.post(server.url + "/x", json=BODY)
            response = await asyncio.wait_for(http.post(server.url + "/x", json=BODY), 3)
            assert response.status_code == 200
            return raised.value

    assert _failure(asyncio.run(run()), SECRET).failure == "maybe_sent"
    assert server.requests == 2


def test_a_cancelled_wait_gives_no_connection_away() -> None:
    server = ScriptedServer(["ok"])
    transport = SlotTransport(limits=httpx.Limits(max_connections=1))

    async def run() -> int:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            sends = [http.post(server.url + "/x", json=BODY) for _ in range(5)]
            tasks = [asyncio.ensure_future(send) for send in sends]
            await asyncio.sleep(0)
            tasks[2].cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            assert isinstance(done[2], asyncio.CancelledError)
            return sum(isinstance(r, httpx.Response) and r.status_code == 200 for r in done)

    assert asyncio.run(asyncio.wait_for(run(), 10)) == 4


def test_the_async_client_builds_on_it_and_a_callers_client_is_left_alone() -> None:
    async def run() -> None:
        async with AsyncPhoneSwitchClient("t") as own:
            assert isinstance(own._http._transport, SlotTransport)
        mine = httpx.AsyncClient()
        async with AsyncPhoneSwitchClient("t", http_client=mine) as given:
            assert given._http is mine
        assert not mine.is_closed
        await mine.aclose()

    asyncio.run(run())
    with PhoneSwitchClient("t") as sync:
        assert isinstance(sync._http, httpx.Client)


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        SlotTransport(limits=httpx.Limits(max_connections=0))
    with pytest.raises(TypeError):
        SlotTransport(proxy="http://127.0.0.1:1")


def test_the_default_client_still_keeps_cookies_an_answer_sets() -> None:
    server = ScriptedServer(["ok", "cookie", "ok"])
    client = default_client(httpx.AsyncClient, 5.0)

    async def run() -> None:
        async with server.running(), client:
            await client.get(server.url + "/")
            assert not client.cookies
            await client.get(server.url + "/")
            assert client.cookies.get("session") == "abc"

    asyncio.run(run())
