"""What the generated clients send through: an httpx client, a base URL and the token.

A generated AuthenticatedClient sends with ``get_httpx_client().request(...)`` to a path
relative to its own base URL. The client hands it a Route instead of a bare httpx client:
a Route sends the same request with httpx to ``base_url + path`` and tells apart what
matters for the retry policy:

- the request could not be built (nothing sent),
- it certainly did not reach Intercom (connection refused, connect timeout, ...),
- it may have reached Intercom, and no status line came back (read timeout, dropped
  connection, the attempt's time cap, ...),
- a status line came back, so the request certainly arrived, but the body could not be
  read (bad gzip, cut short, larger than the size cap, too slow): ``AnswerUnreadable``.

One POST goes on the wire per attempt: redirects are never followed, whatever the httpx
client's ``follow_redirects`` says; a 3xx comes back as an answer.

The Route sends straight through the httpx client's transport for the URL (the one its
``mounts`` or proxy settings pick) when the client has nothing else to add: no event
hooks, no cookies and no query parameters of its own. Then it builds the request itself,
with the client's headers and timeout, and skips the client's per-request layers (auth
and redirect flows, hooks, cookie extraction of answers without Set-Cookie), which cost
about as much as the rest of a call. Any other client sends through ``send()`` as usual.

The token stays out of reach: the Route adds it to a copy of each request (see _secret),
so neither the generated client, nor the httpx client, nor any request or dict of
headers the Route or the generated code keep, holds it. Every answer is rebuilt with the
token masked in its body, headers and reason phrase before the generated code reads it,
and every transport error is replaced by a copy of the same type with its message masked,
without the request, traceback or chain of the original.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Coroutine, Mapping
from contextvars import ContextVar
from typing import Any, Literal

import httpx

from ._secret import Token

__all__ = [
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "AnswerUnreadable",
    "AsyncRoute",
    "AttemptTooLong",
    "CallOptions",
    "ResponseTooLarge",
    "Route",
    "Token",
    "TransportFailure",
    "call_options",
    "last_response",
]

#: The answer to the request the current call (thread or task) sent last.
last_response: ContextVar[httpx.Response | None] = ContextVar(
    "intercom_phone_switch_last_response", default=None
)

#: 1 MiB: Intercom's answers to this endpoint are well under 1 KiB.
DEFAULT_MAX_RESPONSE_SIZE = 1024 * 1024
#: Seconds one attempt may take in all, from sending to the answer's last byte.
DEFAULT_ATTEMPT_TIMEOUT = 60.0
#: The most characters of a transport error's message that are kept.
_MESSAGE_LIMIT = 500

Failure = Literal["unbuildable", "not_sent", "maybe_sent"]

_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
_NOT_SENT_FOR_GOOD: tuple[type[Exception], ...] = (
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


class CallOptions:
    """Per-call settings a call passes down to the Route (through ``call_options``)."""

    __slots__ = ("headers", "timeout")

    def __init__(self, *, timeout: Any = None, headers: Mapping[str, str] | None = None) -> None:
        #: An httpx timeout for this call, or None for the Route's own.
        self.timeout = timeout
        #: Headers to add to this call's request.
        self.headers = dict(headers) if headers else {}


#: The options of the call under way in this thread or task, when it has any.
call_options: ContextVar[CallOptions | None] = ContextVar(
    "intercom_phone_switch_call_options", default=None
)


class TransportFailure(Exception):
    """Sending failed: ``failure`` says how far the request got; ``cause`` is why (a
    masked copy of the transport's error)."""

    def __init__(self, failure: Failure, cause: BaseException, *, transient: bool) -> None:
        super().__init__(failure)
        self.failure: Failure = failure
        self.cause = cause
        self.transient = transient


class AnswerUnreadable(Exception):
    """A status line came back, so the request arrived, but the body could not be read.

    ``response`` holds the status and (masked) headers, with an empty body; ``cause`` is
    why the body could not be read.
    """

    def __init__(self, response: httpx.Response, cause: BaseException) -> None:
        super().__init__(f"status {response.status_code}, body unreadable")
        self.response = response
        self.cause = cause


class ResponseTooLarge(Exception):
    """The answer's body is larger than the client's ``max_response_size``."""


class AttemptTooLong(TimeoutError):
    """The attempt took longer than the client's ``attempt_timeout``."""


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


def _failure(error: Exception, token: Token) -> TransportFailure:
    cause = scrub(error, token)
    if isinstance(error, _NOT_SENT):
        return TransportFailure("not_sent", cause, transient=True)
    if isinstance(error, _NOT_SENT_FOR_GOOD):
        return TransportFailure("not_sent", cause, transient=False)
    # A read or write timeout, a dropped connection, or an error from a caller's
    # transport or event hook: the request may have reached Intercom.
    return TransportFailure("maybe_sent", cause, transient=False)


def _too_large(limit: int) -> ResponseTooLarge:
    return ResponseTooLarge(f"the answer is larger than max_response_size ({limit} bytes)")


def _too_long(limit: float) -> AttemptTooLong:
    return AttemptTooLong(f"the attempt took longer than attempt_timeout ({limit:g} s)")


def _declared_too_large(raw: httpx.Response, limit: int) -> bool:
    declared = raw.headers.get("content-length", "")
    return declared.isdigit() and len(declared) < 20 and int(declared) > limit


def _json(value: object) -> bytes:
    """A JSON body as httpx encodes one: compact, UTF-8, no NaN."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _plain(http: httpx.Client | httpx.AsyncClient) -> bool:
    """Whether ``http`` adds nothing to a request beyond its headers, timeout and transport:
    no event hooks, no cookies, no query parameters."""
    hooks = http.event_hooks
    return not (hooks["request"] or hooks["response"] or http.cookies or http.params)


def _received(
    http: httpx.Client | httpx.AsyncClient, raw: httpx.Response, request: httpx.Request
) -> httpx.Response:
    """An answer straight from the transport, as the client's send() would leave it: tied
    to the request its sender holds (no credentials), its cookies in the client's jar."""
    raw.request = request
    if "set-cookie" in raw.headers:
        http.cookies.extract_cookies(raw)
    return raw


class _Exchange:
    """How far one async attempt got: the answer as it arrived, and the outcome."""

    __slots__ = ("outcome", "raw")

    def __init__(self) -> None:
        self.raw: httpx.Response | None = None
        self.outcome: httpx.Response | Exception | None = None


async def _capped(work: Coroutine[Any, Any, None], limit: float) -> bool:
    """Run ``work`` for at most ``limit`` seconds; True when the cap stopped it."""
    if sys.version_info >= (3, 11):
        import asyncio  # here, not at the top: a sync client never loads asyncio

        timer = asyncio.timeout(limit)
        try:
            async with timer:
                await work
        except TimeoutError:
            if not timer.expired():
                raise
            return True
        return False
    import anyio  # Python 3.10: no asyncio.timeout; anyio comes with httpx

    with anyio.CancelScope(deadline=anyio.current_time() + limit) as scope:
        await work
    return scope.cancelled_caught


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
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._max_size = max_response_size
        self._attempt_timeout = attempt_timeout
        self._urls: dict[str, httpx.URL] = {}
        self._headers: dict[tuple[object, ...], httpx.Headers] = {}

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self._base_url + path)
        return url

    def _build(
        self, http: httpx.Client | httpx.AsyncClient, method: str, url: str, kw: Any
    ) -> tuple[httpx.Request, bool]:
        """The request, and whether it goes straight to the transport (see the module's
        docstring) rather than through the client's ``send()``."""
        from ._metadata import USER_AGENT

        if http.is_closed:
            raise TransportFailure(
                "not_sent", RuntimeError("the httpx client is closed"), transient=False
            )
        options = call_options.get()
        timeout = self._timeout
        # A new dict: the generated code's own stays as it built it. No credentials here:
        # the token joins the request on its way to the wire (Token.auth_flow).
        headers: dict[str, str] = {**(kw.pop("headers", None) or {})}
        headers["Accept"] = "application/json"
        headers["User-Agent"] = USER_AGENT
        if options is not None:
            headers.update(options.headers)
            if options.timeout is not None:
                timeout = options.timeout
        try:
            if not _plain(http) or kw.keys() - {"json"}:
                built = http.build_request(
                    method, self._url(url), headers=headers, timeout=timeout, **kw
                )
                return built, False
            chosen = http.timeout if timeout is httpx.USE_CLIENT_DEFAULT else httpx.Timeout(timeout)
            body = _json(kw.get("json"))
            target = self._url(url)
            wire = httpx.Headers(self._merged(target, http.headers, headers))
            wire["Content-Length"] = str(len(body))
            lean = httpx.Request(
                method,
                target,
                headers=wire,
                stream=httpx.ByteStream(body),
                extensions={"timeout": chosen.as_dict()},
            )
            return lean, True
        except Exception as error:  # an unencodable body or header: nothing was sent
            failure = TransportFailure("unbuildable", scrub(error, self._token), transient=False)
        raise failure

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
            for name, value in {"Content-Type": "application/json", **headers}.items():
                merged[name] = value
            if len(self._headers) >= 16:  # per-call extra_headers that keep changing
                self._headers.clear()
            self._headers[key] = merged
        return merged

    def _deadline(self) -> float | None:
        limit = self._attempt_timeout
        return None if limit is None else time.monotonic() + limit

    def _clean(self, raw: httpx.Response, request: httpx.Request, content: bytes) -> httpx.Response:
        """The answer as the generated code gets it: the token masked everywhere, the
        request without credentials, nothing of the connection."""
        token = self._token
        extensions: dict[str, Any] = {}
        for key in ("http_version", "reason_phrase"):
            value = raw.extensions.get(key)
            if isinstance(value, bytes):
                extensions[key] = token.mask_bytes(value)
        headers = [(name, token.mask_bytes(value)) for name, value in raw.headers.raw]
        body = token.mask_bytes(content)
        if "content-encoding" in raw.headers:
            # The body is decoded already: it must not be decoded again on reading.
            clean = httpx.Response(
                raw.status_code, content=body, request=request, extensions=extensions
            )
            clean.headers = httpx.Headers(headers)
            return clean
        clean = httpx.Response(
            raw.status_code,
            headers=headers,
            stream=httpx.ByteStream(body),
            request=request,
            extensions=extensions,
        )
        clean.read()
        return clean

    def _unreadable(
        self, raw: httpx.Response, request: httpx.Request, error: BaseException
    ) -> AnswerUnreadable:
        return AnswerUnreadable(self._clean(raw, request, b""), scrub(error, self._token))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} to {self._base_url}>"


