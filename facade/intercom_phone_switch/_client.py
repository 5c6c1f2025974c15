"""PhoneSwitchClient and AsyncPhoneSwitchClient: one typed API over every Intercom-Version.

A call checks its input against the chosen version's contract, picks the generated client
of the package serving that version, sends through it, and maps what comes back to a
PhoneSwitch or one PhoneSwitchError subclass, retrying only where no SMS can have been sent
(see _retry).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Iterable, Mapping
from time import perf_counter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast

import httpx

from intercom_phone_switch_generated.registry import PATH, REGIONS, HeaderValue, Region

from . import _versions
from ._http import (
    DEFAULT_ATTEMPT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_SIZE,
    AnswerUnreadable,
    AsyncRoute,
    CallOptions,
    Route,
    Token,
    TransportFailure,
    call_options,
    last_response,
)
from ._logging import guard_http_loggers, log_attempt, logger
from ._outcome import Outcome
from ._retry import Clock, RetryPolicy
from .errors import AuthenticationError, DeliveryUnknown, PhoneSwitchError

if TYPE_CHECKING:
    from ._batch import AsyncPhoneSwitchBatch, PhoneSwitchBatch
    from ._hooks import SendHook
    from .results import PhoneSwitch

__all__ = [
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "REGIONS",
    "AsyncPhoneSwitchClient",
    "BulkItem",
    "CustomAttributes",
    "PhoneSwitchClient",
]


#: 30 s to send and read (an SMS is sent before Intercom answers), 5 s to connect.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

TOKEN_VARIABLE = "INTERCOM_ACCESS_TOKEN"
_PATH = PATH

#: A custom attribute mapping: names to strings, numbers, booleans or (from 2.12) custom
#: object instance lists, as the chosen version allows.
CustomAttributes = Mapping[str, Any]
#: One item of a bulk call: a phone, a (phone, custom_attributes) pair, or a mapping with
#: "phone" and optionally "custom_attributes".
BulkItem = str | tuple[str, CustomAttributes | None] | Mapping[str, Any]

_Self = TypeVar("_Self", bound="_Core[Any]")
_HttpClient = TypeVar("_HttpClient", httpx.Client, httpx.AsyncClient)


class NotGiven:
    """The default of an option not given for one call: the client's setting applies."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

#: Headers the client sets itself; a call cannot replace them through extra_headers.
_OWN_HEADERS = frozenset(
    {"authorization", "intercom-version", "content-type", "content-length", "host"}
)


def _token(token: str | Token | None) -> Token | AuthenticationError:
    """The Token, or the error to raise (returned, not raised, so that no traceback
    frame of this function holds the secret)."""
    if isinstance(token, Token):
        return token
    if token is None:
        token = os.environ.get(TOKEN_VARIABLE)
    if not isinstance(token, str) or not token.strip():
        return AuthenticationError(f"no access token: pass token=... or set {TOKEN_VARIABLE}")
    token = token.strip()
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        return AuthenticationError(
            "the access token is malformed: it must be printable ASCII without spaces"
        )
    return Token(token)


def _extra_headers(headers: object) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        raise TypeError(f"extra_headers must be a mapping, not {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("extra_headers must map header names (str) to values (str)")
        if name.lower() in _OWN_HEADERS:
            hint = " (pass version= instead)" if name.lower() == "intercom-version" else ""
            raise ValueError(f"extra_headers cannot set {name}: the client sets it{hint}")
        checked[name] = value
    return checked


def _per_call(timeout: object, extra_headers: object) -> CallOptions | None:
    if isinstance(timeout, NotGiven) and not extra_headers:
        return None
    headers = None if extra_headers is None else _extra_headers(extra_headers)
    return CallOptions(
        timeout=None if isinstance(timeout, NotGiven) else _timeout(timeout), headers=headers
    )


def _timeout(timeout: object) -> httpx.Timeout:
    """``timeout`` as an httpx.Timeout whose every part is None or finite seconds above 0
    (httpx takes inf, nan and 0, which a socket cannot use); else TypeError or ValueError."""
    if timeout is None or isinstance(timeout, httpx.Timeout):
        checked = httpx.Timeout(timeout)
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        checked = httpx.Timeout(float(timeout))
    else:
        raise TypeError(f"timeout must be seconds, an httpx.Timeout or None, not {timeout!r}")
    for part, seconds in checked.as_dict().items():
        if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"timeout ({part}) must be None or seconds above 0, not {seconds!r}")
    return checked


