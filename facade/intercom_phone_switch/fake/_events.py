"""Change notification: "the workspace changed", from any thread to waiters on any loop.

The fake calls ``Changes.notify`` after each request that may have changed its state;
the web page's event stream waits on ``Changes.wait``. Notifying costs a counter
increment when nobody waits, so the endpoint's speed does not depend on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading


class Changes:
    """A revision number that grows on every change, and the waiters to wake."""

    def __init__(self) -> None:
        self._revision = 0
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def revision(self) -> int:
        return self._revision

    def notify(self) -> None:
        """Record a change and wake every waiter (callable from any thread). With nobody
        waiting it only counts: no lock, no copy."""
        self._revision = next(self._counter)  # atomic, unlike += from several threads
        if not self._waiters:
            # A waiter being added now looks at the revision again once it is in the
            # set (see wait), so it cannot miss this change.
            return
        with self._lock:
            waiters = tuple(self._waiters)
        for loop, event in waiters:
            if not event.is_set():
                # RuntimeError: that loop is closed, and its waiter gone with it.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(event.set)

    async def wait(self, seen: int, timeout: float) -> int:
        """The revision once it differs from ``seen``, or after ``timeout`` seconds."""
        event = asyncio.Event()
        waiter = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._revision != seen:
                return self._revision
            self._waiters.add(waiter)
        if self._revision != seen:  # a notify that found the set still empty
            with self._lock:
                self._waiters.discard(waiter)
            return self._revision
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(waiter)
        return self._revision

    def __repr__(self) -> str:
        return f"<Changes revision={self._revision} waiters={len(self._waiters)}>"
