"""Intercom-style request budgets: a fixed number of calls per token in each time window.

Intercom spreads an app's per-minute budget over 10-second windows. Each window starts
at a multiple of its length on the UNIX clock, and ``X-RateLimit-Reset`` names its end.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._bounds import RATE_LIMIT, RATE_LIMIT_WINDOW

#: Intercom's budget for a private app, 10,000 calls a minute, per 10-second window.
DEFAULT_LIMIT = 10_000 // 6
DEFAULT_WINDOW = 10.0
#: The shortest window: shorter ones would overflow the window arithmetic.


@dataclass(frozen=True)
class Quota:
    """The outcome of taking one call from a budget."""

    allowed: bool
    limit: int
    remaining: int
    #: UNIX timestamp (seconds) of the end of the current window.
    reset: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset).encode()),
        ]


class RateLimiter:
    """``limit`` calls per key (an access token) in each window of ``window`` seconds."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limit, self._window = self.check(limit, window)
        self._clock = clock
        self._lock = threading.Lock()
        #: key -> (window start, calls taken in it)
        self._used: dict[str, tuple[float, int]] = {}

    @staticmethod
    def check(limit: int, window: float) -> tuple[int, float]:
        """``limit`` (1..10**9 calls) and ``window`` (0.001..86400 seconds), checked."""
        return RATE_LIMIT.check(limit), RATE_LIMIT_WINDOW.check(window)

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def window(self) -> float:
        return self._window

    def configure(self, limit: int | None = None, window: float | None = None) -> None:
        """Change the budget; every key starts the current window afresh."""
        limit = self._limit if limit is None else limit
        window = self._window if window is None else window
        limit, window = self.check(limit, window)
        with self._lock:
            self._limit, self._window = limit, window
            self._used.clear()

    def take(self, key: str) -> Quota:
        """Spend one call of ``key``'s budget, if any is left in the current window."""
        now = self._clock()
        start = math.floor(now / self._window) * self._window
        reset = math.ceil(start + self._window)
        with self._lock:
            used_start, used = self._used.get(key, (start, 0))
            if used_start != start:
                used = 0
            if used >= self._limit:
                return Quota(False, self._limit, 0, reset)
            used += 1
            self._used[key] = (start, used)
        return Quota(True, self._limit, self._limit - used, reset)

    def usage(self) -> list[tuple[str, Quota]]:
        """Each key's budget in the current window, keys in the order first seen."""
        now = self._clock()
        start = math.floor(now / self._window) * self._window
        reset = math.ceil(start + self._window)
        with self._lock:
            used = [(key, taken if at == start else 0) for key, (at, taken) in self._used.items()]
        return [
            (key, Quota(n < self._limit, self._limit, self._limit - n, reset)) for key, n in used
        ]

    def reset(self) -> None:
        with self._lock:
            self._used.clear()