#: Environment variables naming the server when the constructor names none, as other
#: SDKs read theirs: a base URL (a proxy, a fake), else one of Intercom's regions.
BASE_URL_VARIABLE = "INTERCOM_BASE_URL"
REGION_VARIABLE = "INTERCOM_REGION"


def _base_url(region: str | None, base_url: str | None) -> str:
    if region is None and base_url is None:
        base_url = os.environ.get(BASE_URL_VARIABLE) or None
        if base_url is None:
            region = os.environ.get(REGION_VARIABLE) or None
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


def _span(
    deadline: float | None, attempt_timeout: float | None, per_request: object, pool: httpx.Timeout
) -> float | None:
    """Seconds from a call's first attempt by which it has ended whatever happens, or
    None when nothing bounds it: the retry deadline, then one last attempt (its cap,
    beside every timeout of the connection: connecting, waiting for the pool, writing
    and the first read, which the cap may not cover)."""
    timeout = per_request if isinstance(per_request, httpx.Timeout) else pool
    parts = (timeout.connect, timeout.pool, timeout.write, timeout.read)
    if deadline is None or attempt_timeout is None or any(part is None for part in parts):
        return None
    return deadline + attempt_timeout + sum(part for part in parts if part is not None)


def _internal(error: Exception) -> Exception:
    """``error`` as the mapping gets it: the Route's own signals without their traceback
    (the error raised instead chains the masked cause they carry)."""
    if isinstance(error, (TransportFailure, AnswerUnreadable)):
        error.__traceback__ = None
    return error


class _Call:
    """One checked call, ready to send; what a guard is told about it (_hooks.CallInfo)."""

    __slots__ = (
        "_began",
        "_sending",
        "_span",
        "_worst",
        "attributes",
        "body",
        "client",
        "endpoint",
        "key",
        "phone",
        "served",
        "version",
    )

    def __init__(
        self,
        served: _versions.Served,
        version: str,
        phone: str,
        attributes: dict[str, object] | None,
        client: Any,
        span: float | None = None,
    ) -> None:
        self.served = served
        self.version = version
        self.phone = phone
        self.attributes = attributes
        self.client = client
        self.endpoint = served.endpoint
        #: The idempotency key as the caller gave it (set by whoever sends the call).
        self.key: str | None = None
        #: Seconds from the first attempt by which the call has ended (None: unbounded).
        self._span = span
        self._began: float | None = None
        self._sending = False
        self._worst = Outcome.REFUSED
        models = served.models
        if attributes is None:
            self.body = models.PhoneSwitchRequest(phone=phone)
        else:
            # The caller's values go into the model as they are: no parsing, no rewriting.
            custom = models.CustomAttributes()
            custom.additional_properties = attributes
            self.body = models.PhoneSwitchRequest(phone=phone, custom_attributes=custom)

    @property
    def deadline(self) -> float | None:
        """The time.monotonic() by which the call has ended: its span from the first
        attempt (from now, before that)."""
        if self._span is None:
            return None
        return (time.monotonic() if self._began is None else self._began) + self._span

    def outcome(self) -> Outcome:
        """REFUSED until a request is handed over; the worst of the attempts' outcomes
        after, an attempt under way (or stopped midway) counting as UNKNOWN."""
        return self._worst.worst(Outcome.UNKNOWN) if self._sending else self._worst

    def attempting(self) -> None:
        if self._began is None:
            self._began = time.monotonic()
        if self._sending:  # the last attempt never ended: it may have been handed over
            self._worst = self._worst.worst(Outcome.UNKNOWN)
        self._sending = True

    def attempted(self, outcome: Outcome) -> None:
        self._sending = False
        self._worst = self._worst.worst(outcome)


