"""One story per way a server can answer: every transport and every consumer agree.

Each scenario is a real server's behaviour on loopback (or, for MockTransport, a
handler's). For each, one request goes through each transport (the default sync and async
clients, a plain and a hooked httpx client, an HTTP/2 client, aiohttp, MockTransport) and
is read by each consumer: the call's error (``outcome``, ``sms_sent``), a one-item batch's
state, and ``send``'s exit status. They must all tell the scenario's one outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    ItemState,
    Outcome,
    PhoneSwitch,
    PhoneSwitchClient,
    PhoneSwitchError,
)

TOKEN = "table-token-0123456789"
PHONE = "+353832345678"
OK_BODY = json.dumps({"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/t"})
ERROR_LIST = json.dumps(
    {"type": "error.list", "errors": [{"code": "intercom_version_invalid", "message": "no"}]}
)
CONFLICT = json.dumps(
    {"type": "error.list", "errors": [{"code": "phone_switch_in_progress", "message": "busy"}]}
)
INVALID = json.dumps({"error_key": "invalid_phone_number", "message": "Invalid phone number"})


def _answer(status: int, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


JSON = "Content-Type: application/json"
#: Scenario -> (what the HTTP/1.1 server writes after reading the request, the outcome).
#: None: close without answering; "hang": never answer; "slow": headers, then nothing.
SCENARIOS: dict[str, tuple[bytes | str | None, Outcome]] = {
    "ok": (_answer(200, OK_BODY.encode(), JSON), Outcome.ACCEPTED),
    "200 html": (_answer(200, b"<html>oops</html>", "Content-Type: text/html"), Outcome.ACCEPTED),
    "202 empty": (_answer(202, b""), Outcome.ACCEPTED),
    "200 cut short": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + OK_BODY.encode()[:10],
        Outcome.ACCEPTED,
    ),
    "200 bad gzip": (
        _answer(200, b"not gzip at all", JSON, "Content-Encoding: gzip"),
        Outcome.ACCEPTED,
    ),
    "200 error list": (_answer(200, ERROR_LIST.encode(), JSON), Outcome.ACCEPTED),
    "200 too large": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"10000\r\n" + b"x" * 0x10000 + b"\r\n" for _ in range(32))
        + b"0\r\n\r\n",
        Outcome.ACCEPTED,
    ),
    "200 slow body": ("slow", Outcome.ACCEPTED),
    "302": (_answer(302, b"", "Location: https://elsewhere.example/"), Outcome.REFUSED),
    "400 invalid": (_answer(400, INVALID.encode(), JSON), Outcome.REFUSED),
    "409": (_answer(409, CONFLICT.encode(), JSON), Outcome.REFUSED),
    "418": (_answer(418, b"I'm a teapot"), Outcome.REFUSED),
    "500": (_answer(500, b"oops"), Outcome.UNKNOWN),
    "dropped": (None, Outcome.UNKNOWN),
    "no answer": ("hang", Outcome.UNKNOWN),
    "refused": ("refused", Outcome.REFUSED),
}
#: Scenarios a gzip body decoder sees (the bad gzip one needs it).
_ = gzip


class Server:
    """An HTTP/1.1 server in a thread of its own, answering every request alike."""

    def __init__(self, script: bytes | str | None) -> None:
        self.script = script
        self.requests = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
            # Handlers still answering (slowly, or never) end first: from Python 3.12
            # leaving the server waits for every connection to close.
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                self.requests += 1
                script = self.script
                if script is None:
                    return
                if script == "hang":
                    await asyncio.sleep(60)
                    return
                if script == "slow":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{")
                    await writer.drain()
                    await asyncio.sleep(60)
                    return
                assert isinstance(script, bytes)
                writer.write(script)
                await writer.drain()
                if b"Content-Length: 100\r\n" in script:
                    return  # cut short: close mid-body
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> Server:
        self._thread.start()
        assert self._ready.wait(10), "the test server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(scenario: str) -> Iterator[str]:
    script = SCENARIOS[scenario][0]
    if script == "refused":
        yield f"http://127.0.0.1:{_free_port()}"
        return
    with Server(script) as server:
        yield server.url


#: Settings that keep the slow scenarios short: nothing is retried (so one request is
#: one attempt), and every wait is bounded well under the test's time.
OPTIONS: dict[str, Any] = {
    "token": TOKEN,
    "max_retries": 0,
    "timeout": 1.0,
    "attempt_timeout": 1.0,
}


def _outcome_of(result: PhoneSwitch | BaseException) -> Outcome:
    if isinstance(result, PhoneSwitch):
        return Outcome.ACCEPTED
    assert isinstance(result, PhoneSwitchError), repr(result)
    assert result.sms_sent == result.outcome.sms_sent
    assert result.accepted == (result.outcome is Outcome.ACCEPTED)
    return result.outcome


_STATES = {
    ItemState.ACCEPTED: Outcome.ACCEPTED,
    ItemState.REFUSED: Outcome.REFUSED,
    ItemState.UNKNOWN: Outcome.UNKNOWN,
}

SyncFactory = Callable[[], httpx.Client | None]


def _hooked() -> httpx.Client:
    return httpx.Client(event_hooks={"response": [lambda response: None]})


SYNC_CLIENTS: dict[str, SyncFactory] = {
    "default": lambda: None,
    "plain httpx": httpx.Client,
    "hooked httpx": _hooked,
}


def _sync_views(base_url: str, http: httpx.Client | None) -> list[tuple[str, Outcome]]:
    views: list[tuple[str, Outcome]] = []
    with PhoneSwitchClient(base_url=base_url, http_client=http, **OPTIONS) as client:
        try:
            result: PhoneSwitch | BaseException = client.create_phone_switch(PHONE)
        except PhoneSwitchError as error:
            result = error
        views.append(("call", _outcome_of(result)))
        batch = client.phone_switch_batch([PHONE])
        batch.run()
        views.append(("batch", _STATES[batch.entries[0].state]))
    if http is not None:
        http.close()
    return views


async def _async_views(base_url: str, http: httpx.AsyncClient | None) -> list[tuple[str, Outcome]]:
    views: list[tuple[str, Outcome]] = []
    async with AsyncPhoneSwitchClient(base_url=base_url, http_client=http, **OPTIONS) as client:
        try:
            result: PhoneSwitch | BaseException = await client.create_phone_switch(PHONE)
        except PhoneSwitchError as error:
            result = error
        views.append(("call", _outcome_of(result)))
        batch = client.phone_switch_batch([PHONE])
        await batch.run()
        views.append(("batch", _STATES[batch.entries[0].state]))
    if http is not None:
        await http.aclose()
    return views


def _aiohttp() -> httpx.AsyncClient:
    from intercom_phone_switch import AiohttpClient

    return AiohttpClient()


ASYNC_CLIENTS: dict[str, Callable[[], httpx.AsyncClient | None]] = {
    "default async (slots)": lambda: None,
    "plain async httpx": httpx.AsyncClient,
    "aiohttp": _aiohttp,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_sync_transport_and_consumer_tells_one_outcome(scenario: str) -> None:
    expected = SCENARIOS[scenario][1]
    with serving(scenario) as base_url:
        for name, factory in SYNC_CLIENTS.items():
            views = _sync_views(base_url, factory())
            assert views == [("call", expected), ("batch", expected)], (name, views)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_async_transport_and_consumer_tells_one_outcome(scenario: str) -> None:
    expected = SCENARIOS[scenario][1]
    with serving(scenario) as base_url:
        for name, factory in ASYNC_CLIENTS.items():
            views = asyncio.run(_async_views(base_url, factory()))
            assert views == [("call", expected), ("batch", expected)], (name, views)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_send_exits_with_the_same_outcome(scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from intercom_phone_switch.cli import main

    expected = SCENARIOS[scenario][1]
    status = {Outcome.ACCEPTED: 0, Outcome.REFUSED: 1, Outcome.UNKNOWN: 3}[expected]
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    with serving(scenario) as base_url, httpx.Client(timeout=1.0) as http:
        # send takes an embedding program's httpx client (here: one with short timeouts).
        result = CliRunner().invoke(
            main, ["send", PHONE, "--base-url", base_url], obj={"http_client": http}
        )
    assert result.exit_code == status, result.output


# -- MockTransport: a handler stands in for the server -----------------------------------


class _Breaks(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'{"type": '
        raise httpx.ReadError("the connection broke mid-body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"type": '
        raise httpx.ReadError("the connection broke mid-body")


def _raises(error: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


MOCKED: dict[str, tuple[Callable[[httpx.Request], httpx.Response], Outcome]] = {
    "ok": (lambda r: httpx.Response(200, content=OK_BODY.encode()), Outcome.ACCEPTED),
    "200 html": (lambda r: httpx.Response(200, content=b"<html/>"), Outcome.ACCEPTED),
    "200 breaks mid-body": (lambda r: httpx.Response(200, stream=_Breaks()), Outcome.ACCEPTED),
    "302": (lambda r: httpx.Response(302, headers={"Location": "/x"}), Outcome.REFUSED),
    "409": (lambda r: httpx.Response(409, content=CONFLICT.encode()), Outcome.REFUSED),
    "500": (lambda r: httpx.Response(500), Outcome.UNKNOWN),
    "connect error": (_raises(httpx.ConnectError("refused")), Outcome.REFUSED),
    "read error": (_raises(httpx.ReadError("dropped")), Outcome.UNKNOWN),
    "remote protocol error": (_raises(httpx.RemoteProtocolError("bad")), Outcome.UNKNOWN),
    "local protocol error": (_raises(httpx.LocalProtocolError("bad")), Outcome.UNKNOWN),
    "a handler's own error": (_raises(RuntimeError("bug")), Outcome.UNKNOWN),
}


@pytest.mark.parametrize("scenario", list(MOCKED))
def test_mock_transport_tells_the_same_story(scenario: str) -> None:
    handler, expected = MOCKED[scenario]

    async def handle(request: httpx.Request) -> httpx.Response:
        return handler(request)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    assert _sync_views("https://api.intercom.io", http) == [
        ("call", expected),
        ("batch", expected),
    ]
    ahttp = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    assert asyncio.run(_async_views("https://api.intercom.io", ahttp)) == [
        ("call", expected),
        ("batch", expected),
    ]


# -- HTTP/2 (prior knowledge, cleartext): a protocol error after the request was sent ------


class H2Server:
    """A one-connection-at-a-time HTTP/2 server in a thread: answers each request with a
    200 ("ok"), or with bytes that are no HTTP/2 frame at all ("garbage"), once the whole
    request has arrived."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):  # the client hung up
                    self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        import h2.config
        import h2.connection
        import h2.events

        h2conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        h2conn.initiate_connection()
        conn.sendall(h2conn.data_to_send())
        while not self._stopped.is_set():
            data = conn.recv(65536)
            if not data:
                return
            for event in h2conn.receive_data(data):
                if isinstance(event, h2.events.StreamEnded):
                    self.requests += 1
                    if self.behaviour == "garbage":
                        conn.sendall(b"\x00\x00\x08\x63\xff\x00\x00\x00\x01" + b"junk" * 4)
                        continue
                    body = OK_BODY.encode()
                    h2conn.send_headers(
                        event.stream_id,
                        [(":status", "200"), ("content-length", str(len(body)))],
                    )
                    h2conn.send_data(event.stream_id, body, end_stream=True)
            conn.sendall(h2conn.data_to_send())

    def __enter__(self) -> H2Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join(10)
        self._listener.close()


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [("ok", Outcome.ACCEPTED), ("garbage", Outcome.UNKNOWN)],
)
def test_http2_tells_a_protocol_error_after_sending_from_one_before(
    behaviour: str, expected: Outcome
) -> None:
    with H2Server(behaviour) as server:
        sync = httpx.Client(http1=False, http2=True)
        assert _sync_views(server.url, sync) == [("call", expected), ("batch", expected)]
        both = httpx.AsyncClient(http1=False, http2=True)
        assert asyncio.run(_async_views(server.url, both)) == [
            ("call", expected),
            ("batch", expected),
        ]
        assert server.requests == 4  # each request went out once, and none again


def test_http2_refused_connection_sends_nothing() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    assert _sync_views(url, httpx.Client(http1=False, http2=True)) == [
        ("call", Outcome.REFUSED),
        ("batch", Outcome.REFUSED),
    ]
