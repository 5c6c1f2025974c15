"""The one place that sees the wire: one attempt's request sent, and what came back.

Each attempt gets a ``Wire``, which the transport tells how far the request got, through
the ``trace`` request extension that httpcore (httpx's default transports, the slot
transport) and this package's aiohttp transport all call:

- ``*.send_request_headers.started``: the request is being handed over to the network;
  once it is, it may reach Intercom (unless sending its headers failed with a local
  protocol error, which happens before a byte is written);
- ``*.receive_response_headers.complete``: a status line came back, so the request
  arrived.

From that, and from the answer when one came, the attempt's ``Exchange`` holds one
Outcome (see _outcome): a status line decides it by its status, whatever the body; a
request handed over without a status line back is UNKNOWN; one never handed over is
REFUSED. A transport that does not trace (a ``MockTransport``, a caller's own) is judged
by its exception: httpx's connect-phase errors mean nothing was sent, anything else that
the request may have reached Intercom.

One attempt is one POST: redirects are never followed, whatever the httpx client's
``follow_redirects`` says. The answer's body is read under the client's size cap and, for
the async client, the whole attempt under its time cap (the sync client checks the cap
as the body arrives).

The token stays out of reach: requests are built without it, and ``Token.wire`` adds it
to a copy on the way out. Everything that comes back (headers, body, the text of a
transport error) is masked before anything reads it, and transport errors are replaced
by copies of the same type without their request, traceback or chain.

A plain httpx client (no event hooks, cookies or query parameters of its own) sends
straight through the transport its mounts pick for the URL (httpx's private
``_transport_for_url``, fenced: used only on the httpx releases it was tested with, the
public ``send()`` otherwise), which spares each call the auth, redirect and hook layers.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from . import _defaults
from ._metadata import USER_AGENT
from ._outcome import Outcome, of_status
from ._secret import Token

if TYPE_CHECKING:
    from intercom_phone_switch_generated.seam_types import Request

__all__ = [
    "AsyncSender",
    "AttemptTooLong",
    "Exchange",
    "ResponseTooLarge",
    "Sender",
    "Unbuildable",
    "Wire",
    "tested_httpx",
]

#: The most characters of a transport error's message that are kept.
_MESSAGE_LIMIT = 500

#: httpx's errors for a request that never left: no connection, or none in time.
_CONNECT_FAILURES: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
#: httpx's errors for a request that could not be sent at all, and never will be.
_NEVER_SENDABLE: tuple[type[Exception], ...] = (httpx.UnsupportedProtocol,)


#: The httpx releases (major, minor) whose private names this package relies on were
#: tested with: the direct path here, the slot transport's connections (see _pool).
TESTED_HTTPX = ((0, 27), (0, 28), (0, 29))


def tested_httpx() -> bool:
    """Whether the installed httpx is one of TESTED_HTTPX."""
    parts = httpx.__version__.split(".")
    try:
        release = (int(parts[0]), int(parts[1]))
    except (ValueError, IndexError):
        return False
    return release in TESTED_HTTPX


def _direct_supported() -> bool:
    """Whether the installed httpx was tested with the direct path and still has the
    private method it relies on."""
    return tested_httpx() and all(
        callable(getattr(kind, "_transport_for_url", None))
        for kind in (httpx.Client, httpx.AsyncClient)
    )


#: The fence around the direct path (see the module's docstring).
DIRECT = _direct_supported()


class ResponseTooLarge(Exception):
    """The answer's body is larger than the client's ``max_response_size``."""


class AttemptTooLong(TimeoutError):
    """The attempt took longer than the client's ``attempt_timeout``."""


