"""Bounded waits for tests: every wait ends, and says what never happened.

A test that waits for something (a request to arrive, a waiter to register) waits with
``until``, never with a bare ``while ...: await asyncio.sleep(0)``: when what it waits
for never comes, the test fails after ``timeout`` seconds with a message naming it,
instead of hanging the suite.

Import it as ``from tests.waiting import until`` (the project root is on ``sys.path``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

#: Seconds a test waits for something that takes microseconds when all is well.
WAIT = 10.0


async def until(
    condition: Callable[[], bool],
    what: str | Callable[[], str],
    *,
    timeout: float = WAIT,
    interval: float = 0.0,
) -> None:
    """Let the event loop run until ``condition()`` holds.

    ``interval`` is the pause between two looks (0: yield to the other tasks once, which
    keeps the order in which they run). After ``timeout`` seconds raises AssertionError
    naming ``what`` (a text, or a function giving one, called only then).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"still waiting after {timeout:g} s for {described}")
        await asyncio.sleep(interval)
