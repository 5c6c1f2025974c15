"""What the generated clients send through: an httpx client, a base URL and the token.

A generated AuthenticatedClient sends with ``get_httpx_client().request(...)`` to a path
relative to its own base URL. The client hands it a Route instead of a bare httpx client:
a Route sends the same request with httpx to ``base_url + path``, adds the Authorization
and Accept headers, and tells apart the failures that matter for the retry policy:

- the request could not be built (nothing sent),
- it certainly did not reach Intercom (connection refused, connect timeout, ...),
- it may have reached Intercom (read timeout, dropped connection, ...).

Because the Route adds the Authorization header per request, neither the generated client
nor the httpx client holds the token, and a caller's own httpx client is used unchanged.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Literal

import httpx

__all__ = ["AsyncRoute", "Route", "Token", "TransportFailure", "last_response"]

#: The answer to the request the current call (thread or task) sent last.
last_response: ContextVar[httpx.Response | None] = ContextVar(
    "intercom_phone_switch_last_response", default=None
)

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


class Token:
    """The access token. Its repr and str never show it."""

    __slots__ = ("_authorization",)

    def __init__(self, token: str) -> None:
        self._authorization = f"Bearer {token}"

    @property
    def authorization(self) -> str:
        """The Authorization header value."""
        return self._authorization

    def __repr__(self) -> str:
        return "Token([redacted])"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("the access token cannot be pickled")


class TransportFailure(Exception):
    """Sending failed: ``failure`` says how far the request got; ``cause`` is why."""

    def __init__(self, failure: Failure, cause: BaseException, *, transient: bool) -> None:
        super().__init__(failure)
        self.failure: Failure = failure
        self.cause = cause
        self.transient = transient


def _failure(error: Exception) -> TransportFailure:
    if isinstance(error, _NOT_SENT):
        return TransportFailure("not_sent", error, transient=True)
    if isinstance(error, _NOT_SENT_FOR_GOOD):
        return TransportFailure("not_sent", error, transient=False)
    # A read or write timeout, a dropped connection, an unreadable answer, or an error
    # from a caller's transport or event hook: the request may have reached Intercom.
    return TransportFailure("maybe_sent", error, transient=False)


class _Base:
    __slots__ = ("_base_url", "_timeout", "_token", "_urls")

    def __init__(self, base_url: str, token: Token, timeout: Any) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._urls: dict[str, httpx.URL] = {}

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self._base_url + path)
        return url

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        # The generated code builds a fresh dict per request, so adding to it is safe.
        headers = {} if headers is None else headers
        headers["Authorization"] = self._token.authorization
        headers["Accept"] = "application/json"
        return headers

    def _build(
        self, http: httpx.Client | httpx.AsyncClient, method: str, url: str, kw: Any
    ) -> httpx.Request:
        if http.is_closed:
            raise TransportFailure(
                "not_sent", RuntimeError("the httpx client is closed"), transient=False
            )
        headers = self._headers(kw.pop("headers", None))
        try:
            return http.build_request(
                method, self._url(url), headers=headers, timeout=self._timeout, **kw
            )
        except Exception as error:  # an unencodable body or header: nothing was sent
            raise TransportFailure("unbuildable", error, transient=False) from error

    def __repr__(self) -> str:
        return f"<{type(self).__name__} to {self._base_url}>"


class Route(_Base):
    """Stands in for the generated client's httpx.Client."""

    __slots__ = ("_http",)

    def __init__(self, http: httpx.Client, base_url: str, token: Token, timeout: Any) -> None:
        super().__init__(base_url, token, timeout)
        self._http = http

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        request = self._build(self._http, method, url, kw)
        try:
            response = self._http.send(request)
        except Exception as error:
            raise _failure(error) from error
        last_response.set(response)
        return response


class AsyncRoute(_Base):
    """Stands in for the generated client's httpx.AsyncClient."""

    __slots__ = ("_http",)

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: Token, timeout: Any) -> None:
        super().__init__(base_url, token, timeout)
        self._http = http

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        request = self._build(self._http, method, url, kw)
        try:
            response = await self._http.send(request)
        except Exception as error:
            raise _failure(error) from error
        last_response.set(response)
        return response