class Route(_Base):
    """Stands in for the generated client's httpx.Client."""

    __slots__ = ("_http",)

    def __init__(self, http: httpx.Client, base_url: str, token: Token, timeout: Any, **kw: Any):
        super().__init__(base_url, token, timeout, **kw)
        self._http = http

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        request, direct = self._build(self._http, method, url, kw)
        outcome = self._exchange(request, direct)
        if isinstance(outcome, AnswerUnreadable):
            last_response.set(outcome.response)
        if isinstance(outcome, Exception):
            raise outcome  # raised here, outside any handler: no chain to the original
        last_response.set(outcome)
        return outcome

    def _exchange(self, request: httpx.Request, direct: bool) -> httpx.Response | Exception:
        deadline = self._deadline()
        http = self._http
        try:
            if direct:
                transport = http._transport_for_url(request.url)
                raw = _received(http, transport.handle_request(self._token.wire(request)), request)
            else:
                raw = http.send(request, auth=self._token, follow_redirects=False, stream=True)
        except httpx.HTTPStatusError as error:  # a caller's response hook refused the status
            return self._unreadable(error.response, request, error)
        except Exception as error:
            return _failure(error, self._token)
        try:
            content = self._read(raw, deadline)
        except Exception as error:
            return self._unreadable(raw, request, error)
        finally:
            raw.close()
        return self._clean(raw, request, content)

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


