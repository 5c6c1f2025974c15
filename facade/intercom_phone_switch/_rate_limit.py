"""Intercom's X-RateLimit-* headers, read once for everyone: the results, the pacers and the
shared budget.

Header values that are not plain numbers of a sane size (huge, negative or fractional
counts, NaN, text) are read as missing, so nothing a server sends can make a reader
raise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from .results import RateLimit

__all__ = ["Reading", "read_rate_limit"]

_COUNT = re.compile(r"\s*(-?[0-9]{1,12})\s*")
#: UNIX seconds, optionally with a fraction; a reset after the year 9999 is still read
#: (it is far away: nobody waits for it), only its datetime is None.
_INSTANT = re.compile(r"\s*([0-9]{1,18}(?:\.[0-9]{1,9})?)\s*")
_LATEST_INSTANT = 10**18
_MAX_COUNT = 10**9


class _Limits(Protocol):
    @property
    def limit(self) -> int | None: ...
    @property
    def remaining(self) -> int | None: ...
    @property
    def reset(self) -> int | None: ...


class Reading(NamedTuple):
    """The usable part of one answer's X-RateLimit-* headers (None: missing or absurd)."""

    limit: int | None
    remaining: int | None
    reset: float | None

    def rate_limit(self) -> RateLimit:
        from .results import RateLimit

        reset = None if self.reset is None else int(self.reset)
        return RateLimit(limit=self.limit, remaining=self.remaining, reset=reset)


def _count(value: object) -> int | None:
    """A non-negative request count from a header string or a number, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        match = _COUNT.fullmatch(value)
        if match is None:
            return None
        value = int(match.group(1))
    if not isinstance(value, int):
        return None
    return min(max(value, 0), _MAX_COUNT)


def _instant(value: object) -> float | None:
    """UNIX seconds from a header string or a number, when finite, not negative and sane."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        match = _INSTANT.fullmatch(value)
        if match is None:
            return None
        value = float(match.group(1))
    if isinstance(value, int):
        if not 0 <= value <= _LATEST_INSTANT:
            return None
        return float(value)
    if isinstance(value, float) and math.isfinite(value) and 0 <= value <= _LATEST_INSTANT:
        return value
    return None


def read_rate_limit(source: Mapping[str, str] | _Limits | None) -> Reading | None:
    """The Reading of an answer's headers (or of a RateLimit); never raises."""
    if source is None:
        return None
    limit: object
    remaining: object
    reset: object
    try:
        if not isinstance(source, Mapping):
            limit, remaining, reset = source.limit, source.remaining, source.reset
        else:
            limit = source.get("x-ratelimit-limit")
            remaining = source.get("x-ratelimit-remaining")
            reset = source.get("x-ratelimit-reset")
        return Reading(_count(limit), _count(remaining), _instant(reset))
    except Exception:  # a headers object that fails to read is no reading at all
        return None
