"""The async client's default transport: httpx, with a connection pool that scales.

httpcore's async pool does work proportional to its connections and queued requests
every time a request starts or ends (it checks every connection for expiry, counts them
all to decide whether an idle one may stay, and may hand one idle connection to several
queued requests, which then retry). At 64 requests in flight that costs milliseconds of
CPU per request, and it closes connections it has just opened.

SlotTransport keeps out of that pool: it holds httpx transports ("slots"), gives each
request a slot of its own, and each slot sends through one httpcore connection instead
of a pool (made by the pool httpx configured, so with its TLS, HTTP versions, retries
and socket options, and made again once it is closed or past its keep-alive expiry).
A request then costs the connection's own work and nothing more: no queue, no scan of
other connections, and none of the locks, events and cancellation shields the pool
makes per request (each of which also imports sniffio, a slow failed import where it is
not installed). Taking and returning a slot is O(1): a free slot (the most recently
used first, to keep warm connections busy), else a new one while fewer than
``max_connections`` exist, else the request waits its turn, at most the request's pool
timeout (then ``httpx.PoolTimeout``: nothing was sent). Everything else, the HTTP/1.1
connection, TLS, keep-alive expiry and the mapping of failures to httpx exceptions, is
httpx's and httpcore's own, unchanged.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import httpx

from . import _defaults
from ._wire import tested_httpx

__all__ = ["DEFAULT_LIMITS", "SlotTransport", "default_client"]

#: Up to 100 connections, as httpx; all of them may stay open while idle (httpx keeps
#: 20, and so closes connections a bulk send of more than 20 at a time is about to reuse).
DEFAULT_LIMITS = httpx.Limits(
    max_connections=_defaults.MAX_CONNECTIONS,
    max_keepalive_connections=_defaults.MAX_CONNECTIONS,
)


#: Whether slots send through one connection of their own (see _new_slot).
ONE_CONNECTION = tested_httpx()


class SlotTransport(httpx.AsyncBaseTransport):
    """An httpx async transport whose pool costs the same at any concurrency.

    Takes ``limits`` (``max_connections``, ``max_keepalive_connections``,
    ``keepalive_expiry``) and any other keyword argument of ``httpx.AsyncHTTPTransport``
    (``verify``, ``cert``, ``trust_env``, ``http2``, ``local_address``, ``retries``,
    ``socket_options``), applied to every connection.
    """

    def __init__(self, *, limits: httpx.Limits = DEFAULT_LIMITS, **options: Any) -> None:
        if "proxy" in options or "uds" in options:
            raise TypeError("SlotTransport takes no proxy or uds: mount an httpx transport")
        most = limits.max_connections
        self._max = 2**31 if most is None else most
        if self._max < 1:
            raise ValueError("max_connections must be at least 1")
        idle = limits.max_keepalive_connections
        self._max_idle = self._max if idle is None else min(idle, self._max)
        self._slot_limits = httpx.Limits(
            max_connections=1, max_keepalive_connections=1, keepalive_expiry=limits.keepalive_expiry
        )
        self._options = options
        self._ssl: ssl.SSLContext | None = None
        self._free: list[httpx.AsyncHTTPTransport] = []
        self._slots: list[httpx.AsyncHTTPTransport] = []
        self._waiters: deque[asyncio.Future[httpx.AsyncHTTPTransport]] = deque()
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def connections(self) -> int:
        """How many slots (each at most one connection) exist now."""
        return len(self._slots)

    def __repr__(self) -> str:
        return f"<SlotTransport {len(self._slots)} slots, {len(self._free)} free>"

    def _new_slot(self) -> httpx.AsyncHTTPTransport:
        options = dict(self._options)
        if self._ssl is None:
            # One SSL context for all slots: loading the CA bundle is the costly part.
            self._ssl = httpx.create_ssl_context(
                verify=options.pop("verify", True),
                cert=options.pop("cert", None),
                trust_env=options.get("trust_env", True),
            )
        else:
            options.pop("verify", None)
            options.pop("cert", None)
        slot = httpx.AsyncHTTPTransport(verify=self._ssl, limits=self._slot_limits, **options)
        # httpx keeps its pool in `_pool`, the one private name this module relies on,
        # fenced: only on the httpx releases it was tested with, and only where it is the
        # httpcore pool expected; otherwise the slot keeps httpx's pool (and only loses
        # speed). tests/facade/test_fences.py fails when a release moves it.
        pool = getattr(slot, "_pool", None) if ONE_CONNECTION else None
        if isinstance(pool, httpcore.AsyncConnectionPool):
            slot._pool = _OneConnection(pool)  # type: ignore[assignment]
        self._slots.append(slot)
        return slot

    async def _acquire(self, request: httpx.Request) -> httpx.AsyncHTTPTransport:
        if self._closed:
            raise RuntimeError("the transport is closed")
        if self._free:
            return self._free.pop()
        if len(self._slots) < self._max:
            return self._new_slot()
        waiter: asyncio.Future[httpx.AsyncHTTPTransport] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        timeout = request.extensions.get("timeout", {}).get("pool")
        try:
            if timeout is None:
                return await waiter
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except BaseException as error:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())  # handed over just as we gave up
            else:
                waiter.cancel()
            if isinstance(error, asyncio.TimeoutError):
                raise httpx.PoolTimeout("no free connection in time") from None
            raise

    def _release(self, slot: httpx.AsyncHTTPTransport) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(slot)
                return
        if self._closed or len(self._free) >= self._max_idle:
            if slot in self._slots:
                self._slots.remove(slot)
            task = asyncio.ensure_future(slot.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
            return
        self._free.append(slot)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        slot = await self._acquire(request)
        try:
            response = await slot.handle_async_request(request)
        except BaseException:
            self._release(slot)
            raise
        response.stream = _SlotStream(response.stream, self, slot)
        return response

    async def aclose(self) -> None:
        self._closed = True
        for waiter in self._waiters:
            waiter.cancel()
        slots, self._slots, self._free = self._slots, [], []
        for slot in slots:
            await slot.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


class _OneConnection:
    """What a slot's httpx transport sends through in place of httpcore's pool: one
    connection, made by that pool (with its TLS, HTTP versions, retries and socket
    options), used by one request at a time, and made again once it is closed or has
    expired. It spares each request the pool's queue and bookkeeping. A connection that
    turns out to be unavailable when a request starts on it has sent nothing (httpcore
    says so before writing a byte), so the request goes out on a new one, as the pool
    would do."""

    __slots__ = ("_connection", "_pool")

    def __init__(self, pool: httpcore.AsyncConnectionPool) -> None:
        self._pool = pool
        self._connection: httpcore.AsyncConnectionInterface | None = None

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if request.url.scheme not in (b"http", b"https"):
            return await self._pool.handle_async_request(request)  # its error for the scheme
        origin = request.url.origin
        for _ in range(3):
            connection = self._connection
            if (
                connection is None
                or not connection.can_handle_request(origin)
                or connection.is_closed()
                or connection.has_expired()
            ):
                self._connection = None
                if connection is not None:
                    await connection.aclose()
                connection = self._connection = self._pool.create_connection(origin)
            try:
                return await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:
                self._connection = None
                await connection.aclose()
        # Still nothing sent: a connect failure as httpx reports one (not sent, retryable).
        raise httpcore.ConnectError("no connection to the server could take the request")

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.aclose()
        await self._pool.aclose()

    async def __aenter__(self) -> _OneConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _SlotStream(httpx.AsyncByteStream):
    """A response body that gives its slot back once it is closed."""

    __slots__ = ("_owner", "_slot", "_stream")

    def __init__(
        self, stream: Any, owner: SlotTransport, slot: httpx.AsyncHTTPTransport | None
    ) -> None:
        self._stream = stream
        self._owner = owner
        self._slot = slot

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            slot, self._slot = self._slot, None
            if slot is not None:
                self._owner._release(slot)


def default_client(kind: type[Any], timeout: Any) -> Any:
    """The httpx client a phone switch client builds when given none."""
    if kind is httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout, transport=SlotTransport())
    return kind(timeout=timeout)