class _Core(Generic[_HttpClient]):
    """What the sync and async clients share: settings, checks, mapping, logging."""

    _is_async = False

    def __init__(
        self,
        token: str | None = None,
        *,
        version: HeaderValue = _versions.LATEST_VERSION,
        region: Region | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        retry_possibly_delivered: bool = False,
        deadline: float | None = 60.0,
        http_client: _HttpClient | None = None,
        clock: Clock | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        guard: SendHook | None = None,
    ) -> None:
        checked = _token(token)
        del token  # no frame of a traceback from here on holds the secret
        if isinstance(checked, AuthenticationError):
            raise checked
        self._token = checked
        guard_http_loggers()
        if not isinstance(max_response_size, int) or max_response_size < 1:
            raise ValueError("max_response_size must be a positive number of bytes")
        if attempt_timeout is not None and not attempt_timeout > 0:
            raise ValueError("attempt_timeout must be None or more than 0 seconds")
        self._settings: dict[str, Any] = {
            "version": version,
            "region": region,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "retry_possibly_delivered": retry_possibly_delivered,
            "deadline": deadline,
            "clock": clock,
            "max_response_size": max_response_size,
            "attempt_timeout": attempt_timeout,
            "guard": guard,
        }
        self._version: str = version
        self._served_version = _versions.resolve(version)
        self._base_url = _base_url(region, base_url)
        self._policy = RetryPolicy(
            max_retries=max_retries,
            retry_possibly_delivered=retry_possibly_delivered,
            deadline=deadline,
            clock=clock,
        )
        if timeout is not DEFAULT_TIMEOUT:
            timeout = _timeout(timeout)
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
        self._route = route_type(
            http_client,  # type: ignore[arg-type]
            self._base_url,
            self._token,
            per_request,
            max_response_size=max_response_size,
            attempt_timeout=attempt_timeout,
        )
        self._generated: dict[str, Any] = {}
        if guard is not None and (isinstance(guard, str) or not hasattr(guard, "run")):
            raise TypeError(
                "guard must be a Guard (or another SendHook), not a "
                f"{type(guard).__name__}: guard=Guard('sqlite:///guard.db') with "
                "from intercom_phone_switch.guard import Guard"
            )
        #: The hook a keyed call (or every call it wants) goes through; never closed here.
        self._hook: SendHook | None = guard
        self._span = _span(deadline, attempt_timeout, per_request, http_client.timeout)

    def with_options(
        self: _Self,
        *,
        token: str | None = None,
        version: HeaderValue | NotGiven = NOT_GIVEN,
        region: Region | NotGiven | None = NOT_GIVEN,
        base_url: str | NotGiven | None = NOT_GIVEN,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry_possibly_delivered: bool | NotGiven = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
        clock: Clock | NotGiven | None = NOT_GIVEN,
        max_response_size: int | NotGiven = NOT_GIVEN,
        attempt_timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> _Self:
        """A client like this one with some options changed (the same names as the
        constructor's), sharing its connection pool.

        The new client never closes the pool: close the client it came from when done.
        Giving ``region`` drops this client's ``base_url``, and the other way round.
        """
        changes = {
            key: value
            for key, value in {
                "version": version,
                "region": region,
                "base_url": base_url,
                "timeout": timeout,
                "max_retries": max_retries,
                "retry_possibly_delivered": retry_possibly_delivered,
                "deadline": deadline,
                "clock": clock,
                "max_response_size": max_response_size,
                "attempt_timeout": attempt_timeout,
            }.items()
            if not isinstance(value, NotGiven)
        }
        settings = {**self._settings, **changes}
        if "region" in changes and "base_url" not in changes:
            settings["base_url"] = None
        elif "base_url" in changes and "region" not in changes:
            settings["region"] = None
        if "timeout" not in changes and self._owns_http:
            # The pool was made with this timeout: keep sending with it.
            settings["timeout"] = self._http.timeout
        kept = cast("str", self._token)  # a Token passes through the constructor as it is
        return type(self)(kept if token is None else token, http_client=self._http, **settings)

    @property
    def version(self) -> str:
        """The Intercom-Version header sent when a call names none."""
        return self._version

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        # getattr: a traceback of a failed construction shows a half-made client too.
        version = getattr(self, "_version", None)
        base_url = getattr(self, "_base_url", None)
        return f"{type(self).__name__}(version={version!r}, base_url={base_url!r})"

    def _hooked(self, key: str | None) -> SendHook | None:
        """The hook a call with this idempotency key goes through, or None; ValueError
        (nothing sent) for a key without a guard, or one the guard refuses."""
        hook = self._hook
        if hook is None:
            if key is not None:
                raise ValueError(
                    "idempotency_key needs a guard to keep it: pass guard=Guard('memory://') "
                    "(one process) or a shared store (from intercom_phone_switch.guard "
                    "import Guard)"
                )
            return None
        return hook if hook.wants(key) else None

    def _pacer_scope(self) -> str:
        """Which rate budget this client spends, for a guard that shares one: its server
        and app (a digest of the token, never the token itself)."""
        text = f"{self._base_url}\0{self._token.authorization}"
        return hashlib.sha256(text.encode()).hexdigest()[:24]

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
        return _Call(served, header, e164, attributes, client, self._span)

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
            call.attempted(failure.outcome)
            self._log(call, attempt, duration, failure)
            raise
        call.attempted(Outcome.ACCEPTED)
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

    def _policy_for(self, max_retries: int | None) -> RetryPolicy:
        if max_retries is None:
            return self._policy
        if not isinstance(max_retries, int) or isinstance(max_retries, bool):
            raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
        return self._policy.replace(max_retries=max_retries)

    def _retry_delay(
        self,
        error: PhoneSwitchError,
        attempt: int,
        started: float,
        policy: RetryPolicy | None = None,
    ) -> float | None:
        wait = (policy or self._policy).delay(error, attempt, started)
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
            never closed by this client, and its ``follow_redirects`` is not used: one
            attempt is one POST.
        clock: where the retry policy reads the time, sleeps and draws its jitter
            (for tests).
        max_response_size: the most bytes of an answer's body that are read (1 MiB).
        attempt_timeout: the most seconds one attempt may take in all, from sending to
            the answer's last byte (60 s; None: no cap beyond ``timeout``).

        guard: an ``intercom_phone_switch.guard.Guard`` (or any object of the hook
            protocol, ``_hooks.SendHook``) that keeps idempotency keys, per-number send
            windows and a shared rate budget; the client calls it around each call it
            wants and never closes it. Without one, ``idempotency_key=`` is a ValueError.

    ``with_options(...)`` gives a client with some of these changed, sharing the pool.
    """

    def create_phone_switch(
        self,
        phone: str,
        custom_attributes: CustomAttributes | None = None,
        *,
        version: HeaderValue | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> PhoneSwitch:
        """Send ``phone`` an SMS with a Messenger link.

        ``phone`` is E.164 ("+353832345678"; spaces and dashes are removed);
        ``custom_attributes`` are stored on the user or lead exactly as given;
        ``version`` overrides the client's Intercom-Version for this call, and
        ``timeout``, ``max_retries`` and ``extra_headers`` (added to the request) the
        client's settings.

        ``idempotency_key``: at most one SMS for the key, across every client sharing the
        guard (see the README's section on the guard).

        Returns the PhoneSwitch; raises a PhoneSwitchError subclass on any failure.
        """
        hook = self._hooked(idempotency_key)
        options = _per_call(timeout, extra_headers)
        policy = self._policy_for(max_retries)
        call = self._prepare(phone, custom_attributes, version)
        if hook is not None:
            call.key = idempotency_key
            return hook.run(call, lambda: self._deliver(call, options, policy))
        return self._deliver(call, options, policy)

    def _deliver(
        self, call: _Call, options: CallOptions | None, policy: RetryPolicy
    ) -> PhoneSwitch:
        started = policy.clock.monotonic()
        attempt = 0
        reset = call_options.set(options)
        try:
            while True:
                attempt += 1
                try:
                    return self._attempt(call, attempt)
                except PhoneSwitchError as error:
                    wait = self._retry_delay(error, attempt, started, policy)
                    if wait is None:
                        raise
                    policy.clock.sleep(wait)
        finally:
            call_options.reset(reset)
            last_response.set(None)  # the call keeps no answer (nor its body) once done

    def _attempt(self, call: _Call, attempt: int) -> PhoneSwitch:
        last_response.set(None)
        call.attempting()
        began = perf_counter()
        try:
            answer = call.endpoint.sync_detailed(
                client=call.client, body=call.body, intercom_version=call.version
            )
        except Exception as error:
            failure = _internal(error)
        else:
            return self._outcome(call, attempt, began, answer, None)
        # Mapped outside the handler, so that the error's only chain is its cause.
        return self._outcome(call, attempt, began, None, failure)

    def close(self) -> None:
        """Close the connection pool, unless it belongs to a caller's http_client (a guard
        is its owner's to close)."""
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

    def phone_switch_batch(
        self,
        items: Iterable[BulkItem],
        *,
        concurrency: int = 10,
        version: HeaderValue | None = None,
        deadline: float | None = None,
    ) -> PhoneSwitchBatch:
        """A batch of phone switches sent from ``concurrency`` threads: ``batch.run()`` or
        ``for entry in batch``; see PhoneSwitchBatch and the README."""
        from ._batch import PhoneSwitchBatch

        return PhoneSwitchBatch(
            self, items, concurrency=concurrency, version=version, deadline=deadline
        )

    def create_phone_switches(
        self,
        items: Iterable[BulkItem],
        *,
        concurrency: int = 10,
        version: HeaderValue | None = None,
        deadline: float | None = None,
    ) -> list[PhoneSwitch | PhoneSwitchError]:
        """Send many phone switches from a pool of threads: the synchronous twin of
        AsyncPhoneSwitchClient.create_phone_switches."""
        return self.phone_switch_batch(
            items, concurrency=concurrency, version=version, deadline=deadline
        ).run()


class AsyncPhoneSwitchClient(_Core[httpx.AsyncClient]):
    """The asyncio twin of PhoneSwitchClient, bulk sending included.

    Takes the same arguments, with ``http_client`` an httpx.AsyncClient.
    """

    _is_async = True

    async def create_phone_switch(
        self,
        phone: str,
        custom_attributes: CustomAttributes | None = None,
        *,
        version: HeaderValue | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> PhoneSwitch:
        """Send ``phone`` an SMS with a Messenger link (see PhoneSwitchClient)."""
        return await self._send(
            phone,
            custom_attributes,
            version,
            options=_per_call(timeout, extra_headers),
            policy=self._policy_for(max_retries),
            idempotency_key=idempotency_key,
        )

    def phone_switch_batch(
        self,
        items: Iterable[BulkItem],
        *,
        concurrency: int = 10,
        version: HeaderValue | None = None,
        deadline: float | None = None,
    ) -> AsyncPhoneSwitchBatch:
        """A batch of phone switches to run and keep: ``await batch.run()`` or
        ``async for entry in batch``; see AsyncPhoneSwitchBatch and the README."""
        from ._batch import AsyncPhoneSwitchBatch

        return AsyncPhoneSwitchBatch(
            self, items, concurrency=concurrency, version=version, deadline=deadline
        )

    async def create_phone_switches(
        self,
        items: Iterable[BulkItem],
        *,
        concurrency: int = 10,
        version: HeaderValue | None = None,
        deadline: float | None = None,
    ) -> list[PhoneSwitch | PhoneSwitchError]:
        """Send many phone switches; one outcome per item, in the order of ``items``.

        Each item is a phone, a (phone, custom_attributes) pair or a mapping with "phone"
        and "custom_attributes". At most ``concurrency`` requests are in flight, and none
        starts while Intercom's current rate-limit window has no budget left for it: the
        client waits for the window to reset (X-RateLimit-Reset) instead, unless that wait
        would end after ``deadline`` seconds from the start or after the client's own
        ``deadline`` for the item: then the item is RateLimited, and nothing is sent for
        it. Every outcome is a PhoneSwitch or the PhoneSwitchError of that item; no item
        is sent twice unless the client was created with ``retry_possibly_delivered=True``.

        A cancelled call loses the outcomes: to learn them after a cancel or timeout, run
        a ``phone_switch_batch`` instead.
        """
        return await self.phone_switch_batch(
            items, concurrency=concurrency, version=version, deadline=deadline
        ).run()

    async def _send(
        self,
        phone: object,
        custom_attributes: object,
        version: str | None,
        *,
        options: CallOptions | None = None,
        policy: RetryPolicy | None = None,
        idempotency_key: str | None = None,
    ) -> PhoneSwitch:
        hook = self._hooked(idempotency_key)
        policy = policy or self._policy
        call = self._prepare(phone, custom_attributes, version)
        if hook is not None:
            call.key = idempotency_key
            return await hook.run_async(call, lambda: self._deliver(call, options, policy))
        return await self._deliver(call, options, policy)

    async def _deliver(
        self, call: _Call, options: CallOptions | None, policy: RetryPolicy
    ) -> PhoneSwitch:
        started = policy.clock.monotonic()
        attempt = 0
        reset = call_options.set(options)
        try:
            while True:
                attempt += 1
                try:
                    return await self._attempt(call, attempt)
                except PhoneSwitchError as error:
                    wait = self._retry_delay(error, attempt, started, policy)
                    if wait is None:
                        raise
                    await policy.clock.async_sleep(wait)
        finally:
            call_options.reset(reset)
            last_response.set(None)  # the call keeps no answer (nor its body) once done

    async def _attempt(self, call: _Call, attempt: int) -> PhoneSwitch:
        last_response.set(None)
        call.attempting()
        began = perf_counter()
        try:
            answer = await call.endpoint.asyncio_detailed(
                client=call.client, body=call.body, intercom_version=call.version
            )
        except Exception as error:
            failure = _internal(error)
        else:
            return self._outcome(call, attempt, began, answer, None)
        return self._outcome(call, attempt, began, None, failure)

    async def aclose(self) -> None:
        """Close the connection pool, unless it belongs to a caller's http_client (a guard
        is its owner's to close)."""
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
