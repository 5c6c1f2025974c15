"""Pacing many phone switches on Intercom's rate-limit headers.

Intercom spreads an app's budget over short windows and reports, on every answer,
``X-RateLimit-Remaining`` (requests left in the window) and ``X-RateLimit-Reset`` (when
the next window opens). A pacer keeps the latest of those and lets a request start only
while the window has budget left for it beside the requests already in flight; otherwise
it waits until the window resets. A new window's budget is the last X-RateLimit-Limit
until an answer from that window says more; before the first answer it knows nothing and
lets requests through (at most the bulk call's concurrency at a time).

Every wait is bounded:

- a caller's bound (``until``, on the clock's monotonic time): a wait that would end later
  is not started, ``acquire`` answers False and the item is reported RateLimited;
- ``MAX_WINDOW_WAIT``: a reset further away than that (a server clock running ahead, an
  absurd header) is waited for that long only; then one request at a time probes the new
  window until an answer tells its budget.

Header values that are not plain numbers of a sane size (huge, negative, fractional
counts, NaN, text) are ignored, so nothing a server sends can make the pacer raise.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping

from ._defaults import MAX_WINDOW_WAIT
from ._rate_limit import Reading, read_rate_limit
from ._retry import Clock
from .results import RateLimit

__all__ = ["MAX_WINDOW_WAIT", "Pacer", "ThreadPacer"]


class _Budget:
    """The pacing state, without any waiting: shared by the async and the thread pacer."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset: float | None = None
        #: True when ``reset`` was cut to MAX_WINDOW_WAIT: the next window's budget is
        #: not known, so only one request at a time goes until an answer tells.
        self.probe = False
        self.in_flight = 0
        self.latest: Reading | None = None

    def __repr__(self) -> str:
        return (
            f"limit={self.limit} remaining={self.remaining} reset={self.reset} "
            f"in_flight={self.in_flight}"
        )

    def wait(self, now: float) -> float | None:
        """0.0: a request may start now; None: wait for one in flight to finish;
        otherwise the seconds until the window resets."""
        if self.reset is not None and now >= self.reset:
            # A new window: its budget is the limit, until an answer says more.
            self.remaining = 0 if self.probe else self.limit
            self.reset, self.probe = None, False
        remaining = self.remaining
        if remaining is None or remaining - self.in_flight > 0:
            return 0.0
        if self.reset is None:
            # Only a guess (no answer of this window) holds back: with nothing in flight
            # one request goes to find out; otherwise their answers will tell.
            return 0.0 if self.in_flight == 0 else None
        return max(self.reset - now, 0.0)

    def learn(self, reading: Reading | None, now: float) -> None:
        if reading is None:
            return
        self.latest = reading
        if reading.limit is not None:
            self.limit = reading.limit
        if reading.remaining is None or reading.reset is None:
            return
        reset, probe = reading.reset, False
        if reset > now + MAX_WINDOW_WAIT:
            reset, probe = now + MAX_WINDOW_WAIT, True
        if self.reset is None or reset > self.reset:
            self.reset, self.remaining, self.probe = reset, reading.remaining, probe
        elif reset == self.reset and self.remaining is not None:
            self.remaining = min(self.remaining, reading.remaining)


class _PacerBase:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._budget = _Budget()
        #: Whether one waiter sleeps until the reset (the others wait for it to wake).
        self._sleeping = False
        #: Seconds spent waiting for windows to reset, in total.
        self.waited = 0.0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._budget!r}>"

    def _fits(self, wait: float, until: float | None) -> bool:
        return until is None or self._clock.monotonic() + wait <= until

    @property
    def latest(self) -> RateLimit | None:
        """What the latest answer said about the rate limit (sane values only)."""
        reading = self._budget.latest
        return None if reading is None else reading.rate_limit()


class Pacer(_PacerBase):
    """Shared by the workers (asyncio tasks) of one bulk call."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._changed = asyncio.Event()

    async def acquire(self, until: float | None = None) -> bool:
        """Wait until the current window has room for one more request and take it (True),
        or answer False at once when that wait would end after ``until``."""
        budget, clock = self._budget, self._clock
        while True:
            wait = budget.wait(clock.time())
            if wait == 0.0:
                budget.in_flight += 1
                return True
            if not (wait is None or self._fits(wait, until)):
                return False
            if wait is None or self._sleeping:
                await self._changed.wait()
                continue
            self.waited += wait
            self._sleeping = True
            try:
                await clock.async_sleep(wait)
            finally:
                self._sleeping = False
                self._notify()

    def release(self, answer: Mapping[str, str] | RateLimit | None) -> None:
        """A request taken with ``acquire`` finished; ``answer`` is its headers (None:
        no answer came). Never raises."""
        budget = self._budget
        budget.in_flight -= 1
        try:
            budget.learn(read_rate_limit(answer), self._clock.time())
        finally:
            self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


class ThreadPacer(_PacerBase):
    """The same pacing for the threads of a synchronous bulk call."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._changed = threading.Condition()

    def acquire(self, until: float | None = None) -> bool:
        budget, clock = self._budget, self._clock
        with self._changed:
            while True:
                wait = budget.wait(clock.time())
                if wait == 0.0:
                    budget.in_flight += 1
                    return True
                if not (wait is None or self._fits(wait, until)):
                    return False
                if wait is None or self._sleeping:
                    self._changed.wait()
                    continue
                self.waited += wait
                self._sleeping = True
                self._changed.release()
                try:
                    clock.sleep(wait)
                finally:
                    self._changed.acquire()
                    self._sleeping = False
                    self._changed.notify_all()

    def release(self, answer: Mapping[str, str] | RateLimit | None) -> None:
        with self._changed:
            self._budget.in_flight -= 1
            try:
                self._budget.learn(read_rate_limit(answer), self._clock.time())
            finally:
                self._changed.notify_all()
