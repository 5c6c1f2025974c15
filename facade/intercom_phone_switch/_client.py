"""PhoneSwitchClient and AsyncPhoneSwitchClient: one typed API over every Intercom-Version.

A call is prepared (input checked against the chosen version's contract, the request
built by that version's generated seam) and then sent by the one attempt loop (see
_attempts), through the client's guard when it has one. Everything that decides whether
an SMS went out lives below (_wire, _outcome); this module holds settings and wiring.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import httpx

from intercom_phone_switch_generated.registry import HeaderValue, Region

from . import _defaults, _versions
from ._attempts import Call, attempt_loop, attempt_loop_async, deadline_of, waits_end_of
from ._logging import guard_http_loggers
from ._retry import Clock, RetryPolicy
from ._settings import (
    base_url_of,
    checked_headers,
    checked_seconds,
    checked_timeout,
    token_of,
)
from ._wire import AsyncSender, Sender, Unbuildable
from .errors import AuthenticationError, ConnectionFailed, InvalidCustomAttributes
from .hooks import check_key

if TYPE_CHECKING:
    from ._batch import AsyncPhoneSwitchBatch, PhoneSwitchBatch
    from ._contract import Contract
    from ._seam import VersionSeam
    from .hooks import AsyncPacer, SendHook, ThreadPacer
    from .results import PhoneSwitch

__all__ = [
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "AsyncPhoneSwitchClient",
    "BulkItem",
    "CustomAttributes",
    "PhoneSwitchClient",
    "PreparedCall",
]

#: 30 s to send and read (an SMS is sent before Intercom answers), 5 s to connect.
DEFAULT_TIMEOUT = httpx.Timeout(_defaults.TIMEOUT, connect=_defaults.CONNECT_TIMEOUT)
DEFAULT_MAX_RESPONSE_SIZE = _defaults.MAX_RESPONSE_SIZE
DEFAULT_ATTEMPT_TIMEOUT = _defaults.ATTEMPT_TIMEOUT

CustomAttributes = Mapping[str, Any]
"""A custom attribute mapping: names to the values the chosen version allows (strings,
numbers, booleans, and in later versions more kinds; see ``versions``)."""
BulkItem = str | tuple[str, CustomAttributes | None] | Mapping[str, Any]
"""One item of a bulk call: a phone, a ``(phone, custom_attributes)`` pair, or a mapping
with ``"phone"`` and optionally ``"custom_attributes"`` and ``"idempotency_key"``."""
#: A call checked and built, ready to send (see ``prepare``).
PreparedCall = Call

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


def _guard(guard: object) -> SendHook | None:
    if guard is None:
        return None
    if isinstance(guard, str):
        raise TypeError(
            "guard takes a Guard, not a URL: guard=Guard(url) "
            "(from intercom_phone_switch.guard import Guard)"
        )
    if not all(callable(getattr(guard, name, None)) for name in ("wants", "run", "run_async")):
        raise TypeError(f"guard must be a Guard, not {type(guard).__name__}")
    return guard  # type: ignore[return-value]


class _Core(Generic[_HttpClient]):
    """What the sync and async clients share: settings, checks, preparing a call."""

    _is_async = False

    def __init__(
        self,
        token: str | None = None,
        *,
        version: HeaderValue = _versions.LATEST_VERSION,
        region: Region | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = _defaults.MAX_RETRIES,
        retry_possibly_delivered: bool = False,
        deadline: float | None = _defaults.DEADLINE,
        http_client: _HttpClient | None = None,
        clock: Clock | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        guard: SendHook | None = None,
    ) -> None:
        checked = token_of(token)
        del token  # no frame of a traceback from here on holds the secret
        if isinstance(checked, AuthenticationError):
            raise checked
        self._token = checked
        guard_http_loggers()
        if (
            isinstance(max_response_size, bool)
            or not isinstance(max_response_size, int)
            or max_response_size < 1
        ):
            raise ValueError("max_response_size must be a positive number of bytes")
        attempt_timeout = checked_seconds("attempt_timeout", attempt_timeout)
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
        self._base_url = base_url_of(region, base_url, checked)
        self._guard = _guard(guard)
        self._policy = RetryPolicy(
            max_retries=max_retries,
            retry_possibly_delivered=retry_possibly_delivered,
            deadline=deadline,
            clock=clock,
        )
        if timeout is not DEFAULT_TIMEOUT:
            timeout = checked_timeout(timeout)
        kind = httpx.AsyncClient if self._is_async else httpx.Client
        if http_client is not None and not isinstance(http_client, kind):
            raise TypeError(f"http_client must be an {kind.__module__}.{kind.__name__}")
        self._owns_http = http_client is None
        if http_client is None:
            from ._pool import default_client

            http_client = default_client(kind, timeout)
            per_request: Any = httpx.USE_CLIENT_DEFAULT
        else:
            # A caller's client keeps its own timeout unless one was passed explicitly.
            per_request = httpx.USE_CLIENT_DEFAULT if timeout is DEFAULT_TIMEOUT else timeout
        self._http: _HttpClient = http_client
        sender_type = AsyncSender if self._is_async else Sender
        self._sender: Any = sender_type(
            http_client,  # type: ignore[arg-type]
            self._base_url,
            self._token,
            per_request,
            max_response_size=max_response_size,
            attempt_timeout=attempt_timeout,
        )

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
        guard: SendHook | NotGiven | None = NOT_GIVEN,
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
                "guard": guard,
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
        kept: Any = self._token  # a Token passes through the constructor as it is
        return type(self)(kept if token is None else token, http_client=self._http, **settings)

    @property
    def version(self) -> str:
        """The Intercom-Version header sent when a call names none."""
        return self._version

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def retry_policy(self) -> RetryPolicy:
        """When a failed attempt is tried again (see RetryPolicy)."""
        return self._policy

    @property
    def guard(self) -> SendHook | None:
        """The guard calls go through (None: none)."""
        return self._guard

    def __repr__(self) -> str:
        # getattr: a traceback of a failed construction shows a half-made client too.
        version = getattr(self, "_version", None)
        base_url = getattr(self, "_base_url", None)
        return f"{type(self).__name__}(version={version!r}, base_url={base_url!r})"

    def _attempt_bound(self, timeout: httpx.Timeout | None) -> float | None:
        """The most seconds one attempt can take, or None when nothing bounds it."""
        limit: float | None = self._sender._attempt_timeout
        if limit is None or self._is_async:
            return limit  # the async client caps the whole attempt
        chosen = timeout or self._sender._timeout
        if not isinstance(chosen, httpx.Timeout):  # USE_CLIENT_DEFAULT: the client's own
            chosen = self._http.timeout
        return _bound(tuple(chosen.as_dict().values()), limit)

    def prepare(
        self,
        phone: object,
        custom_attributes: object = None,
        *,
        version: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PreparedCall:
        """Check a call's input and build its request, without sending anything.

        Raises the PhoneSwitchError that the call would raise for its input (an invalid
        number, custom attributes the version does not allow, an unknown version), and
        TypeError or ValueError for a malformed option. ``send_prepared`` sends it; a
        bulk sender of your own may prepare every item first.
        """
        contract_of, seam_of, check_phone, check_custom_attributes = _checks()
        per_call = None if isinstance(timeout, NotGiven) else checked_timeout(timeout)
        headers = checked_headers(extra_headers)
        if idempotency_key is not None:
            check_key(idempotency_key)
        if idempotency_key is not None and self._guard is None:
            raise ValueError(
                "idempotency_key needs a guard to keep it: "
                "PhoneSwitchClient(guard=Guard('memory://')), see intercom_phone_switch.guard"
            )
        if version is None:
            header, served = self._version, self._served_version
        else:
            header, served = version, _versions.resolve(version)
        contract = contract_of(served)
        e164 = check_phone(phone, contract, header)
        attributes = check_custom_attributes(custom_attributes, contract, header)
        seam = seam_of(served)
        try:
            built, direct = self._sender.build(
                seam.request(e164, attributes, header), headers, per_call
            )
        except Unbuildable as error:
            raise _unbuildable(error, attributes, header) from error.cause
        started = self._policy.clock.monotonic()
        bound = self._attempt_bound(per_call)
        now = time.monotonic()
        return Call(
            seam=seam,
            version=header,
            phone=e164,
            attributes=attributes,
            key=idempotency_key,
            request=built,
            direct=direct,
            started=started,
            deadline=deadline_of(now, self._policy, bound),
            waits_end=waits_end_of(now, self._policy),
        )

    def _policy_for(self, max_retries: int | None) -> RetryPolicy:
        if max_retries is None:
            return self._policy
        return self._policy.replace(max_retries=max_retries)

    def _scope(self) -> str:
        """Which rate budget this client spends, for a guard that shares one: its server
        and app (a digest of the token, never the token itself)."""
        import hashlib

        seed = f"{self._base_url}\0{self._token.authorization}".encode()
        return hashlib.sha256(seed).hexdigest()[:24]


@functools.cache
def _checks() -> tuple[
    Callable[[str], Contract],
    Callable[[str], VersionSeam],
    Callable[[object, Contract, str], str],
    Callable[[object, Contract, str], dict[str, object] | None],
]:
    """What prepare() checks and builds with, imported on the first call."""
    from ._contract import contract_of
    from ._seam import seam_of
    from ._validation import check_custom_attributes, check_phone

    return contract_of, seam_of, check_phone, check_custom_attributes


def _bound(parts: tuple[float | None, ...], limit: float) -> float | None:
    """The most seconds a synchronous attempt takes: each phase of its timeout (``parts``)
    and the ``limit`` on reading the answer (None when a phase is unbounded)."""
    known = [part for part in parts if part is not None]
    if len(known) < len(parts):
        return None
    return float(sum(known)) + float(limit)


def _unbuildable(
    error: Unbuildable, attributes: Mapping[str, object] | None, version: str
) -> Exception:
    import json

    why = f"{type(error.cause).__name__}: {error.cause}"
    for name, value in (attributes or {}).items():
        try:
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except Exception:
            return InvalidCustomAttributes(
                f"custom attribute {name!r} cannot be sent as JSON ({why})",
                attribute=name,
                version=version,
            )
    return ConnectionFailed(
        f"the request could not be built ({why}); nothing was sent",
        transient=False,
        version=version,
    )


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
        guard: an ``intercom_phone_switch.guard.Guard`` keeping idempotency keys and
            per-number send windows (None: no guard, and no ``idempotency_key``).

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
        guard (needs ``guard=``; see intercom_phone_switch.guard).

        Returns the PhoneSwitch; raises a PhoneSwitchError subclass on any failure.
        """
        policy = self._policy_for(max_retries)
        call = self.prepare(
            phone,
            custom_attributes,
            version=version,
            idempotency_key=idempotency_key,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return self.send_prepared(call, policy=policy)

    def send_prepared(
        self,
        call: PreparedCall,
        *,
        policy: RetryPolicy | None = None,
        pacer: ThreadPacer | None = None,
        until: float | None = None,
    ) -> PhoneSwitch:
        """Send a prepared call (through the guard when it wants it): the PhoneSwitch, or
        the PhoneSwitchError raised. A call is sent once: sending it again raises
        ValueError and sends nothing. A bulk sender passes its ``pacer`` and the policy
        clock's monotonic time ``until`` which no wait may end after."""
        call.take()
        chosen = policy or self._policy
        sender: Sender = self._sender

        def deliver() -> PhoneSwitch:
            return attempt_loop(call, sender, chosen, pacer=pacer, until=until)

        guard = self._guard
        if guard is not None and guard.wants(call.key):
            return guard.run(call, deliver)
        return deliver()

    def pacer(self) -> ThreadPacer:
        """A pacer for one synchronous bulk run: the guard's shared one when it shares a
        rate budget, else the run's own."""
        clock = self._policy.clock
        if self._guard is not None:
            shared = self._guard.thread_pacer(self._scope(), clock)
            if shared is not None:
                return shared
        from ._bulk import ThreadPacer

        return ThreadPacer(clock)

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

    def phone_switch_batch(
        self,
        items: Iterable[BulkItem],
        *,
        concurrency: int = 10,
        version: HeaderValue | None = None,
        deadline: float | None = None,
    ) -> PhoneSwitchBatch:
        """A batch of phone switches sent from ``concurrency`` threads: ``batch.run()`` or
        ``for entry in batch``; see PhoneSwitchBatch and the guide's Bulk sending page."""
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
        policy = self._policy_for(max_retries)
        call = self.prepare(
            phone,
            custom_attributes,
            version=version,
            idempotency_key=idempotency_key,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return await self.send_prepared(call, policy=policy)

    async def send_prepared(
        self,
        call: PreparedCall,
        *,
        policy: RetryPolicy | None = None,
        pacer: AsyncPacer | None = None,
        until: float | None = None,
    ) -> PhoneSwitch:
        """Send a prepared call (see PhoneSwitchClient.send_prepared)."""
        call.take()
        chosen = policy or self._policy
        sender: AsyncSender = self._sender

        async def deliver() -> PhoneSwitch:
            return await attempt_loop_async(call, sender, chosen, pacer=pacer, until=until)

        guard = self._guard
        if guard is not None and guard.wants(call.key):
            return await guard.run_async(call, deliver)
        return await deliver()

    def pacer(self) -> AsyncPacer:
        """A pacer for one bulk run: the guard's shared one when it shares a rate budget,
        else the run's own."""
        clock = self._policy.clock
        if self._guard is not None:
            shared = self._guard.pacer(self._scope(), clock)
            if shared is not None:
                return shared
        from ._bulk import Pacer

        return Pacer(clock)

    def phone_switch_batch(
        self,
        items: Iterable[BulkItem],
        *,
        concurrency: int = 10,
        version: HeaderValue | None = None,
        deadline: float | None = None,
    ) -> AsyncPhoneSwitchBatch:
        """A batch of phone switches to run and keep: ``await batch.run()`` or
        ``async for entry in batch``; see AsyncPhoneSwitchBatch and the guide's Bulk sending
        page."""
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

        Each item is a phone, a (phone, custom_attributes) pair or a mapping with "phone",
        "custom_attributes" and "idempotency_key". At most ``concurrency`` requests are in
        flight, and none starts while Intercom's current rate-limit window has no budget
        left for it: the client waits for the window to reset (X-RateLimit-Reset)
        instead, unless that wait would end after ``deadline`` seconds from the start or
        after the client's own ``deadline`` for the item: then the item is RateLimited,
        and nothing is sent for it. Every outcome is a PhoneSwitch or the
        PhoneSwitchError of that item; no item is sent twice unless the client was
        created with ``retry_possibly_delivered=True``.

        A cancelled call loses the outcomes: to learn them after a cancel or timeout, run
        a ``phone_switch_batch`` instead.
        """
        return await self.phone_switch_batch(
            items, concurrency=concurrency, version=version, deadline=deadline
        ).run()

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


if TYPE_CHECKING:
    from .errors import PhoneSwitchError
