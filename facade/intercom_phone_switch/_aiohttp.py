"""An httpx async transport sending with aiohttp: ``pip install intercom-phone-switch[aiohttp]``.

aiohttp's client costs a fraction of httpx's own async stack per request, which is what
bulk sending at high concurrency spends its time on. ``AiohttpTransport`` lets any
``httpx.AsyncClient`` send through it, and ``AiohttpClient`` is such a client, ready to
pass as ``AsyncPhoneSwitchClient(http_client=...)``; the phone switch client, its
checks, its retry policy and the generated code see only httpx.

What the retry policy relies on is kept exactly: a failure is reported as one of
httpx's "not sent" exceptions (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``,
``UnsupportedProtocol``, ``LocalProtocolError``) only when no connection had been handed
to the request, so not a byte of it can have left. Once a connection was handed over,
every failure is one that says the request may have arrived: ``ReadTimeout``,
``WriteTimeout``, ``ReadError``, ``WriteError`` or ``RemoteProtocolError`` (a connection
dropped after the request was written is the last, never a connect error). The transport
learns when a connection was handed over from its own connector, not from the kind of
exception aiohttp raised.

Timeouts are the request's httpx timeouts: ``pool`` plus ``connect`` to get a connection
(aiohttp waits for a free one and connects within one budget), ``connect`` for the TCP
and TLS handshake, ``read`` for each wait on the answer, and ``write`` as extra time for
sending (the whole exchange up to the answer's headers is bounded by the sum). Answers
larger than ``max_response_bytes`` are refused with ``ResponseTooLarge`` (a ReadError),
and so are header lines longer than aiohttp's ``max_line_size``/``max_field_size``.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
import weakref
from collections.abc import AsyncIterator, Awaitable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

try:
    import aiohttp
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError(
        "the aiohttp transport needs aiohttp: pip install 'intercom-phone-switch[aiohttp]'"
    ) from error
from yarl import URL

from . import _defaults

#: asyncio.timeout (Python 3.11+); Python 3.10 falls back on asyncio.wait_for.
_timeout: Any = getattr(asyncio, "timeout", None)

if TYPE_CHECKING:
    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.connector import Connection
    from aiohttp.tracing import Trace

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "AiohttpClient", "AiohttpTransport", "ResponseTooLarge"]

_T = TypeVar("_T")
#: What no header of a request may hold: a line break would split it, a NUL end it.
_UNSAFE = re.compile(rb"[\r\n\0]")

#: Phone switch answers are a few hundred bytes; anything past this is refused.
DEFAULT_MAX_RESPONSE_BYTES = _defaults.MAX_RESPONSE_SIZE
_LIMITS = httpx.Limits(
    max_connections=_defaults.MAX_CONNECTIONS,
    max_keepalive_connections=_defaults.MAX_CONNECTIONS,
)


class ResponseTooLarge(httpx.ReadError):
    """The answer's body is larger than the transport's ``max_response_bytes``."""


class _Handover:
    """Set by the connector once a connection belongs to the request; it tells the
    request's trace (when it has one) that the request is being handed over."""

    __slots__ = ("connected", "trace")

    def __init__(self, trace: Any = None) -> None:
        self.connected = False
        self.trace = trace


_handover: ContextVar[_Handover | None] = ContextVar(
    "intercom_phone_switch_aiohttp_handover", default=None
)


