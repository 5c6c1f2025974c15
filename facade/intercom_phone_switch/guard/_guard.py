"""Guard: a store of idempotency keys and per-phone send windows, chosen by URL.

A Guard is what a client takes as ``guard=``: it implements the client's hook protocol
(``intercom_phone_switch.hooks.SendHook``), so the client calls it around each call that
has an idempotency key (or around every call when it keeps a per-number send window),
and it may give a bulk call a rate budget shared with other processes.

Every option, from the URL or from the keywords, is checked here, when the Guard is made:
a call never fails later on an option it could have been told about.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from intercom_phone_switch._redact import mask_url

from ._environment import GUARD_VARIABLE, environment_guard
from ._store import Store

if TYPE_CHECKING:
    from intercom_phone_switch import Clock
    from intercom_phone_switch.errors import PhoneSwitchError
    from intercom_phone_switch.hooks import AsyncPacer, CallInfo, ThreadPacer
    from intercom_phone_switch.results import PhoneSwitch

__all__ = ["DEFAULT_LEASE", "DEFAULT_TTL", "GUARD_VARIABLE", "Guard", "KeyState", "open_store"]

#: How long an outcome is remembered by default: one day.
DEFAULT_TTL = 86_400.0
#: How long the claim of a call without a deadline holds between two renewals.
DEFAULT_LEASE = 30.0
#: The longest ttl, lease or window a guard takes: ten years (what every store can keep).
MAX_SECONDS = 10 * 365 * 86_400.0
DEFAULT_NAMESPACE = "intercom-phone-switch"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
#: The guard's own URL options, taken from the query whatever the store.
_OWN = ("ttl", "namespace", "fail_open")


def _flag(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"guard URL option {name} must be true or false, not {value!r}")


def seconds(name: str, value: object, *, text: bool = False) -> float:
    """``value`` (a number, or with ``text`` the text of a URL option) as seconds: finite,
    above 0 and at most MAX_SECONDS; else a ValueError naming ``name`` (a TypeError for a
    value of another type)."""
    if text and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number of seconds, not {value!r}") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not (math.isfinite(number) and 0 < number <= MAX_SECONDS):
        raise ValueError(
            f"{name} must be a finite number of seconds above 0 and at most "
            f"{MAX_SECONDS:.0f} (ten years), not {value!r}"
        )
    return number


def _without_query(url: str) -> str:
    """The URL up to its query (or fragment), as written: ``urlunsplit`` would turn
    ``unix:///path`` into ``unix:/path``, which redis-py refuses."""
    return url.partition("#")[0].partition("?")[0]


def open_store(url: str) -> tuple[Store, dict[str, str]]:
    """The store a URL names, and the guard's own options from its query string
    (ttl, namespace, fail_open). Every other option is the store's, checked by it now:
    one it does not know is a ValueError. No message shows the URL's secrets."""
    if not isinstance(url, str):
        raise TypeError(f"a guard URL is a str, not {type(url).__name__}")
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        raise ValueError("the guard URL cannot be parsed") from None
    query = dict(pairs)
    if len(query) != len(pairs):
        raise ValueError("a guard URL option is given more than once")
    mine = {name: query.pop(name) for name in _OWN if name in query}
    scheme = parts.scheme.lower()
    if scheme == "memory":
        from ._memory import MemoryStore, shared

        if query:
            raise ValueError(f"unknown memory guard options: {', '.join(sorted(query))}")
        name = (parts.netloc + parts.path).strip("/")
        return (shared(name) if name else MemoryStore()), mine
    if scheme == "sqlite":
        from ._sqlite import SqliteStore

        # sqlite:///relative/path, sqlite:////absolute/path (as SQLAlchemy spells them).
        if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
            raise ValueError("a SQLite guard URL is sqlite:///relative/path or sqlite:////abs/path")
        timeout = (
            seconds("timeout", query.pop("timeout"), text=True) if "timeout" in query else 10.0
        )
        synchronous = query.pop("synchronous", "full")
        if query:
            raise ValueError(f"unknown SQLite guard options: {', '.join(sorted(query))}")
        store = SqliteStore(parts.path[1:], busy_timeout=timeout, synchronous=synchronous)
        return store, mine
    if scheme in ("redis", "rediss", "unix"):
        from ._redis import RedisStore

        timeout = seconds("timeout", query.pop("timeout"), text=True) if "timeout" in query else 2.0
        rest = _without_query(url) + (f"?{urlencode(query)}" if query else "")
        return RedisStore(rest, timeout=timeout), mine
    # The URL itself is never shown: it may hold a password.
    raise ValueError(
        "a guard URL starts with memory://, sqlite:///, redis://, rediss:// or unix:// (not "
        f"{parts.scheme + '://' if parts.scheme else 'a URL without a scheme'})"
    )