class Unbuildable(Exception):
    """The request could not be built (an unencodable header or body): nothing was sent.
    ``cause`` is a masked copy of why."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class Wire:
    """How far one attempt's request got, as its transport reports it (see the module's
    docstring). Its ``event`` and ``async_event`` are the ``trace`` extension."""

    __slots__ = ("handed_over", "sending", "status", "traced")

    def __init__(self) -> None:
        #: The request was given to the transport.
        self.sending: bool = False
        #: The transport reported its progress (so ``handed_over`` is known).
        self.traced: bool = False
        #: Some of the request may have been written to the network.
        self.handed_over: bool = False
        #: The status of the answer's status line, once one came back.
        self.status: int | None = None

    def event(self, name: str, info: Mapping[str, Any]) -> None:
        self.traced = True
        if name.endswith(".send_request_headers.started"):
            self.handed_over = True
        elif name.endswith(".send_request_headers.failed"):
            # h11 and h2 refuse a malformed request before writing a byte of it.
            if _is_local_protocol_error(info.get("exception")):
                self.handed_over = False
        elif name.endswith(".receive_response_headers.complete"):
            value = info.get("return_value")
            if isinstance(value, tuple) and len(value) > 1 and isinstance(value[1], int):
                self.status = value[1]

    async def async_event(self, name: str, info: Mapping[str, Any]) -> None:
        self.event(name, info)

    def outcome(self) -> Outcome:
        """The outcome of the attempt as far as it got (also while it is under way)."""
        if self.status is not None:
            return of_status(self.status)
        if self.handed_over or (self.sending and not self.traced):
            return Outcome.UNKNOWN
        return Outcome.REFUSED


def _is_local_protocol_error(error: object) -> bool:
    import httpcore

    return isinstance(error, httpcore.LocalProtocolError)


class Exchange:
    """What one attempt ended with: its ``outcome``, and the answer when one came.

    ``status`` and ``headers`` (masked) are set once a status line came back; ``content``
    (masked) once the body was read in full (None: it could not be, and ``problem`` says
    why). Without an answer, ``problem`` is a masked copy of the transport's error and
    ``transient`` whether trying again may help (only for requests that were not sent).
    """

    __slots__ = ("content", "headers", "outcome", "problem", "status", "transient")

    def __init__(
        self,
        outcome: Outcome,
        *,
        status: int | None = None,
        headers: httpx.Headers | None = None,
        content: bytes | None = None,
        problem: BaseException | None = None,
        transient: bool = False,
    ) -> None:
        self.outcome = outcome
        self.status = status
        self.headers = headers
        self.content = content
        self.problem = problem
        self.transient = transient

    def __repr__(self) -> str:
        return f"<Exchange {self.outcome.value} status={self.status}>"


def _message(error: BaseException, token: Token) -> str:
    try:
        text = str(error)
    except Exception:  # a broken __str__: the type says enough
        text = ""
    text = token.mask(text)
    if len(text) > _MESSAGE_LIMIT:
        text = token.mask(text[:_MESSAGE_LIMIT]) + f"... ({len(text) - _MESSAGE_LIMIT} more)"
    return text


def scrub(error: BaseException, token: Token) -> BaseException:
    """A copy of ``error``: same type, message masked, and nothing else (no request, no
    traceback, no cause or context)."""
    if isinstance(error, (ResponseTooLarge, AttemptTooLong)):
        return error  # written here, from nothing the server sent
    text = _message(error, token)
    kind = type(error)
    try:
        copy = kind(text)
    except Exception:
        copy = None
    if not isinstance(copy, BaseException) or type(copy) is not kind:
        copy = RuntimeError(f"{kind.__module__}.{kind.__qualname__}: {text}")
    return copy


def _failed(wire: Wire, error: Exception, token: Token) -> Exchange:
    """The exchange of an attempt whose transport raised ``error`` before an answer."""
    problem = scrub(error, token)
    if wire.status is not None:  # a hook failed after the status line came back
        return Exchange(of_status(wire.status), status=wire.status, problem=problem)
    if wire.traced:
        if wire.handed_over:
            return Exchange(Outcome.UNKNOWN, problem=problem)
        return Exchange(
            Outcome.REFUSED, problem=problem, transient=isinstance(error, _CONNECT_FAILURES)
        )
    if isinstance(error, _CONNECT_FAILURES):
        return Exchange(Outcome.REFUSED, problem=problem, transient=True)
    if isinstance(error, _NEVER_SENDABLE):
        return Exchange(Outcome.REFUSED, problem=problem)
    # A read or write timeout, a dropped connection, a protocol error, or an error from
    # a caller's transport or event hook: the request may have reached Intercom.
    return Exchange(Outcome.UNKNOWN, problem=problem)


def _declared_too_large(raw: httpx.Response, limit: int) -> bool:
    declared = raw.headers.get("content-length", "")
    return declared.isdigit() and len(declared) < 20 and int(declared) > limit


def _too_large(limit: int) -> ResponseTooLarge:
    return ResponseTooLarge(f"the answer is larger than max_response_size ({limit} bytes)")


def _too_long(limit: float) -> AttemptTooLong:
    return AttemptTooLong(f"the attempt took longer than attempt_timeout ({limit:g} s)")


def _json(value: object) -> bytes:
    """A JSON body as httpx encodes one: compact, UTF-8, no NaN."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _plain(http: httpx.Client | httpx.AsyncClient) -> bool:
    """Whether ``http`` adds nothing to a request beyond its headers, timeout and transport:
    no event hooks, no cookies, no query parameters."""
    hooks = http.event_hooks
    return not (hooks["request"] or hooks["response"] or http.cookies or http.params)


