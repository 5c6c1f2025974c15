"""Pacing many phone switches on Intercom's rate-limit headers.

Intercom spreads an app's budget over short windows and reports, on every answer,
``X-RateLimit-Remaining`` (requests left in the window) and ``X-RateLimit-Reset`` (when
the next window opens). The Pacer keeps the latest of those and lets a request start only
while the window has budget left for it beside the requests already in flight; otherwise
it waits until the window resets. A new window's budget is the last X-RateLimit-Limit
until an answer from that window says more; before the first answer it knows nothing and
lets requests through (at most the bulk call's concurrency at a time).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ._retry import Clock
from .results import RateLimit

__all__ = ["Pacer", "unpack"]


class Pacer:
    """Shared by the workers of one bulk call."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._changed = asyncio.Condition()
        self._limit: int | None = None
        self._remaining: int | None = None
        self._reset: float | None = None
        self._in_flight = 0
        #: Seconds spent waiting for windows to reset, in total.
        self.waited = 0.0

    def __repr__(self) -> str:
        return (
            f"<Pacer limit={self._limit} remaining={self._remaining} reset={self._reset} "
            f"in_flight={self._in_flight}>"
        )

    async def acquire(self) -> None:
        """Wait until the current window has room for one more request, and take it."""
        async with self._changed:
            while True:
                now = self._clock.time()
                if self._reset is not None and now >= self._reset:
                    # A new window: its budget is the limit, until an answer says more.
                    self._remaining, self._reset = self._limit, None
                remaining = self._remaining
                if remaining is None or remaining - self._in_flight > 0 or self._idle_guess():
                    self._in_flight += 1
                    return
                if self._reset is None:
                    # The budget is taken by requests in flight; their answers will tell.
                    await self._changed.wait()
                else:
                    wait = self._reset - now
                    self.waited += wait
                    await self._clock.async_sleep(wait)

    def _idle_guess(self) -> bool:
        """True when only a guess (no answer of this window) holds everything back."""
        return self._reset is None and self._in_flight == 0

    async def release(self, rate_limit: RateLimit | None) -> None:
        """A request finished; ``rate_limit`` is what its answer said (None: no answer)."""
        async with self._changed:
            self._in_flight -= 1
            self._learn(rate_limit)
            self._changed.notify_all()

    def _learn(self, rate_limit: RateLimit | None) -> None:
        if rate_limit is None:
            return
        if rate_limit.limit is not None:
            self._limit = rate_limit.limit
        if rate_limit.remaining is None or rate_limit.reset is None:
            return
        reset = float(rate_limit.reset)
        if self._reset is None or reset > self._reset:
            self._reset, self._remaining = reset, rate_limit.remaining
        elif reset == self._reset and self._remaining is not None:
            self._remaining = min(self._remaining, rate_limit.remaining)


def unpack(item: object) -> tuple[object, Any]:
    """(phone, custom_attributes) of a bulk item: a phone, a pair, or a mapping."""
    if isinstance(item, tuple) and len(item) == 2:
        return item[0], item[1]
    if isinstance(item, Mapping) and "phone" in item:
        return item["phone"], item.get("custom_attributes")
    return item, None