@dataclass(frozen=True)
class KeyState:
    """What a guard knows about one idempotency key.

    ``state`` is free (no record), pending (a call is sending), accepted, refused (nothing
    was sent; the key is free again) or unknown (an SMS may have been sent: later calls
    raise DeliveryUnknown until the record expires or is forgotten). ``outcome`` is the
    recorded PhoneSwitch or error, as the call that made it got it (its ``replayed`` is
    False; later calls get it with ``replayed=True``); ``expires_in`` the seconds until
    the record expires.
    """

    key: str
    state: Literal["free", "pending", "accepted", "refused", "unknown"]
    outcome: PhoneSwitch | PhoneSwitchError | None = None
    owner: str | None = None
    expires_in: float | None = None


class Guard:
    """Idempotency keys and send windows in one store, shared by every client using it.

    Give it to a client: ``PhoneSwitchClient(guard=Guard("sqlite:///guard.db"))``. The
    client never closes it: close it (or use it as a context manager) when done.

    Args:
        store: a URL or a Store. ``memory://`` is a store of this Guard's own (one
            process; a client given another ``Guard("memory://")`` shares nothing with
            it), ``memory://NAME`` the process's store of that name, shared by every
            Guard opened with it; ``sqlite:///path/guard.db`` is shared by the processes
            of one machine, ``redis://host:port/db`` (also ``rediss://`` and
            ``unix:///path/redis.sock``) by many machines.
        ttl: seconds an outcome (accepted, refused or unknown) is remembered; after that
            the key is free again. A claim lasts as long as its call, however long
            that is. URL option ``?ttl=``.
        namespace: the prefix of every key in the store. URL option ``?namespace=``.
        fail_open: when the store cannot be reached, send anyway, unguarded (logged as a
            warning). Off by default: the call raises GuardUnavailable and sends nothing.
            URL option ``?fail_open=true``.
        per_phone_window: at most one SMS per number per this many seconds (None: no
            limit); a send inside the window raises SendWindowClosed, nothing sent.
        share_rate_budget: bulk calls of the clients using this guard pace on one
            rate-limit budget, kept in the (Redis) store, with every other process
            sending through the same Intercom app.
        lease: seconds the claim of a call without a deadline (a client with
            ``deadline=None``) holds; the guard renews it every third of that while the
            call runs, so only a sender that died leaves it to run out.

    Every option is checked here: a ValueError names the one that is wrong (and never
    shows the URL's password).
    """

    def __init__(
        self,
        store: Store | str = "memory://",
        *,
        ttl: float | None = None,
        namespace: str | None = None,
        fail_open: bool | None = None,
        per_phone_window: float | None = None,
        share_rate_budget: bool = False,
        lease: float = DEFAULT_LEASE,
    ) -> None:
        options: dict[str, str] = {}
        # Every keyword is checked before a store is opened (nothing to close on failure).
        checked_ttl = None if ttl is None else seconds("ttl", ttl)
        window = None if per_phone_window is None else seconds("per_phone_window", per_phone_window)
        checked_lease = seconds("lease", lease)
        if namespace is not None:
            _check_namespace(namespace)
        if not isinstance(share_rate_budget, bool):
            raise TypeError("share_rate_budget must be True or False")
        if fail_open is not None and not isinstance(fail_open, bool):
            raise TypeError("fail_open must be True, False or None")
        if isinstance(store, str):
            opened, options = open_store(store)
        else:
            opened = store
        try:
            if checked_ttl is None:
                checked_ttl = seconds("ttl", options.get("ttl", str(DEFAULT_TTL)), text=True)
            if namespace is None:
                namespace = _check_namespace(options.get("namespace", DEFAULT_NAMESPACE))
            if fail_open is None:
                fail_open = (
                    _flag("fail_open", options["fail_open"]) if "fail_open" in options else False
                )
            if share_rate_budget:
                from ._redis import RedisStore

                if not isinstance(opened, RedisStore):
                    raise ValueError(
                        "share_rate_budget needs a Redis guard: Guard('redis://...', "
                        "share_rate_budget=True)"
                    )
        except BaseException:
            if isinstance(store, str):
                opened.close()  # opened here: nobody else will close it
            raise
        self.store: Store = opened
        self.ttl: float = checked_ttl
        self.namespace: str = namespace
        self.fail_open: bool = fail_open
        self.per_phone_window: float | None = window
        self.share_rate_budget: bool = share_rate_budget
        self.lease: float = checked_lease

    @classmethod
    def from_environment(cls, default: str | None = None, **options: object) -> Guard:
        """The Guard the INTERCOM_PHONE_SWITCH_GUARD environment variable names (a URL),
        else ``default``; ``options`` are the keywords of Guard. ValueError when neither
        names one."""
        url = environment_guard() or default
        if url is None:
            raise ValueError(f"no guard: set {GUARD_VARIABLE} to a guard URL")
        return cls(url, **options)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        """The store's URL, safe to show: no password, user or credential parameter."""
        return mask_url(self.store.url)

    def __repr__(self) -> str:
        window = (
            "" if self.per_phone_window is None else f", per_phone_window={self.per_phone_window:g}"
        )
        budget = ", share_rate_budget=True" if self.share_rate_budget else ""
        return (
            f"Guard({self.url!r}, ttl={self.ttl:g}, namespace={self.namespace!r}, "
            f"fail_open={self.fail_open}{window}{budget})"
        )

    def key(self, idempotency_key: str) -> str:
        """The store key of an idempotency key."""
        return f"{self.namespace}:key:{idempotency_key}"

    def phone_key(self, phone: str) -> str:
        """The store key of a number's send window."""
        return f"{self.namespace}:phone:{phone}"

    def state(self, idempotency_key: str) -> KeyState:
        """What the store holds for the key (raises StoreError when it cannot be read)."""
        from ._payload import load

        check_key(idempotency_key)
        record = self.store.get(self.key(idempotency_key))
        if record is None:
            return KeyState(idempotency_key, "free")
        outcome = None if record.state == "pending" else load(record, replayed=False)
        return KeyState(idempotency_key, record.state, outcome, record.owner, record.expires_in)

    def forget(self, idempotency_key: str) -> bool:
        """Delete the key's record, whatever its state: the next call with it sends.

        The explicit override for an unknown key, once you know that no SMS went out
        (or accept a second one). True when there was a record.
        """
        check_key(idempotency_key)
        return self.store.forget(self.key(idempotency_key))

    # -- the client's hook protocol (intercom_phone_switch.hooks.SendHook) ---------------
    def wants(self, key: str | None) -> bool:
        """Whether a call with this idempotency key goes through the guard: every call
        with a key, and every call when there is a per-number window. A malformed key is
        a ValueError, before anything is sent."""
        if key is not None:
            check_key(key)
            return True
        return self.per_phone_window is not None

    def run(self, call: CallInfo, deliver: Callable[[], PhoneSwitch]) -> PhoneSwitch:
        """One guarded call of the synchronous client: claim, ``deliver()``, record."""
        from ._flow import run

        return run(self, call, deliver)

    async def run_async(
        self, call: CallInfo, deliver: Callable[[], Awaitable[PhoneSwitch]]
    ) -> PhoneSwitch:
        """One guarded call of the async client: claim, ``await deliver()``, record."""
        from ._flow import run_async

        return await run_async(self, call, deliver)

    def pacer(self, scope: str, clock: Clock) -> AsyncPacer | None:
        """The shared rate budget of ``scope`` (an app on a server) for an async bulk
        call, or None when this guard does not share one."""
        if not self.share_rate_budget:
            return None
        from ._budget import SharedPacer

        return SharedPacer(
            self._redis(), scope, clock, namespace=self.namespace, fail_open=self.fail_open
        )

    def thread_pacer(self, scope: str, clock: Clock) -> ThreadPacer | None:
        """The same for the threads of a synchronous bulk call."""
        if not self.share_rate_budget:
            return None
        from ._budget import SharedThreadPacer

        return SharedThreadPacer(
            self._redis(), scope, clock, namespace=self.namespace, fail_open=self.fail_open
        )

    def _redis(self) -> RedisStore:
        from ._redis import RedisStore

        store = self.store
        assert isinstance(store, RedisStore)  # checked when the guard was made
        return store

    def close(self) -> None:
        """Close the store's connection (a later use opens it again)."""
        self.store.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


if TYPE_CHECKING:
    from ._redis import RedisStore


def _check_namespace(namespace: object) -> str:
    if not isinstance(namespace, str) or not namespace or not namespace.isprintable():
        raise ValueError("a guard namespace is a non-empty printable string")
    return namespace


def check_key(key: object) -> str:
    """An idempotency key is a non-empty string of at most 256 printable characters."""
    if not isinstance(key, str) or not key or len(key) > 256 or not key.isprintable():
        raise ValueError("an idempotency key is a non-empty printable string of 1-256 characters")
    return key
