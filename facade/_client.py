"""PhoneSwitchClient and AsyncPhoneSwitchClient: one typed API over every Intercom-Version.

A call checks its input against the chosen version's contract, picks the generated client
of the package serving that version, sends through it, and maps what comes back to a
PhoneSwitch or one PhoneSwitchError subclass, retrying only where no SMS can have been sent
(see _retry).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Mapping
from time import perf_counter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

import httpx

from . import _versions
from ._http import AsyncRoute, Route, Token, last_response
from ._logging import log_attempt, logger
from ._retry import Clock, RetryPolicy
from .errors import AuthenticationError, DeliveryUnknown, PhoneSwitchError

if TYPE_CHECKING:
    from .results import PhoneSwitch

__all__ = [
    "DEFAULT_TIMEOUT",
    "REGIONS",
    "AsyncPhoneSwitchClient",
    "BulkItem",
    "CustomAttributes",
    "PhoneSwitchClient",
]

#: Intercom's regional API servers (the ``servers`` of every effective spec).
REGIONS: dict[str, str] = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

#: 30 s to send and read (an SMS is sent before Intercom answers), 5 s to connect.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

TOKEN_VARIABLE = "INTERCOM_ACCESS_TOKEN"
_PATH = "/phone_call_redirects"

#: A custom attribute mapping: names to strings, numbers, booleans or (from 2.12) custom
#: object instance lists, as the chosen version allows.
CustomAttributes = Mapping[str, Any]
#: One item of a bulk call: a phone, a (phone, custom_attributes) pair, or a mapping with
#: "phone" and optionally "custom_attributes".
BulkItem = str | tuple[str, CustomAttributes | None] | Mapping[str, Any]

_Self = TypeVar("_Self", bound="_Core[Any]")
_HttpClient = TypeVar("_HttpClient", httpx.Client, httpx.AsyncClient)


def _token(token: str | None) -> Token:
    if token is None:
        token = os.environ.get(TOKEN_VARIABLE)
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationError(f"no access token: pass token=... or set {TOKEN_VARIABLE}")
    token = token.strip()
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise AuthenticationError(
            "the access token is malformed: it must be printable ASCII without spaces"
        )
    return Token(token)


def _base_url(region: str | None, base_url: str | None) -> str:
    if base_url is not None:
        if region is not None:
            raise ValueError("pass region or base_url, not both")
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"base_url must be an absolute http(s) URL, not {base_url!r}")
        return base_url.rstrip("/")
    region = "us" if region is None else region
    if region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}, not {region!r}")
    return REGIONS[region]


class _Call:
    """One checked call, ready to send."""

    __slots__ = ("attributes", "body", "client", "endpoint", "phone", "served", "version")

    def __init__(
        self,
        served: _versions.Served,
        version: str,
        phone: str,
        attributes: dict[str, object] | None,
        client: Any,
    ) -> None:
        self.served = served
        self.version = version
        self.phone = phone
        self.attributes = attributes
        self.client = client
        self.endpoint = served.endpoint
        models = served.models
        if attributes is None:
            self.body = models.PhoneSwitchRequest(phone=phone)
        else:
            # The caller's values go into the model as they are: no parsing, no rewriting.
            custom = models.CustomAttributes()
            custom.additional_properties = attributes
            self.body = models.PhoneSwitchRequest(phone=phone, custom_attributes=custom)


class _Core(Generic[_HttpClient]):
    """What the sync and async clients share: settings, checks, mapping, logging."""

    _is_async = False

    def __init__(
        self,
        token: str | None = None,
        *,
        version: str = _versions.LATEST_VERSION,
        region: Literal["us", "eu", "au"] | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        retry_possibly_delivered: bool = False,
        deadline: float | None = 60.0,
        http_client: _HttpClient | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._token = _token(token)
        self._version = version
        self._served_version = _versions.resolve(version)
        self._base_url = _base_url(region, base_url)
        self._policy = RetryPolicy(
            max_retries=max_retries,
            retry_possibly_delivered=retry_possibly_delivered,
            deadline=deadline,
            clock=clock,
        )
        kind = httpx.AsyncClient if self._is_async else httpx.Client
        if http_client is not None and not isinstance(http_client, kind):
            raise TypeError(f"http_client must be an {kind.__module__}.{kind.__name__}")
        self._owns_http = http_client is None
        if http_client is None:
            from ._pool import default_client

            http_client = cast("_HttpClient", default_client(kind, timeout))
            per_request: Any = httpx.USE_CLIENT_DEFAULT
        else:
            # A caller's client keeps its own timeout unless one was passed explicitly.
            per_request = httpx.USE_CLIENT_DEFAULT if timeout is DEFAULT_TIMEOUT else timeout
        self._http: _HttpClient = http_client
        route_type = AsyncRoute if self._is_async else Route
        self._route = route_type(http_client, self._base_url, self._token, per_request)  # type: ignore[arg-type]
        self._generated: dict[str, Any] = {}

    @property
    def version(self) -> str:
        """The Intercom-Version header sent when a call names none."""
        return self._version

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(version={self._version!r}, base_url={self._base_url!r})"

    def _prepare(self, phone: object, custom_attributes: object, version: str | None) -> _Call:
        from ._validation import check_custom_attributes, check_phone

        if version is None:
            header, served_version = self._version, self._served_version
        else:
            header, served_version = version, _versions.resolve(version)
        served = _versions.served(served_version)
        contract = served.contract
        e164 = check_phone(phone, contract, header)
        attributes = check_custom_attributes(custom_attributes, contract, header)
        client = self._generated.get(served_version)
        if client is None:
            client = served.authenticated_client(
                self._base_url, self._route, is_async=self._is_async
            )
            self._generated[served_version] = client
        return _Call(served, header, e164, attributes, client)

    def _outcome(
        self, call: _Call, attempt: int, began: float, answer: Any, error: Exception | None
    ) -> PhoneSwitch:
        """The PhoneSwitch for an attempt, or raises its error; logs the attempt."""
        from ._responses import error_from_exception, result

        duration = perf_counter() - began
        try:
            if error is not None:
                mapped, cause = error_from_exception(
                    call.served,
                    error,
                    response=last_response.get(),
                    attributes=call.attributes,
                    version=call.version,
                    attempt=attempt,
                )
                raise mapped from cause
            switch = result(
                call.served, answer, phone=call.phone, version=call.version, attempt=attempt
            )
        except PhoneSwitchError as failure:
            self._log(call, attempt, duration, failure)
            raise
        self._log(call, attempt, duration, switch)
        return switch

    def _log(
        self, call: _Call, attempt: int, duration: float, outcome: PhoneSwitch | PhoneSwitchError
    ) -> None:
        log_attempt(
            method="POST",
            path=_PATH,
            status=outcome.status if isinstance(outcome, PhoneSwitchError) else 200,
            version=call.version,
            request_id=outcome.request_id,
            duration=duration,
            attempt=attempt,
            outcome=type(outcome).__name__,
        )
        if isinstance(outcome, DeliveryUnknown) and logger.isEnabledFor(logging.WARNING):
            logger.warning(
                "POST %s: delivery unknown for attempt %d (Intercom-Version %s): %s",
                _PATH,
                attempt,
                call.version,
                outcome.message,
                extra={"status": outcome.status, "version": call.version, "attempt": attempt},
            )

    def _retry_delay(self, error: PhoneSwitchError, attempt: int, started: float) -> float | None:
        wait = self._policy.delay(error, attempt, started)
        if wait is not None and logger.isEnabledFor(logging.INFO):
            logger.info(
                "POST %s: %s on attempt %d; trying again in %.2f s",
                _PATH,
                type(error).__name__,
                attempt,
                wait,
                extra={"version": error.version, "attempt": attempt, "wait": wait},
            )
        return wait


class PhoneSwitchClient(_Core[httpx.Client]):
    """Sends phone switches: an SMS with an Intercom Messenger link to a caller.

    Args:
        token: the access token; default: the INTERCOM_ACCESS_TOKEN environment variable.
        version: the Intercom-Version header to send; default: the newest stable version.
        region: "us" (default), "eu" or "au": which Intercom servers to use.
        base_url: another server instead of a region (a proxy, a fake Intercom).
        timeout: seconds, or an httpx.Timeout; default 30 s (5 s to connect). With your own
            http_client, that client's timeout unless you pass one.
        max_retries: retries after the first attempt (see the retry policy).
        retry_possibly_delivered: also retry requests that may have reached Intercom,
            which risks a second SMS. Off by default.
        deadline: seconds a call may take, waits included, before it stops retrying.
        http_client: your own httpx.Client (proxies, transports, event hooks); it is
            never closed by this client.
        clock: where the retry policy reads the time and sleeps (for tests).
    """

    def create_phone_switch(
        self,
        phone: str,
        custom_attributes: CustomAttributes | None = None,
        *,
        version: str | None = None,
    ) -> PhoneSwitch:
        """Send ``phone`` an SMS with a Messenger link.

        ``phone`` is E.164 ("+353832345678"; spaces and dashes are removed);
        ``custom_attributes`` are stored on the user or lead exactly as given;
        ``version`` overrides the client's Intercom-Version for this call.

        Returns the PhoneSwitch; raises a PhoneSwitchError subclass on any failure.
        """
        call = self._prepare(phone, custom_attributes, version)
        policy = self._policy
        started = policy.clock.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(call, attempt)
            except PhoneSwitchError as error:
                wait = self._retry_delay(error, attempt, started)
                if wait is None:
                    raise
                policy.clock.sleep(wait)

    def _attempt(self, call: _Call, attempt: int) -> PhoneSwitch:
        last_response.set(None)
        began = perf_counter()
        try:
            answer = call.endpoint.sync_detailed(
                client=call.client, body=call.body, intercom_version=call.version
            )
        except Exception as error:
            return self._outcome(call, attempt, began, None, error)
        return self._outcome(call, attempt, began, answer, None)

    def close(self) -> None:
        """Close the connection pool, unless it belongs to a caller's http_client."""
        if self._owns_http:
            self._http.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncPhoneSwitchClient(_Core[httpx.AsyncClient]):
    """The asyncio twin of PhoneSwitchClient, plus create_phone_switches for bulk sending.

    Takes the same arguments, with ``http_client`` an httpx.AsyncClient.
    """

    _is_async = True

    async def create_phone_switch(
        self,
        phone: str,
        custom_attributes: CustomAttributes | None = None,
        *,
        version: str | None = None,
    ) -> PhoneSwitch:
        """Send ``phone`` an SMS with a Messenger link (see PhoneSwitchClient)."""
        return await self._send(phone, custom_attributes, version, None)

    async def create_phone_switches(
        self,
        items: Iterable[BulkItem],
        *,
        concurrency: int = 10,
        version: str | None = None,
    ) -> list[PhoneSwitch | PhoneSwitchError]:
        """Send many phone switches; one outcome per item, in the order of ``items``.

        Each item is a phone, a (phone, custom_attributes) pair or a mapping with "phone"
        and "custom_attributes". At most ``concurrency`` requests are in flight, and none
        starts while Intercom's current rate-limit window has no budget left for it: the
        client waits for the window to reset (X-RateLimit-Reset) instead. Every outcome is
        a PhoneSwitch or the PhoneSwitchError of that item; no item is sent twice unless
        the client was created with ``retry_possibly_delivered=True``.
        """
        from ._bulk import Pacer, unpack

        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        work = list(items)
        outcomes: list[PhoneSwitch | PhoneSwitchError | None] = [None] * len(work)
        pacer = Pacer(self._policy.clock)
        indexes = iter(range(len(work)))

        async def worker() -> None:
            for index in indexes:
                phone, attributes = unpack(work[index])
                try:
                    outcomes[index] = await self._send(phone, attributes, version, pacer)
                except PhoneSwitchError as error:
                    outcomes[index] = error

        workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(work)))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            # Cancelled, or a bug: stop every worker before leaving, so that no request
            # is sent after this call has returned.
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        done = [outcome for outcome in outcomes if outcome is not None]
        if len(done) != len(work):  # every worker fills the outcome of each item it takes
            raise RuntimeError("a bulk item has no outcome")
        return done

    async def _send(
        self, phone: object, custom_attributes: object, version: str | None, pacer: Any
    ) -> PhoneSwitch:
        call = self._prepare(phone, custom_attributes, version)
        policy = self._policy
        started = policy.clock.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                if pacer is None:
                    return await self._attempt(call, attempt)
                return await self._paced_attempt(call, attempt, pacer)
            except PhoneSwitchError as error:
                wait = self._retry_delay(error, attempt, started)
                if wait is None:
                    raise
                await policy.clock.async_sleep(wait)

    async def _paced_attempt(self, call: _Call, attempt: int, pacer: Any) -> PhoneSwitch:
        from .results import RateLimit

        await pacer.acquire()
        try:
            return await self._attempt(call, attempt)
        finally:
            answer = last_response.get()
            await pacer.release(None if answer is None else RateLimit.from_headers(answer.headers))

    async def _attempt(self, call: _Call, attempt: int) -> PhoneSwitch:
        last_response.set(None)
        began = perf_counter()
        try:
            answer = await call.endpoint.asyncio_detailed(
                client=call.client, body=call.body, intercom_version=call.version
            )
        except Exception as error:
            return self._outcome(call, attempt, began, None, error)
        return self._outcome(call, attempt, began, answer, None)

    async def aclose(self) -> None:
        """Close the connection pool, unless it belongs to a caller's http_client."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
