"""Run a fake on a real port with uvicorn: in a background thread, or in the foreground
for ``intercom-phone-switch serve``."""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import uvicorn
from typing_extensions import Self
from uvicorn.protocols.http.h11_impl import H11Protocol

from ._endpoint import ABORT_KEY
from ._guard import HostCheck, bound_names

if TYPE_CHECKING:
    from ._app import FakeIntercom

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
#: The largest request head (request line and headers) taken, in bytes. h11 enforces
#: it itself; for httptools, which buffers a head whole before handing it over, the
#: protocol below counts the bytes that arrive while a head is incomplete.
MAX_HEAD_BYTES = 32 * 1024


logger = logging.getLogger("intercom_phone_switch.fake")


def _reason(error: BaseException | None) -> str:
    """What the parser found wrong, without any of the request's bytes (h11 quotes the
    offending line, which may hold a header's value)."""
    if error is None:
        return "unknown"
    text = str(error) or type(error).__name__
    cut = min(
        (i for i in (text.find("'"), text.find('"'), text.find("bytearray(")) if i >= 0),
        default=len(text),
    )
    return text[:cut].rstrip(" :") or type(error).__name__


def _invalid(client: tuple[str, int] | None, error: BaseException | None, path: bytes) -> None:
    where = f"{client[0]}:{client[1]}" if client else "an unknown client"
    target = path.partition(b"?")[0][:100].decode("latin-1")
    seen = f" (request target {target!r})" if target else ""
    logger.warning("invalid HTTP request from %s%s: %s; answered 400", where, seen, _reason(error))


class _Watched:
    """A parser (httptools) or connection (h11) that remembers the error it raised."""

    __slots__ = ("_inner", "error")

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.error: BaseException | None = None

    def feed_data(self, data: bytes) -> None:  # httptools
        try:
            self._inner.feed_data(data)
        except Exception as error:
            self.error = error
            raise

    def next_event(self) -> Any:  # h11
        try:
            return self._inner.next_event()
        except Exception as error:
            self.error = error
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class AbortingH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, offering the app a way to close the connection
    without an answer (``scope["state"][ABORT_KEY]``), for the dropped-connection fault,
    and logging what was wrong with a request it could not parse."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app_state = {**self.app_state, ABORT_KEY: transport.abort}
        self.conn = cast(Any, _Watched(self.conn))

    def send_400_response(self, msg: str) -> None:
        _invalid(self.client, cast(_Watched, self.conn).error, b"")
        super().send_400_response(msg)


class HeadWithBody:
    """A transport for one request's answer whose first write (the status line and
    headers) waits for the next (the body) until the event loop's turn ends, so that
    both leave in one write. Everything else goes straight to ``transport``."""

    __slots__ = ("_held", "_loop", "_started", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._started = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._started:
            self._started = True
            self._held = bytes(data)
            self._loop.call_soon(self._flush)
            return
        held = self._held
        if held is None:
            self._transport.write(data)
        else:
            self._held = None
            self._transport.write(held + data)

    def _flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


#: The HTTP implementations uvicorn can serve the fake with.
HTTP_CHOICES = ("auto", "h11", "httptools")


def protocol(http: str = "auto") -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol for ``http``, with the abort hook.

    "auto" takes httptools (a dependency, about twice as fast) when it imports, else h11.
    """
    if http not in HTTP_CHOICES:
        raise ValueError(f"http must be one of {', '.join(HTTP_CHOICES)}, not {http!r}")
    if http == "h11":
        return AbortingH11Protocol
    try:
        return _httptools_protocol()
    except ImportError:
        if http == "httptools":
            raise
        return AbortingH11Protocol


@functools.cache
def _httptools_protocol() -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class AbortingHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, with the same abort hook, answering 431 to a
        request head larger than MAX_HEAD_BYTES (counted to within one read)."""

        _head: int | None = None
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.app_state = {**self.app_state, ABORT_KEY: transport.abort}
            self.parser = cast(Any, _Watched(self.parser))

        def send_400_response(self, msg: str) -> None:
            _invalid(self.client, cast(_Watched, self.parser).error, getattr(self, "url", b""))
            super().send_400_response(msg)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head = 0  # the read holding the head's first bytes is not counted

        def on_headers_complete(self) -> None:
            self._head = None
            super().on_headers_complete()
            # The answer's head waits for its body (within the loop's turn): one write,
            # one packet and one wake-up of the client instead of two.
            joined = HeadWithBody(self.cycle.transport, self.loop)
            self.cycle.transport = cast(asyncio.Transport, joined)  # writes and closes, as one

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            counting = self._head is not None
            super().data_received(data)
            if counting and self._head is not None:
                self._head += len(data)
                if self._head > MAX_HEAD_BYTES:
                    self._refuse_head()

        def _refuse_head(self) -> None:
            self._refused = True
            where = f"{self.client[0]}:{self.client[1]}" if self.client else "an unknown client"
            logger.warning(
                "request head from %s larger than %d bytes; answered 431", where, MAX_HEAD_BYTES
            )
            body = b"Request header fields too large"
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
            )
            self.transport.close()

    return AbortingHttpToolsProtocol


def available_http() -> list[str]:
    """The HTTP implementations installed here ("h11" always)."""
    found = ["h11"]
    try:
        protocol("httptools")
    except ImportError:
        return found
    return [*found, "httptools"]


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_ready()


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on ``host``:``port`` (0 picks a free port)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(
    fake: FakeIntercom,
    on_ready: Callable[[], None],
    log_level: str = "warning",
    http: str = "auto",
    hosts: Iterable[str] = (),
) -> uvicorn.Server:
    """uvicorn serving ``fake`` to requests whose Host is an IP address, localhost or
    one of ``hosts`` (see ``HostCheck``)."""
    config = uvicorn.Config(
        HostCheck(fake, hosts),
        http=protocol(http),
        lifespan="off",
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=2,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
    )
    return _Server(config, on_ready)


class FakeServer:
    """A fake on a real port, served by uvicorn in a daemon thread.

    ``with fake.serve() as server: ... server.url ...``; ``port=0`` (the default) picks a
    free port. Stopping waits for the thread (bounded).
    """

    def __init__(
        self,
        fake: FakeIntercom,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        http: str = "auto",
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.fake = fake
        # Fails early on an unknown or missing one.
        self.protocol: type[asyncio.Protocol] = protocol(http)
        self._socket = bind(host, port)
        self.url: str = url_of(self._socket)
        self.port: int = self._socket.getsockname()[1]
        self._ready = threading.Event()
        hosts = bound_names(host) | set(allowed_hosts)
        self._server = make_server(fake, self._ready.set, http=http, hosts=hosts)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"fake-intercom-{self.port}",
            daemon=True,
        )

    def start(self) -> Self:
        if not self._thread.is_alive() and not self._ready.is_set():
            self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            self.stop()
            raise RuntimeError(f"the fake did not start on {self.url}")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT)
        self._socket.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._ready.is_set()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeServer {self.url} {'running' if self.running else 'stopped'}>"
