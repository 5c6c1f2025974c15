"""A rate-limit budget shared by every process that bulk-sends through one Intercom app.

The same rule as the bulk call's own Pacer (a request starts only while the window has
budget left beside the requests in flight; otherwise it waits for X-RateLimit-Reset),
but the view of the window lives in Redis: one hash per app with the last limit,
remaining and reset any process saw, and a sorted set of the requests in flight in every
process. Each entry of that set expires on its own, so a killed process frees its share
after ``flight_timeout`` seconds. Both transitions are Lua scripts, so they are atomic.
The budget's scope (which app on which server) is the client's to name: a digest of its
server and token, never the token itself.
The reset is Intercom's clock read against this machine's: keep the machines on NTP.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from intercom_phone_switch import Clock
from intercom_phone_switch._defaults import MAX_WINDOW_WAIT
from intercom_phone_switch._rate_limit import read_rate_limit
from intercom_phone_switch.results import RateLimit

from ._errors import GuardUnavailable
from ._redis import RedisStore
from ._store import StoreError

__all__ = ["SharedPacer", "SharedThreadPacer"]

ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining'))
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset'))
if reset and now >= reset then
  remaining, reset = limit, nil
  redis.call('HDEL', KEYS[1], 'reset', 'remaining')
  if limit then redis.call('HSET', KEYS[1], 'remaining', limit) end
end
local flying = redis.call('ZCARD', KEYS[2])
if (not remaining) or remaining - flying > 0 or ((not reset) and flying == 0) then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('EXPIRE', KEYS[1], 3600)
  redis.call('EXPIRE', KEYS[2], 3600)
  return '0'
end
if not reset then return '-1' end
return tostring(reset - now)
"""
RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
local limit, remaining, reset = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if limit then redis.call('HSET', KEYS[1], 'limit', limit) end
if remaining and reset then
  local known = tonumber(redis.call('HGET', KEYS[1], 'reset'))
  local left = tonumber(redis.call('HGET', KEYS[1], 'remaining'))
  if (not known) or reset > known then
    redis.call('HSET', KEYS[1], 'reset', reset, 'remaining', remaining)
  elseif reset == known and left and remaining < left then
    redis.call('HSET', KEYS[1], 'remaining', remaining)
  end
end
redis.call('EXPIRE', KEYS[1], 3600)
return 1
"""

_POLL = 0.005


class _Shared:
    """What the async and the thread pacer share: the scripts, the keys, the release."""

    def __init__(
        self,
        store: RedisStore,
        scope: str,
        clock: Clock,
        *,
        namespace: str = "intercom-phone-switch",
        flight_timeout: float = 60.0,
        fail_open: bool = False,
    ) -> None:
        self._store = store
        self._keys = [f"{namespace}:budget:{scope}", f"{namespace}:budget:{scope}:flight"]
        self._clock = clock
        self._flight_timeout = flight_timeout
        self._acquire = store.script(ACQUIRE)
        self._release = store.script(RELEASE)
        self._fail_open = fail_open
        self._lock = threading.Lock()
        self._mine: list[str] = []
        #: Seconds spent waiting for windows to reset, in total.
        self.waited: float = 0.0
        self._latest: RateLimit | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._keys[0]} in_flight_here={len(self._mine)}>"

    def _run(self, script: str, args: list[object]) -> Any:
        return self._store.run(script, self._keys, args)

    @property
    def latest(self) -> RateLimit | None:
        """What the latest answer this process saw said about the rate limit."""
        return self._latest

    def _try(self, token: str) -> float | None:
        """One attempt at taking room: None when taken (or unpaced, with fail_open),
        else the seconds to wait (negative: the budget is in flight, poll)."""
        try:
            answer = self._run(
                self._acquire, [repr(self._clock.time()), token, self._flight_timeout]
            )
        except StoreError as error:
            if self._fail_open:
                return None  # unpaced: fail_open was chosen
            raise GuardUnavailable(
                f"The shared rate budget could not be read, so nothing was sent: {error}"
            ) from None
        wait = min(float(answer), MAX_WINDOW_WAIT)
        if wait == 0:
            with self._lock:
                self._mine.append(token)
            return None
        return wait

    def _pause(self, wait: float, until: float | None) -> float | None:
        """How long to sleep before trying again, or None when that ends after ``until``."""
        pause = _POLL if wait < 0 else wait
        if until is not None and self._clock.monotonic() + pause > until:
            return None
        if wait >= 0:
            self.waited += wait
        return pause

    def release(self, answer: Mapping[str, str] | RateLimit | None) -> None:
        """A request taken with ``acquire`` finished; ``answer`` is its headers (None: no
        answer came). Never raises: an entry that cannot be released expires on its own."""
        with self._lock:
            token = self._mine.pop() if self._mine else ""
        reading = read_rate_limit(answer)
        known = RateLimit() if reading is None else reading.rate_limit()
        if reading is not None:
            self._latest = known
        args = ["" if value is None else value for value in known_values(known)]
        with contextlib.suppress(StoreError):
            self._run(self._release, [token, *args])


class SharedPacer(_Shared):
    """The bulk call's Pacer (acquire, release, latest) on a budget kept in Redis."""

    async def acquire(self, until: float | None = None) -> bool:
        """Wait until the shared window has room for one more request and take it (True),
        or answer False at once when that wait would end after ``until`` (monotonic)."""
        import asyncio

        token = uuid.uuid4().hex
        while True:
            wait = await asyncio.to_thread(self._try, token)
            if wait is None:
                return True
            pause = self._pause(wait, until)
            if pause is None:
                return False
            if wait < 0:
                await asyncio.sleep(pause)
            else:
                await self._clock.async_sleep(pause)


class SharedThreadPacer(_Shared):
    """The same budget for the threads of a synchronous bulk call."""

    def acquire(self, until: float | None = None) -> bool:
        """Wait until the shared window has room and take it (True), or False at once
        when that wait would end after ``until`` (monotonic)."""
        token = uuid.uuid4().hex
        while True:
            wait = self._try(token)
            if wait is None:
                return True
            pause = self._pause(wait, until)
            if pause is None:
                return False
            if wait < 0:
                time.sleep(pause)
            else:
                self._clock.sleep(pause)


def known_values(limit: RateLimit) -> tuple[int | None, int | None, int | None]:
    return limit.limit, limit.remaining, limit.reset
