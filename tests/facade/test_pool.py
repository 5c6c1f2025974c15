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
from tests.waiting import until

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


@pytest.mark.parametrize("step", ["close", "idle_close"])
def test_a_connection_the_server_closed_is_replaced_before_the_next_request(step: str) -> None:
    server = ScriptedServer([step])
    transport = SlotTransport(limits=httpx.Limits(max_connections=1))

    async def run() -> list[int]:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            statuses = []
            for _ in range(5):
                statuses.append((await http.post(server.url + "/x", json=BODY)).status_code)
                await asyncio.sleep(0.3)  # "idle_close" closes after 0.1 s
            return statuses

    assert asyncio.run(asyncio.wait_for(run(), 10)) == [200] * 5
    assert server.requests == 5  # each sent once, none retried
    assert server.connections == 5


def test_a_connection_past_its_keepalive_expiry_is_replaced() -> None:
    server = ScriptedServer(["ok"])
    limits = httpx.Limits(max_connections=1, keepalive_expiry=0.05)
    transport = SlotTransport(limits=limits)

    async def run() -> None:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            for pause in (0, 0, 0.2, 0):
                await asyncio.sleep(pause)
                assert (await http.post(server.url + "/x", json=BODY)).status_code == 200

    asyncio.run(asyncio.wait_for(run(), 10))
    assert (server.requests, server.connections) == (4, 2)


class _Unavailable:
    """An httpcore connection that refuses every request before sending anything, as
    httpcore does when a connection is no longer idle."""

    def __init__(self) -> None:
        self.closed = False

    def can_handle_request(self, origin: object) -> bool:
        return True

    def is_closed(self) -> bool:
        return self.closed

    def has_expired(self) -> bool:
        return False

    async def handle_async_request(self, request: object) -> object:
        import httpcore

        raise httpcore.ConnectionNotAvailable()

    async def aclose(self) -> None:
        self.closed = True


def test_a_connection_that_is_not_available_is_replaced_and_the_request_sent_once() -> None:
    import httpcore

    from intercom_phone_switch._pool import _OneConnection

    server = ScriptedServer(["ok"])

    async def run() -> int:
        async with server.running():
            pool = httpcore.AsyncConnectionPool()
            made: list[object] = []
            real = pool.create_connection

            def create(origin: httpcore.Origin) -> object:
                made.append(_Unavailable() if not made else real(origin))
                return made[-1]

            pool.create_connection = create  # type: ignore[method-assign]
            one = _OneConnection(pool)
            url = httpcore.URL(server.url + "/x")
            headers = {"Host": f"127.0.0.1:{server.port}", "Content-Length": "2"}
            request = httpcore.Request("POST", url, headers=headers, content=b"{}")
            response = await one.handle_async_request(request)
            await response.aread()
            await response.aclose()
            assert len(made) == 2
            assert made[0].closed  # type: ignore[attr-defined]
            await one.aclose()
            return response.status

    assert asyncio.run(asyncio.wait_for(run(), 10)) == 200
    assert server.requests == 1


def test_each_slot_sends_through_one_connection_not_httpcores_pool() -> None:
    # If httpx stopped keeping its pool where SlotTransport looks, slots would fall back
    # to httpcore's pool: correct, but slow. This catches it.
    from intercom_phone_switch._pool import _OneConnection

    server = ScriptedServer(["ok"])
    transport = SlotTransport(limits=httpx.Limits(max_connections=2))

    async def run() -> list[object]:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            await asyncio.gather(*(http.post(server.url + "/x", json=BODY) for _ in range(4)))
            return [slot._pool for slot in transport._slots]

    pools = asyncio.run(asyncio.wait_for(run(), 10))
    assert len(pools) == 2
    assert all(isinstance(pool, _OneConnection) for pool in pools)


def test_connections_that_are_never_available_are_a_connect_error_and_send_nothing() -> None:
    import httpcore

    server = ScriptedServer(["ok"])
    transport = SlotTransport(limits=httpx.Limits(max_connections=1))

    async def run() -> BaseException:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            await http.post(server.url + "/x", json=BODY)  # makes the slot
            (slot,) = transport._slots
            pool = slot._pool._pool  # type: ignore[attr-defined]
            pool.create_connection = lambda origin: _Unavailable()
            await slot._pool._connection.aclose()  # type: ignore[attr-defined]
            slot._pool._connection = _Unavailable()  # type: ignore[attr-defined]
            with pytest.raises(httpx.ConnectError) as raised:
                await http.post(server.url + "/x", json=BODY)
            assert isinstance(raised.value.__cause__, httpcore.ConnectError)
            return raised.value

    assert _failure(asyncio.run(asyncio.wait_for(run(), 10)), SECRET).failure == "not_sent"
    assert server.requests == 1  # the first request only


def test_a_request_cancelled_in_flight_leaves_the_slot_usable() -> None:
    server = ScriptedServer(["hang", "ok"])
    transport = SlotTransport(limits=httpx.Limits(max_connections=1))

    async def run() -> int:
        async with server.running(), httpx.AsyncClient(transport=transport) as http:
            sending = asyncio.ensure_future(http.post(server.url + "/x", json=BODY))
            await until(
                lambda: server.requests > 0, "the request to reach the server", interval=0.01
            )
            sending.cancel()
            with pytest.raises(asyncio.CancelledError):
                await sending
            answer = await asyncio.wait_for(http.post(server.url + "/x", json=BODY), 5)
            return answer.status_code

    assert asyncio.run(asyncio.wait_for(run(), 10)) == 200
    assert (server.requests, server.connections) == (2, 2)  # the cancelled one is not reused


@pytest.mark.parametrize("step", ["big", "chunked_big"])
def test_a_2xx_too_large_through_the_default_client_is_accepted_never_resent(step: str) -> None:
    from intercom_phone_switch import UnexpectedResponse

    server = ScriptedServer([step, "ok"])

    async def run() -> UnexpectedResponse:
        async with server.running():
            client = AsyncPhoneSwitchClient(
                "t", base_url=server.url, max_response_size=1024, attempt_timeout=2
            )
            async with client:
                with pytest.raises(UnexpectedResponse) as raised:
                    await client.create_phone_switch("+353832345678", max_retries=3)
                return raised.value

    error = asyncio.run(asyncio.wait_for(run(), 20))
    assert error.status == 200
    assert error.sms_sent is True
    assert server.requests == 1  # a status line arrived: never sent again
