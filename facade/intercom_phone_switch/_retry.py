"""When a failed attempt is tried again, and after how long.

A phone switch sends an SMS, and Intercom offers no idempotency key, so a request is sent
again only when it certainly did not reach Intercom or Intercom certainly refused it:

==========================================  ==========================================
failure                                      tried again
==========================================  ==========================================
ConnectionFailed (refused, connect timeout)  yes, after 0.5 s, 1 s, 2 s ... (8 s at most)
RateLimited (429)                            yes, once X-RateLimit-Reset has passed
DeliveryUnknown, ServerError                 only with ``retry_possibly_delivered=True``
an answer with a 2xx status                  never, in any mode: Intercom accepted it
any other error                              never
==========================================  ==========================================

Backoff waits are jittered: each is the nominal wait times a random factor between 0.5
and 1, so that many clients failing together do not retry in lockstep; a wait for a
rate-limit window ends up to 0.5 s after the reset, for the same reason. The random draw
comes from the clock (``Clock.random``), so tests can fix it.

Every retry counts towards ``max_retries``; no wait starts that would end after the
call's ``deadline`` (seconds since the call began), and no wait for a rate-limit window
is longer than ``max_wait`` (60 s; a reset further away means a clock or a limit the
client cannot wait for): the last error is raised instead.
"""

from __future__ import annotations

import math
import random
import time

from ._settings import checked_seconds
from .errors import ConnectionFailed, DeliveryUnknown, PhoneSwitchError, RateLimited

__all__ = ["Clock", "RetryPolicy", "SystemClock"]


class Clock:
    """Where the client reads the time and sleeps. Tests pass a fake one."""

    def time(self) -> float:
        """Seconds since the UNIX epoch, to compare with X-RateLimit-Reset."""
        raise NotImplementedError

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, to measure a call's duration."""
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:
        raise NotImplementedError

    async def async_sleep(self, seconds: float) -> None:
        raise NotImplementedError

    def random(self) -> float:
        """A random number in [0, 1), for the jitter of retry waits."""
        return random.random()


class SystemClock(Clock):
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        import asyncio  # here, not at the top: a sync client never loads asyncio

        await asyncio.sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


class RetryPolicy:
    """Decides, after a failed attempt, whether and when to try again."""

    __slots__ = (
        "backoff",
        "clock",
        "deadline",
        "max_backoff",
        "max_retries",
        "max_wait",
        "possibly_delivered",
    )

    #: The share of a backoff wait that jitter may take off.
    JITTER = 0.5
    #: The most seconds a wait for a rate-limit window may end after its reset.
    RESET_SPREAD = 0.5

    def __init__(
        self,
        *,
        max_retries: int = 2,
        retry_possibly_delivered: bool = False,
        deadline: float | None = 60.0,
        clock: Clock | None = None,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_wait: float = 60.0,
    ) -> None:
        if not isinstance(max_retries, int) or isinstance(max_retries, bool):
            raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        deadline = checked_seconds("deadline", deadline, zero=True)
        self.max_retries: int = max_retries
        self.possibly_delivered: bool = retry_possibly_delivered
        self.deadline: float | None = deadline
        self.clock: Clock = clock or SystemClock()
        self.backoff: float = backoff
        self.max_backoff: float = max_backoff
        self.max_wait: float = max_wait

    def replace(self, *, max_retries: int) -> RetryPolicy:
        """This policy with another ``max_retries`` (for one call)."""
        if max_retries == self.max_retries and type(max_retries) is int:
            return self
        return RetryPolicy(
            max_retries=max_retries,
            retry_possibly_delivered=self.possibly_delivered,
            deadline=self.deadline,
            clock=self.clock,
            backoff=self.backoff,
            max_backoff=self.max_backoff,
            max_wait=self.max_wait,
        )

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(max_retries={self.max_retries}, "
            f"retry_possibly_delivered={self.possibly_delivered}, deadline={self.deadline})"
        )

    def _draw(self) -> float:
        # A clock written before Clock.random existed (duck-typed) draws from the module.
        source = getattr(self.clock, "random", random.random)
        draw = float(source())
        return min(max(draw, 0.0), 1.0) if math.isfinite(draw) else 0.0

    def _backoff(self, attempt: int) -> float:
        nominal = float(min(self.max_backoff, self.backoff * 2 ** min(attempt - 1, 64)))
        return nominal * (1.0 - self.JITTER * self._draw())

    def delay(self, error: PhoneSwitchError, attempt: int, started: float) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up.

        ``attempt`` is the number of attempts made so far and ``started`` the clock's
        monotonic time when the call began.
        """
        if attempt > self.max_retries or error.accepted:
            return None
        if isinstance(error, RateLimited):
            reset = error.reset
            now = self.clock.time()
            if reset is not None and reset > now:
                wait = float(reset) - now
                if wait > self.max_wait:
                    return None
                wait += self.RESET_SPREAD * self._draw()
            else:
                wait = self._backoff(attempt)
        elif (isinstance(error, ConnectionFailed) and error.transient) or (
            isinstance(error, DeliveryUnknown) and self.possibly_delivered
        ):
            wait = self._backoff(attempt)
        else:
            return None
        if self.deadline is not None:
            elapsed = self.clock.monotonic() - started
            if elapsed + wait > self.deadline:
                return None
        return wait
