"""What a successful phone switch returns: one class for every Intercom-Version."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NoReturn

import attrs

from ._rate_limit import read_rate_limit
from .errors import reset_datetime

__all__ = ["PhoneSwitch", "RateLimit"]


@attrs.frozen
class RateLimit:
    """Intercom's X-RateLimit-* headers of one answer (None where a header was missing).

    Attributes:
        limit: requests allowed per window.
        remaining: requests left in the current window.
        reset: UNIX time (seconds) at which the next window opens.
    """

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None

    @property
    def reset_at(self) -> datetime | None:
        """``reset`` as an aware UTC datetime (None when missing or beyond year 9999)."""
        return reset_datetime(self.reset)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit:
        """Read the X-RateLimit-* headers; a missing or unreadable one (not a plain count,
        or a time that is not a plain UNIX second count) becomes None."""
        reading = read_rate_limit(headers)
        return cls() if reading is None else reading.rate_limit()


class Extra(dict[str, object]):
    """The fields of an answer beyond a PhoneSwitch's own: a dict that cannot be changed
    (so ``json.dumps`` and ``attrs.asdict`` take it as they take any dict)."""

    __slots__ = ()

    # Each changing method of dict, declared as taking what dict's takes and never
    # returning, so that type checkers see the same methods as on a dict.
    def __setitem__(self, *args: object, **kwargs: object) -> NoReturn:
        _read_only()

    def __delitem__(self, *args: object, **kwargs: object) -> NoReturn:
        _read_only()

    # mypy asks that ``|=`` return what ``|`` does; it never returns.
    def __ior__(self, *args: object, **kwargs: object) -> NoReturn:  # type: ignore[misc]
        _read_only()

    def clear(self, *args: object, **kwargs: object) -> NoReturn:
        _read_only()

    def pop(self, *args: object, **kwargs: object) -> NoReturn:
        _read_only()

    def popitem(self, *args: object, **kwargs: object) -> NoReturn:
        _read_only()

    def setdefault(self, *args: object, **kwargs: object) -> NoReturn:
        _read_only()

    def update(self, *args: object, **kwargs: object) -> NoReturn:
        _read_only()

    def __reduce__(self) -> tuple[type[Extra], tuple[dict[str, object]]]:
        # Made again from a plain dict: pickle and copy would set each item after making it.
        return (Extra, (dict(self),))

    def __repr__(self) -> str:
        return f"Extra({dict.__repr__(self)})"


_EMPTY = Extra()


def _read_only() -> NoReturn:
    raise TypeError("PhoneSwitch.extra cannot be changed")


def _frozen(value: Mapping[str, object]) -> Extra:
    if isinstance(value, Extra):
        return value
    return Extra(value) if value else _EMPTY


@attrs.frozen
class PhoneSwitch:
    """Intercom accepted the request: the SMS with the Messenger link is on its way.

    Attributes:
        type: Intercom's object type, ``phone_call_redirect``.
        url: the Messenger link the SMS carries.
        phone: the E.164 number the SMS was sent to.
        request_id: Intercom's request id, when it sent one.
        version: the Intercom-Version header that was sent.
        rate_limit: the rate-limit state Intercom reported with the answer.
        attempts: how many requests it took (more than 1 after a retry).
        replayed: True when this is the recorded outcome of an earlier call with the same
            idempotency key: nothing was sent this time.
        extra: every field of the answer beyond the ones above, read-only: typed where the
            version's generated model types them, else as parsed JSON. A field a new
            Intercom-Version adds shows up here first.
    """

    type: str
    url: str
    phone: str
    request_id: str | None
    version: str
    rate_limit: RateLimit
    attempts: int = 1
    replayed: bool = False
    extra: Extra = attrs.field(default=_EMPTY, converter=_frozen, hash=False)