class _Base:
    __slots__ = (
        "_attempt_timeout",
        "_base_url",
        "_headers",
        "_max_size",
        "_timeout",
        "_token",
        "_urls",
    )

    def __init__(
        self,
        base_url: str,
        token: Token,
        timeout: Any,
        *,
        max_response_size: int = _defaults.MAX_RESPONSE_SIZE,
        attempt_timeout: float | None = _defaults.ATTEMPT_TIMEOUT,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._max_size = max_response_size
        self._attempt_timeout = attempt_timeout
        self._headers: dict[tuple[object, ...], httpx.Headers] = {}
        self._urls: dict[str, httpx.URL] = {}

    def _http(self) -> httpx.Client | httpx.AsyncClient:
        raise NotImplementedError

    def build(
        self,
        request: Request,
        extra_headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> tuple[httpx.Request, bool]:
        """The httpx request for a request of the generated code, and whether it goes
        straight to the transport (see the module's docstring). Raises Unbuildable."""
        http = self._http()
        headers = dict(request.headers)
        headers["Accept"] = "application/json"
        headers["User-Agent"] = USER_AGENT
        if extra_headers:
            headers.update(extra_headers)
        chosen = self._timeout if timeout is None else timeout
        try:
            url = self._url(request.path)
            body = _json(request.json)
            if http.is_closed:
                raise RuntimeError("the httpx client is closed")
            if not (DIRECT and _plain(http)):
                built = http.build_request(
                    request.method, url, headers=headers, content=body, timeout=chosen
                )
                return built, False
            effective = http.timeout if chosen is httpx.USE_CLIENT_DEFAULT else chosen
            wire = httpx.Headers(self._merged(url, http.headers, headers))
            wire["Content-Length"] = str(len(body))
            lean = httpx.Request(
                request.method,
                url,
                headers=wire,
                stream=httpx.ByteStream(body),
                extensions={"timeout": httpx.Timeout(effective).as_dict()},
            )
            return lean, True
        except Exception as error:  # an unencodable body or header: nothing was sent
            failure = Unbuildable(scrub(error, self._token))
        raise failure

    def _url(self, path: str) -> httpx.URL:
        """The URL of ``path`` (the operation's; httpx's URLs are immutable), parsed once."""
        url = self._urls.get(path)
        if url is None:
            url = httpx.URL(self._base_url + path)
            if len(self._urls) < 16:
                self._urls[path] = url
        return url

    def _merged(
        self, url: httpx.URL, defaults: httpx.Headers, headers: dict[str, str]
    ) -> httpx.Headers:
        """What httpx would send for ``url``: Host, then the client's headers with
        ``headers`` over them and the JSON content type (the length is the body's). The
        few combinations a client sends are kept; each request takes a copy."""
        key = (url.netloc, *defaults.raw, *headers.items())
        merged = self._headers.get(key)
        if merged is None:
            merged = httpx.Headers([(b"Host", url.netloc)])
            merged.update(defaults)
            for name, value in headers.items():
                merged[name] = value
            if len(self._headers) >= 16:  # per-call extra_headers that keep changing
                self._headers.clear()
            self._headers[key] = merged
        return merged

    def _answered(
        self, raw: httpx.Response, content: bytes | None, problem: BaseException | None
    ) -> Exchange:
        token = self._token
        headers = raw.headers
        if token.found_in(b"\n".join(value for _, value in headers.raw)):
            headers = httpx.Headers(
                [(name, token.mask_bytes(value)) for name, value in headers.raw]
            )
        status = raw.status_code
        if content is not None:
            content = token.mask_bytes(content)
        elif problem is not None:
            problem = scrub(problem, token)
        return Exchange(
            of_status(status), status=status, headers=headers, content=content, problem=problem
        )

    def _received(self, raw: httpx.Response, request: httpx.Request) -> httpx.Response:
        """An answer straight from the transport, as the client's send() would leave it:
        tied to the request its sender holds (no credentials), cookies in the jar."""
        raw.request = request
        if "set-cookie" in raw.headers:
            self._http().cookies.extract_cookies(raw)
        return raw

    def __repr__(self) -> str:
        return f"<{type(self).__name__} to {self._base_url}>"


class Sender(_Base):
    """Sends the synchronous client's requests."""

    __slots__ = ("_client",)

    def __init__(self, http: httpx.Client, base_url: str, token: Token, timeout: Any, **kw: Any):
        super().__init__(base_url, token, timeout, **kw)
        self._client = http

    def _http(self) -> httpx.Client:
        return self._client

    def send(self, request: httpx.Request, direct: bool, wire: Wire) -> Exchange:
        """Send ``request`` once and read the answer; never raises an Exception."""
        deadline = (
            None if self._attempt_timeout is None else time.monotonic() + self._attempt_timeout
        )
        http = self._client
        request.extensions["trace"] = wire.event
        wire.sending = True
        try:
            if direct:
                transport = http._transport_for_url(request.url)
                raw = self._received(transport.handle_request(self._token.wire(request)), request)
            else:
                raw = http.send(request, auth=self._token, follow_redirects=False, stream=True)
        except httpx.HTTPStatusError as error:  # a caller's response hook refused the status
            return self._answered(error.response, None, error)
        except Exception as error:
            return _failed(wire, error, self._token)
        wire.status = raw.status_code
        try:
            content = self._read(raw, deadline)
        except Exception as error:
            return self._answered(raw, None, error)
        finally:
            raw.close()
        return self._answered(raw, content, None)

    def _read(self, raw: httpx.Response, deadline: float | None) -> bytes:
        limit = self._max_size
        if _declared_too_large(raw, limit):
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        for chunk in raw.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if deadline is not None and time.monotonic() > deadline:
                raise _too_long(self._attempt_timeout or 0.0)
        return b"".join(chunks)


async def _capped(work: Coroutine[Any, Any, Exchange], limit: float) -> Exchange | None:
    """``await work`` for at most ``limit`` seconds; None when the cap stopped it."""
    if sys.version_info >= (3, 11):
        import asyncio  # here, not at the top: a sync client never loads asyncio

        timer = asyncio.timeout(limit)
        try:
            async with timer:
                return await work
        except TimeoutError:
            if not timer.expired():
                raise
            return None
    import anyio  # Python 3.10: no asyncio.timeout; anyio comes with httpx

    with anyio.CancelScope(deadline=anyio.current_time() + limit):
        return await work
    return None  # the scope cancelled the work, and caught its cancellation


class AsyncSender(_Base):
    """Sends the async client's requests."""

    __slots__ = ("_client",)

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, token: Token, timeout: Any, **kw: Any
    ):
        super().__init__(base_url, token, timeout, **kw)
        self._client = http

    def _http(self) -> httpx.AsyncClient:
        return self._client

    async def send(self, request: httpx.Request, direct: bool, wire: Wire) -> Exchange:
        """Send ``request`` once and read the answer; never raises an Exception (a
        cancellation propagates, and ``wire`` then tells how far the request got)."""
        request.extensions["trace"] = wire.async_event
        limit = self._attempt_timeout
        if limit is None:
            return await self._exchange(request, direct, wire)
        # The whole attempt, status line included, runs under the time cap.
        done = await _capped(self._exchange(request, direct, wire), limit)
        if done is not None:
            return done
        problem = _too_long(limit)
        if wire.status is not None:
            return Exchange(of_status(wire.status), status=wire.status, problem=problem)
        return Exchange(wire.outcome(), problem=problem)

    async def _exchange(self, request: httpx.Request, direct: bool, wire: Wire) -> Exchange:
        http = self._client
        wire.sending = True
        try:
            if direct:
                transport = http._transport_for_url(request.url)
                answer = await transport.handle_async_request(self._token.wire(request))
                raw = self._received(answer, request)
            else:
                raw = await http.send(
                    request, auth=self._token, follow_redirects=False, stream=True
                )
        except httpx.HTTPStatusError as error:
            return self._answered(error.response, None, error)
        except Exception as error:
            return _failed(wire, error, self._token)
        wire.status = raw.status_code
        try:
            content = await self._read(raw)
        except Exception as error:
            return self._answered(raw, None, error)
        finally:
            await raw.aclose()
        return self._answered(raw, content, None)

    async def _read(self, raw: httpx.Response) -> bytes:
        limit = self._max_size
        if _declared_too_large(raw, limit):
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in raw.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)
