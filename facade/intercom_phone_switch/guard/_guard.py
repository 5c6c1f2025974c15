"""Guard: a store of idempotency keys and per-phone send windows, chosen by URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ._environment import GUARD_VARIABLE, environment_guard
from ._store import Store

if TYPE_CHECKING:
    from intercom_phone_switch.errors import PhoneSwitchError
    from intercom_phone_switch.results import PhoneSwitch

__all__ = ["DEFAULT_TTL", "GUARD_VARIABLE", "Guard", "KeyState", "open_store"]

#: How long a key's record is kept by default: one day.
DEFAULT_TTL = 86_400.0
DEFAULT_NAMESPACE = "intercom-phone-switch"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"guard URL option {name} must be true or false, not {value!r}")


def _seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"guard URL option {name} must be a number of seconds above 0")
    return seconds


def open_store(url: str) -> tuple[Store, dict[str, str]]:
    """The store a URL names, and the guard's own options from its query string
    (ttl, namespace, fail_open); a store's options are left to the store."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    mine: dict[str, str] = {
        name: query.pop(name) for name in ("ttl", "namespace", "fail_open") if name in query
    }
    scheme = parts.scheme.lower()
    if scheme == "memory":
        from ._memory import shared

        if query:
            raise ValueError(f"unknown memory guard options: {', '.join(sorted(query))}")
        return shared(parts.netloc + parts.path), mine
    if scheme == "sqlite":
        from ._sqlite import SqliteStore

        # sqlite:///relative/path, sqlite:////absolute/path (as SQLAlchemy spells them).
        if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
            raise ValueError("a SQLite guard URL is sqlite:///relative/path or sqlite:////abs/path")
        timeout = _seconds("timeout", query.pop("timeout")) if "timeout" in query else 10.0
        synchronous = query.pop("synchronous", "full")
        if query:
            raise ValueError(f"unknown SQLite guard options: {', '.join(sorted(query))}")
        store = SqliteStore(parts.path[1:], busy_timeout=timeout, synchronous=synchronous)
        return store, mine
    if scheme in ("redis", "rediss", "unix"):
        from ._redis import RedisStore

        timeout = _seconds("timeout", query.pop("timeout")) if "timeout" in query else 2.0
        rest = urlunsplit(parts._replace(query=urlencode(query)))
        return RedisStore(rest, timeout=timeout), mine
    # The URL itself is never shown: it may hold a password.
    raise ValueError(
        "a guard URL starts with memory://, sqlite:/// or redis:// (not "
        f"{parts.scheme + '://' if parts.scheme else 'a URL without a scheme'})"
    )


@dataclass(frozen=True)
class KeyState:
    """What a guard knows about one idempotency key.

    ``state`` is free (no record), pending (a call is sending), accepted, refused (nothing
    was sent; the key is free again) or unknown (an SMS may have been sent: later calls
    raise DeliveryUnknown until the record expires or is forgotten). ``outcome`` is the
    recorded PhoneSwitch or error; ``expires_in`` the seconds until the record expires.
    """

    key: str
    state: Literal["free", "pending", "accepted", "refused", "unknown"]
    outcome: PhoneSwitch | PhoneSwitchError | None = None
    owner: str | None = None
    expires_in: float | None = None


class Guard:
    """Idempotency keys and send windows in one store, shared by every client using it.

    Args:
        store: a URL (``memory://``, ``sqlite:///path/guard.db``,
            ``redis://127.0.0.1:6379/0``) or a Store. Default: the
            INTERCOM_PHONE_SWITCH_GUARD environment variable, else ``memory://``.
        ttl: seconds a key's record is kept (accepted, refused or unknown); after that
            the key is free again. URL option ``?ttl=``.
        namespace: the prefix of every key in the store. URL option ``?namespace=``.
        fail_open: when the store cannot be reached, send anyway, unguarded (logged as a
            warning). Off by default: the call raises GuardUnavailable and sends nothing.
            URL option ``?fail_open=true``.
    """

    def __init__(
        self,
        store: Store | str | None = None,
        *,
        ttl: float | None = None,
        namespace: str | None = None,
        fail_open: bool | None = None,
    ) -> None:
        options: dict[str, str] = {}
        if store is None:
            store = environment_guard() or "memory://"
        if isinstance(store, str):
            store, options = open_store(store)
        self.store: Store = store
        self.ttl = ttl if ttl is not None else _seconds("ttl", options.get("ttl", str(DEFAULT_TTL)))
        if not self.ttl > 0:
            raise ValueError("ttl must be above 0 seconds")
        self.namespace = namespace or options.get("namespace") or DEFAULT_NAMESPACE
        if fail_open is None:
            fail_open = (
                _flag("fail_open", options["fail_open"]) if "fail_open" in options else False
            )
        self.fail_open = fail_open

    def __repr__(self) -> str:
        return (
            f"Guard({self.store.url!r}, ttl={self.ttl:g}, namespace={self.namespace!r}, "
            f"fail_open={self.fail_open})"
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
        outcome = None if record.state == "pending" else load(record)
        return KeyState(idempotency_key, record.state, outcome, record.owner, record.expires_in)

    def forget(self, idempotency_key: str) -> bool:
        """Delete the key's record, whatever its state: the next call with it sends.

        The explicit override for an unknown key, once you know that no SMS went out
        (or accept a second one). True when there was a record.
        """
        check_key(idempotency_key)
        return self.store.forget(self.key(idempotency_key))

    def close(self) -> None:
        """Close the store's connection (a later use opens it again)."""
        self.store.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def check_key(key: object) -> str:
    """An idempotency key is a non-empty string of at most 256 printable characters."""
    if not isinstance(key, str) or not key or len(key) > 256 or not key.isprintable():
        raise ValueError("an idempotency key is a non-empty printable string of 1-256 characters")
    return key
