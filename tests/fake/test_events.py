"""Change notification across threads and event loops."""

from __future__ import annotations

import asyncio
import threading

from intercom_phone_switch.fake._events import Changes
from tests.waiting import until


def test_wait_returns_at_once_when_the_revision_moved_on() -> None:
    changes = Changes()
    seen = changes.revision
    changes.notify()
    assert asyncio.run(asyncio.wait_for(changes.wait(seen, timeout=60), 5)) == seen + 1


def test_wait_without_a_change_ends_with_its_timeout() -> None:
    changes = Changes()
    assert asyncio.run(changes.wait(changes.revision, timeout=0.01)) == 0
    assert "waiters=0" in repr(changes)


def test_a_notify_from_another_thread_wakes_the_waiter() -> None:
    changes = Changes()

    async def main() -> int:
        seen = changes.revision
        waiting = asyncio.ensure_future(changes.wait(seen, timeout=60))
        await until(lambda: "waiters=1" in repr(changes), "the waiter to register", interval=0.001)
        threading.Thread(target=changes.notify).start()
        # Far shorter than the wait's own timeout: only the notify can end it in time.
        return await asyncio.wait_for(waiting, 20)

    assert asyncio.run(main()) == 1
    assert "waiters=0" in repr(changes)


def test_waiters_on_two_loops_both_wake() -> None:
    changes = Changes()
    results: list[int] = []
    ready = threading.Barrier(3)

    def wait_in_own_loop() -> None:
        async def main() -> int:
            waiting = asyncio.ensure_future(changes.wait(0, timeout=60))
            await asyncio.sleep(0)
            ready.wait(10)
            return await asyncio.wait_for(waiting, 20)

        results.append(asyncio.run(main()))

    threads = [threading.Thread(target=wait_in_own_loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    ready.wait(10)
    changes.notify()
    for thread in threads:
        thread.join(30)
    assert results == [1, 1]


def test_a_notify_after_the_waiters_loop_closed_is_harmless() -> None:
    changes = Changes()
    loop = asyncio.new_event_loop()
    changes._waiters.add((loop, asyncio.Event()))
    loop.close()
    changes.notify()
    assert changes.revision == 1