class AsyncRoute(_Base):
    """Stands in for the generated client's httpx.AsyncClient."""

    __slots__ = ("_http",)

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, token: Token, timeout: Any, **kw: Any
    ):
        super().__init__(base_url, token, timeout, **kw)
        self._http = http

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        request, direct = self._build(self._http, method, url, kw)
        outcome = await self._exchange(request, direct)
        if isinstance(outcome, AnswerUnreadable):
            last_response.set(outcome.response)
        if isinstance(outcome, Exception):
            raise outcome
        last_response.set(outcome)
        return outcome

    async def _exchange(self, request: httpx.Request, direct: bool) -> httpx.Response | Exception:
        limit = self._attempt_timeout
        state = _Exchange()
        try:
            if limit is None:
                await self._run(request, direct, state)
            else:
                # The whole attempt, status line included, runs under the time cap.
                expired = await _capped(self._run(request, direct, state), limit)
                if expired:
                    too_long = _too_long(limit)
                    if state.raw is None:
                        return TransportFailure("maybe_sent", too_long, transient=False)
                    return AnswerUnreadable(self._clean(state.raw, request, b""), too_long)
        finally:
            if state.raw is not None:
                await state.raw.aclose()
        assert state.outcome is not None
        return state.outcome

    async def _run(self, request: httpx.Request, direct: bool, state: _Exchange) -> None:
        http = self._http
        try:
            if direct:
                transport = http._transport_for_url(request.url)
                answer = await transport.handle_async_request(self._token.wire(request))
                state.raw = _received(http, answer, request)
            else:
                state.raw = await http.send(
                    request, auth=self._token, follow_redirects=False, stream=True
                )
        except httpx.HTTPStatusError as error:
            state.outcome = self._unreadable(error.response, request, error)
            return
        except Exception as error:
            state.outcome = _failure(error, self._token)
            return
        try:
            state.outcome = self._clean(state.raw, request, await self._read(state.raw))
        except Exception as error:
            state.outcome = self._unreadable(state.raw, request, error)

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
