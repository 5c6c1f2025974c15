"""What a successful phone switch returns: one class for every Intercom-Version."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

import attrs

from .errors import reset_datetime

__all__ = ["PhoneSwitch", "RateLimit"]

#: A count or a UNIX time in seconds: ASCII digits, at most 15 of them (a reset 30
#: million years away is the furthest still read; longer values are unreadable).
_INTEGER = re.compile(r"[0-9]{1,15}")


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    value = value.strip()
    return int(value) if _INTEGER.fullmatch(value) else None


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
        """Read the X-RateLimit-* headers; a missing or unreadable one (not a plain
        non-negative integer of at most 15 digits) becomes None."""
        return cls(
            limit=_int_header(headers, "x-ratelimit-limit"),
            remaining=_int_header(headers, "x-ratelimit-remaining"),
            reset=_int_header(headers, "x-ratelimit-reset"),
        )


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
    """

    type: str
    url: str
    phone: str
    request_id: str | None
    version: str
    rate_limit: RateLimit
    attempts: int = 1
    replayed: bool = False
