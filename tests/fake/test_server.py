"""The fake on a real 127.0.0.1 port (uvicorn in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket

import httpx
import pytest

from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom, FakeServer
from intercom_phone_switch.fake._server import available_http, protocol

MOBILE = "+353832345678"
PATH = "/phone_call_redirects"
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def raw_post(server: FakeServer, body: bytes) -> bytes:
    """One request over a bare socket; everything the server sent before closing."""
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {DEFAULT_TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        for _ in range(100):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


#: Every HTTP implementation installed here (h11 always; httptools with the test group).
HTTP = available_http()


@pytest.mark.parametrize("http", HTTP)
def test_serves_on_loopback_and_stops(http: str) -> None:
    fake = FakeIntercom()
    with fake.serve(http=http) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.running
        assert "running" in repr(server)
        with httpx.Client(base_url=server.url, headers=AUTH) as client:
            answer = client.post(PATH, json={"phone": MOBILE})
            outbox = client.get("/__fake__/outbox").json()
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == outbox["messages"][0]["request_id"]
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.post(server.url + PATH, json={"phone": MOBILE}, headers=AUTH)


@pytest.mark.parametrize("http", HTTP)
def test_dropped_connection_sends_no_bytes_at_all(http: str) -> None:
    fake = FakeIntercom()
    with fake.serve(http=http) as server:
        fake.faults.script("drop_after_sms")
        assert raw_post(server, json.dumps({"phone": MOBILE}).encode()) == b""
        with httpx.Client(base_url=server.url, headers=AUTH) as client:
            fake.faults.script("drop_after_sms")
            with pytest.raises(httpx.RemoteProtocolError):
                client.post(PATH, json={"phone": MOBILE})
            # The pool notices the closed connection and the next request goes through.
            assert client.post(PATH, json={"phone": MOBILE}).status_code == 200
    assert fake.outbox.total == 3
    assert [(r.sms_recorded, r.status) for r in fake.faults.log] == [(True, None), (True, None)]


@pytest.mark.parametrize("http", HTTP)
def test_latency_over_the_network_is_a_read_timeout(http: str) -> None:
    fake = FakeIntercom()
    with (
        fake.serve(http=http) as server,
        httpx.Client(base_url=server.url, headers=AUTH) as client,
    ):
        fake.faults.script({"kind": "latency", "delay": 0.5})
        with pytest.raises(httpx.ReadTimeout):
            client.post(PATH, json={"phone": MOBILE}, timeout=0.05)


def test_fixed_port_and_a_port_in_use() -> None:
    fake = FakeIntercom()
    with fake.serve() as first:
        second = FakeServer(fake, port=0)
        try:
            assert second.port != first.port
        finally:
            second.stop()
        with pytest.raises(OSError, match="in use"):
            FakeServer(fake, port=first.port)


def test_choosing_the_http_implementation() -> None:
    assert protocol("auto") is protocol(HTTP[-1])
    assert protocol("h11").__name__ == "AbortingH11Protocol"
    with pytest.raises(ValueError, match="http must be one of"):
        protocol("h2")
    with pytest.raises(ValueError, match="http must be one of"):
        FakeServer(FakeIntercom(), http="h3")


@pytest.mark.parametrize("http", available_http())
@pytest.mark.parametrize("size", [1024 * 1024, 8 * 1024 * 1024])
def test_huge_request_heads_are_refused(http: str, size: int) -> None:
    fake = FakeIntercom()
    with fake.serve(http=http) as server:
        answer = b""
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            try:
                sock.sendall(b"GET /__fake__/health HTTP/1.1\r\nHost: x\r\nX-Big: ")
                for _ in range(size // 8192):
                    sock.sendall(b"a" * 8192)
                sock.sendall(b"\r\n\r\n")
            except OSError:
                pass  # refused and closed while the head was still coming
            with contextlib.suppress(OSError):
                answer = sock.recv(4096)
        assert answer == b"" or answer.split(b" ")[1] in (b"400", b"431"), answer[:80]
        with httpx.Client(base_url=server.url) as client:  # a normal head still passes
            headers = {"X-Fine": "a" * 16_000}
            assert client.get("/__fake__/health", headers=headers).status_code == 200


class _Recording:
    """A transport that records its writes."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"extra {name}"


def test_an_answer_leaves_in_one_write() -> None:
    """The status line and headers wait for the body, within the event loop's turn."""
    from intercom_phone_switch.fake._server import HeadWithBody

    async def answer() -> list[list[bytes]]:
        loop = asyncio.get_running_loop()
        seen: list[list[bytes]] = []
        # Head and body in one turn: one write.
        inner = _Recording()
        joined = HeadWithBody(inner, loop)  # type: ignore[arg-type]
        joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
        joined.write(b"body")
        joined.write(b"more")
        seen.append(inner.writes)
        # A head alone (a HEAD request): written once the turn ends.
        inner = _Recording()
        joined = HeadWithBody(inner, loop)  # type: ignore[arg-type]
        joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
        assert inner.writes == []
        await asyncio.sleep(0)
        seen.append(inner.writes)
        # Closing writes what is held first; anything else goes to the transport.
        inner = _Recording()
        joined = HeadWithBody(inner, loop)  # type: ignore[arg-type]
        joined.write(b"head")
        assert joined.get_extra_info("peername") == "extra peername"
        joined.close()
        seen.append([*inner.writes, b"closed" if inner.closed else b"open"])
        await asyncio.sleep(0)
        return seen

    assert asyncio.run(answer()) == [
        [b"HTTP/1.1 200 OK\r\n\r\nbody", b"more"],
        [b"HTTP/1.1 200 OK\r\n\r\n"],
        [b"head", b"closed"],
    ]


def test_head_requests_and_streams_on_one_served_connection(fake: FakeIntercom) -> None:
    with fake.serve() as server, httpx.Client(base_url=server.url, timeout=10) as http:
        for _ in range(3):  # a HEAD answer has no body: its head goes out on its own
            answer = http.head("/")
            assert answer.status_code == 200
            assert answer.content == b""
        assert http.get("/__fake__/health").json() == {"status": "ok"}
        with http.stream("GET", "/__fake__/events") as stream:
            lines = stream.iter_lines()
            assert next(lines) == "retry: 1000"