class _Connector(aiohttp.TCPConnector):
    """Tells the request it now has a connection, and counts the new ones."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.opened = 0
        self._seen: weakref.WeakSet[object] = weakref.WeakSet()

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        connection = await super().connect(req, traces, timeout)
        handover = _handover.get()
        if handover is not None:
            handover.connected = True
            if handover.trace is not None:
                await handover.trace("http11.send_request_headers.started", {"request": req})
        protocol = connection.protocol
        if protocol is not None and protocol not in self._seen:
            self._seen.add(protocol)
            self.opened += 1
        return connection


#: aiohttp exceptions that can only come from getting a connection.
_CONNECT_FAILURES = (aiohttp.ClientConnectorError, aiohttp.ClientProxyConnectionError)


def _not_sent(error: BaseException, request: httpx.Request) -> httpx.TransportError | None:
    """The httpx error for a failure before any connection was handed over."""
    if isinstance(error, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(str(error), request=request)
    if isinstance(error, asyncio.TimeoutError):  # ConnectionTimeoutError, or the deadline
        return httpx.ConnectTimeout("timed out getting a connection", request=request)
    if isinstance(error, (*_CONNECT_FAILURES, OSError)):
        return httpx.ConnectError(str(error) or type(error).__name__, request=request)
    if isinstance(error, aiohttp.ClientError | ValueError):
        return httpx.LocalProtocolError(str(error), request=request)
    return None


def _maybe_sent(
    error: BaseException, request: httpx.Request, deadline: bool
) -> httpx.TransportError | None:
    """The httpx error for a failure once the request had a connection."""
    if isinstance(error, asyncio.TimeoutError):
        if deadline:
            return httpx.WriteTimeout("timed out sending the request", request=request)
        return httpx.ReadTimeout("timed out waiting for the answer", request=request)
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    if isinstance(error, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(str(error), request=request)
    if isinstance(error, aiohttp.ClientConnectionError | OSError):
        return httpx.ReadError(str(error) or type(error).__name__, request=request)
    if isinstance(error, aiohttp.ClientError):
        return httpx.RemoteProtocolError(str(error), request=request)
    return None


async def _within(call: Awaitable[_T], seconds: float | None) -> _T:
    """``await call``, cut short by a plain TimeoutError after ``seconds``."""
    if seconds is None:
        return await call
    if _timeout is None:  # pragma: no cover - Python 3.10
        return await asyncio.wait_for(call, seconds)
    async with _timeout(seconds):
        return await call


def _sum(*parts: float | None) -> float | None:
    return None if any(part is None for part in parts) else sum(p for p in parts if p)


@functools.lru_cache(maxsize=2)
def _ssl_context(verify: bool) -> ssl.SSLContext:
    """httpx's context for ``verify``, made once per process: loading the trust store
    takes tens of milliseconds, and aiohttp only reads the context."""
    return httpx.create_ssl_context(verify)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests with an aiohttp session of its own (HTTP/1.1).

    ``limits``: ``max_connections`` (aiohttp's connector limit) and ``keepalive_expiry``;
    ``verify``: as httpx's (True, False or an ``ssl.SSLContext``);
    ``max_response_bytes``: the largest body accepted; ``max_line_size`` and
    ``max_field_size``: aiohttp's limits on a header line. Redirects, cookies, proxies
    from the environment and content decoding stay httpx's business. Use it on one event
    loop, and close it (``aclose``, or closing the httpx client that holds it).
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits = _LIMITS,
        verify: ssl.SSLContext | bool = True,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_line_size: int = _defaults.MAX_HEADER_LINE,
        max_field_size: int = _defaults.MAX_HEADER_LINE,
    ) -> None:
        if max_response_bytes < 0:
            raise ValueError("max_response_bytes must not be negative")
        self._limits = limits
        self._verify = verify
        self._max_bytes = max_response_bytes
        self._line_sizes = {"max_line_size": max_line_size, "max_field_size": max_field_size}
        self._session: aiohttp.ClientSession | None = None
        self._connector: _Connector | None = None
        self._urls: dict[str, URL] = {}
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._closed = False

    @property
    def connections_opened(self) -> int:
        """Connections opened so far (for diagnostics and benchmarks)."""
        return 0 if self._connector is None else self._connector.opened

    def __repr__(self) -> str:
        return f"<AiohttpTransport opened={self.connections_opened}>"

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the transport is closed")
        verify = self._verify
        context = verify if isinstance(verify, ssl.SSLContext) else _ssl_context(verify)
        connector = self._connector = _Connector(
            limit=self._limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=self._limits.keepalive_expiry or 0,
            ssl=context,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
            timeout=aiohttp.ClientTimeout(total=None),
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            **self._line_sizes,  # type: ignore[arg-type]
        )
        return self._session

    def _url(self, url: httpx.URL) -> URL:
        text = str(url)
        found = self._urls.get(text)
        if found is None:
            found = URL(text, encoded=True)
            if len(self._urls) < 256:
                self._urls[text] = found
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        trace = request.extensions.get("trace")
        if trace is not None:  # from here on, the trace tells how far the request got
            await trace("connection.acquire.started", {"request": request})
        raw_headers = request.headers.raw
        if _UNSAFE.search(b":".join([b":".join(pair) for pair in raw_headers])):
            raise httpx.LocalProtocolError("a header holds a line break or NUL")
        session = self._session or self._open()
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        connect = timeouts.get("connect")
        read = timeouts.get("read")
        to_connect = _sum(timeouts.get("pool"), connect)
        timeout = self._timeouts.get((to_connect, connect, read))
        if timeout is None:
            timeout = aiohttp.ClientTimeout(
                total=None, connect=to_connect, sock_connect=connect, sock_read=read
            )
            if len(self._timeouts) < 64:
                self._timeouts[to_connect, connect, read] = timeout
        body = request.content if hasattr(request, "_content") else await request.aread()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers]
        handover = _Handover(trace)
        token = _handover.set(handover)
        call = session.request(
            request.method,
            self._url(request.url),
            headers=headers,
            data=body or None,
            allow_redirects=False,
            timeout=timeout,
        )
        try:
            try:
                answer = await _within(call, _sum(to_connect, timeouts.get("write"), read))
            except Exception as error:
                # aiohttp's own timeouts are subclasses; a plain one is the deadline's.
                deadline = type(error) is asyncio.TimeoutError
                raise self._mapped(error, request, handover, deadline) from error
        finally:
            _handover.reset(token)
        reason = (answer.reason or "").encode("latin-1", "replace")
        if trace is not None:
            status_line = (b"HTTP/1.1", answer.status, reason, answer.raw_headers)
            await trace("http11.receive_response_headers.complete", {"return_value": status_line})
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=_Body(answer, request, self._max_bytes),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    @staticmethod
    def _mapped(
        error: BaseException, request: httpx.Request, handover: _Handover, deadline: bool
    ) -> BaseException:
        if isinstance(error, httpx.TransportError):
            return error
        if handover.connected:
            mapped = _maybe_sent(error, request, deadline)
        else:
            mapped = _not_sent(error, request)
        return error if mapped is None else mapped

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _Body(httpx.AsyncByteStream):
    """An answer's body as aiohttp reads it, at most ``limit`` bytes; failures reported
    as httpx's read errors. Closing it gives the connection back."""

    __slots__ = ("_answer", "_limit", "_request")

    def __init__(self, answer: aiohttp.ClientResponse, request: httpx.Request, limit: int) -> None:
        self._answer = answer
        self._request = request
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        answer, request, limit = self._answer, self._request, self._limit
        length = answer.content_length
        if length is not None and length > limit:
            answer.close()
            raise ResponseTooLarge(
                f"the answer announces {length} bytes, more than {limit}", request=request
            )
        size = 0
        try:
            async for chunk in answer.content.iter_any():
                size += len(chunk)
                if size > limit:
                    answer.close()
                    raise ResponseTooLarge(
                        f"the answer is larger than {limit} bytes", request=request
                    )
                yield chunk
        except httpx.TransportError:
            raise
        except Exception as error:
            mapped = _maybe_sent(error, request, deadline=False)
            if mapped is None:
                raise
            raise mapped from error

    async def aclose(self) -> None:
        self._answer.release()


class AiohttpClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` sending through an ``AiohttpTransport``.

    Its timeout defaults to the phone switch client's (30 s, 5 s to connect);
    ``limits``, ``verify``, ``max_response_bytes``, ``max_line_size`` and
    ``max_field_size`` go to the transport, anything else to ``httpx.AsyncClient``.
    """

    def __init__(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        limits: httpx.Limits = _LIMITS,
        verify: ssl.SSLContext | bool = True,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_line_size: int = _defaults.MAX_HEADER_LINE,
        max_field_size: int = _defaults.MAX_HEADER_LINE,
        **options: Any,
    ) -> None:
        if "transport" in options:
            raise TypeError("AiohttpClient makes its own transport")
        if timeout is None:
            timeout = httpx.Timeout(_defaults.TIMEOUT, connect=_defaults.CONNECT_TIMEOUT)
        self.aiohttp_transport: AiohttpTransport = AiohttpTransport(
            limits=limits,
            verify=verify,
            max_response_bytes=max_response_bytes,
            max_line_size=max_line_size,
            max_field_size=max_field_size,
        )
        super().__init__(timeout=timeout, transport=self.aiohttp_transport, **options)
