"""One guarded call: claim the key (and the number's window), send, record the outcome.

The steps run on the store, so the sync client runs them in line and the async client in
a worker thread when the store does I/O. A call that finds its key pending polls the
store until the other call records an outcome, at most until the client's ``deadline``
after the call began (``call.waits_end``): what remains is its own attempt's time.

A claim lives as long as its call. Its lease is the call's deadline (``call.deadline``,
by which the client guarantees the call has ended) plus a margin; a call without a
deadline gets a short lease that a heartbeat (a thread for the sync client, a task for
the async one) renews while the call runs. The TTL only says how long an outcome is
remembered once recorded.

Whatever stops a call, it leaves nothing pending: stopped while it waits or claims (a
cancellation, an interrupt, a failing store), the claims it may have made are released
(nothing was sent); stopped while it sends, ``call.outcome()`` says what it did by then:
REFUSED releases the claims, anything else is recorded.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from intercom_phone_switch import Outcome
from intercom_phone_switch.errors import PhoneSwitchError
from intercom_phone_switch.results import PhoneSwitch

from ._errors import GuardUnavailable, KeyInFlight, SendWindowClosed
from ._guard import Guard, check_key
from ._payload import load, payload, state_of, stopped
from ._store import Payload, Record, StoreError

if TYPE_CHECKING:
    import asyncio

    from intercom_phone_switch.hooks import CallInfo

__all__ = ["LEASE_MARGIN", "run", "run_async"]

logger = logging.getLogger("intercom_phone_switch.guard")

_T = TypeVar("_T")
_HOST = socket.gethostname()
_FIRST_POLL = 0.005
_LAST_POLL = 0.2
#: Seconds a claim bounded by its call's deadline holds beyond it: the time to record the
#: outcome, and the clocks of the store and of this machine drifting apart.
LEASE_MARGIN = 5.0

#: What a step asks for: send now, wait this many seconds, or this outcome (replayed).
_SEND = "send"


_prefix: tuple[int, str] = (0, "")
_calls = itertools.count()


def _owner() -> str:
    """Unique per call across machines and processes: host, pid, a random part drawn
    once per process (again after a fork), and a counter."""
    global _prefix
    pid = os.getpid()
    if _prefix[0] != pid:
        _prefix = (pid, f"{_HOST}:{pid}:{uuid.uuid4().hex[:12]}")
    return f"{_prefix[1]}:{next(_calls)}"


class _Flow:
    """The claims of one call, and what it does with what it finds."""

    __slots__ = (
        "awaited",
        "call",
        "claimed",
        "ends",
        "guard",
        "key",
        "owner",
        "phone_key",
        "poll",
        "renewing",
        "tried",
    )

    def __init__(self, guard: Guard, call: CallInfo) -> None:
        self.guard = guard
        self.call = call
        key = call.key
        self.key = None if key is None else guard.key(check_key(key))
        self.phone_key = None if guard.per_phone_window is None else guard.phone_key(call.phone)
        self.owner = _owner()
        #: The store keys this call has claimed, and those it asked for (a claim that was
        #: interrupted may have gone through: those are released when the call stops).
        self.claimed: list[str] = []
        self.tried: list[str] = []
        #: Whether the claims hold a short lease that must be renewed (no deadline).
        self.renewing = False
        self.awaited: str | None = None
        #: How long a call waits for another call holding its key: until its waits must
        #: end, which leaves its own attempt the time it needs before its deadline.
        self.ends = call.waits_end
        self.poll = _FIRST_POLL

    @property
    def guarded(self) -> bool:
        return self.key is not None or self.phone_key is not None

    def _lease(self) -> float:
        """The lease of a claim made now: up to the call's deadline (plus a margin), or
        the guard's renewable lease when the call has none."""
        deadline = self.call.deadline
        if deadline is None:
            self.renewing = True
            return self.guard.lease
        return max(0.0, deadline - time.monotonic()) + LEASE_MARGIN

    def _claim(self, store_key: str, ttl: float) -> Record | None:
        lease = self._lease()
        if store_key not in self.tried:
            self.tried.append(store_key)
        found = self.guard.store.claim(store_key, self.owner, lease, max(ttl, lease))
        if found is None:
            self.claimed.append(store_key)
        return found

    def step(self) -> object:
        """_SEND, seconds to wait, or the outcome to return or raise instead of sending."""
        guard = self.guard
        store = guard.store
        try:
            if self.key is not None and self.key not in self.claimed:
                if self.awaited is not None:
                    found = store.get(self.key)
                    if (
                        found is not None
                        and found.state == "refused"
                        and (found.owner == self.awaited)
                    ):
                        return found  # the call we waited for was refused: so are we
                    if found is not None and found.state == "pending":
                        return self._wait(found)
                found = self._claim(self.key, guard.ttl)
                if found is not None:
                    if found.state == "pending":
                        return self._wait(found)
                    return found
            window = guard.per_phone_window
            phone_key = self.phone_key
            if phone_key is not None and window is not None and phone_key not in self.claimed:
                taken = self._claim(phone_key, window)
                if taken is not None:
                    closed = SendWindowClosed(
                        f"{self.call.phone} got a phone switch less than {window:g} s ago,"
                        " or one is being sent; nothing was sent.",
                        phone=self.call.phone,
                        window=window,
                        retry_after=taken.expires_in,
                        version=self.call.version,
                    )
                    self._finish_key(closed)
                    return closed
        except StoreError as error:
            if guard.fail_open:
                # What was claimed stays claimed, and is recorded if the store comes back.
                logger.warning(
                    "guard %s unavailable (%s); sending unguarded (fail_open)", guard.url, error
                )
                return _SEND
            self.abandon()
            raise GuardUnavailable(
                f"The guard could not claim the key, so nothing was sent: {error}",
                version=self.call.version,
            ) from None
        return _SEND

    def _wait(self, found: Record) -> object:
        self.awaited = found.owner
        now = time.monotonic()
        if self.ends is not None and now >= self.ends:
            return KeyInFlight(version=self.call.version)
        wait = self.poll
        self.poll = min(_LAST_POLL, self.poll * 1.5)
        return wait if self.ends is None else min(wait, max(0.0, self.ends - now))

    def replay(self, step: object) -> PhoneSwitch:
        """Return or raise what another call recorded (or a refusal of this call's own)."""
        outcome: Any = load(step) if isinstance(step, Record) else step
        if isinstance(outcome, BaseException):
            raise outcome
        switch: PhoneSwitch = outcome
        return switch

    def abandon(self) -> None:
        """Best effort, when the call stops before sending: free what it claimed, or may
        have claimed (a claim cut short may have gone through). Never raises."""
        store = self.guard.store
        for store_key in reversed(self.tried):
            try:
                store.release(store_key, self.owner)
            except StoreError as error:
                # The claim stays pending; its lease runs out, and it reads as unknown.
                logger.warning(
                    "guard %s: a claim could not be released (%s)", self.guard.url, error
                )
        self.tried.clear()
        self.claimed.clear()

    def renew(self) -> None:
        """Extend the claims' lease (a call without a deadline, still sending)."""
        store = self.guard.store
        for store_key in self.claimed:
            store.renew(store_key, self.owner, self.guard.lease)

    def _finish_key(self, outcome: PhoneSwitchError) -> None:
        if self.key is not None and self.key in self.claimed:
            guard = self.guard
            guard.store.finish(self.key, self.owner, "refused", payload(outcome), guard.ttl)
            self.claimed.remove(self.key)
            self.tried.remove(self.key)

    def _record(self, outcome: Outcome, recorded: Payload) -> None:
        """Record ``outcome`` for every claim: REFUSED frees the window (and keeps the
        refusal on the key, which is free again); anything else closes both."""
        guard = self.guard
        store = guard.store
        state = state_of(outcome)
        if self.key is not None and self.key in self.claimed:
            store.finish(self.key, self.owner, state, recorded, guard.ttl)
        window = guard.per_phone_window
        if self.phone_key is not None and self.phone_key in self.claimed and window is not None:
            if outcome is Outcome.REFUSED:
                store.release(self.phone_key, self.owner)
            else:
                store.finish(self.phone_key, self.owner, state, "", window)

    def settle(self, result: PhoneSwitch | PhoneSwitchError) -> None:
        """Record what ``deliver`` returned or raised; GuardUnavailable (fail closed)
        when the store fails."""
        if isinstance(result, PhoneSwitch):
            outcome = Outcome.ACCEPTED
        else:
            # The worst of the error's and the call's: an earlier attempt that may have
            # sent outweighs a later refusal.
            outcome = result.outcome.worst(self.call.outcome())
        try:
            self._record(outcome, payload(result))
        except StoreError as error:
            if self.guard.fail_open:
                logger.warning(
                    "guard %s unavailable (%s); outcome %s not recorded (fail_open)",
                    self.guard.url,
                    error,
                    outcome.value,
                )
                return
            raise GuardUnavailable(
                f"The guard could not record the outcome ({outcome.value}): {error}",
                outcome=outcome,
                recorded=result,
                version=self.call.version,
            ) from None

    def settle_stopped(self, error: BaseException) -> None:
        """``deliver`` was stopped by ``error`` (a cancellation, an interrupt, a bug): keep
        what the call did by then. Never raises: ``error`` is what the caller gets."""
        outcome = self.call.outcome()
        try:
            if outcome is Outcome.REFUSED:
                self.abandon()  # nothing was sent: the key and the window are free
            else:
                self._record(outcome, stopped(error, outcome, self.call.version))
        except StoreError as failure:
            logger.warning(
                "guard %s: the outcome (%s) of a call stopped by %s was not recorded (%s)",
                self.guard.url,
                outcome.value,
                type(error).__name__,
                failure,
            )


# -- the synchronous client --------------------------------------------------------------
class _Heartbeat:
    """Renews a flow's claims from a thread while its call runs (no deadline)."""

    def __init__(self, flow: _Flow) -> None:
        self._flow = flow
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name="phone-switch-guard-lease", daemon=True
        )
        self._thread.start()

    def _beat(self) -> None:
        flow = self._flow
        while not self._stopped.wait(flow.guard.lease / 3):
            try:
                flow.renew()
            except StoreError as error:
                logger.warning("guard %s: a lease could not be renewed (%s)", flow.guard.url, error)

    def stop(self) -> None:
        self._stopped.set()
        # At most one renewal is under way, bounded by the store's own timeouts.
        self._thread.join(timeout=max(5.0, self._flow.guard.lease))


def run(guard: Guard, call: CallInfo, deliver: Callable[[], PhoneSwitch]) -> PhoneSwitch:
    flow = _Flow(guard, call)
    if not flow.guarded:
        return deliver()
    try:
        while True:
            step = flow.step()
            if isinstance(step, float):
                time.sleep(step)
                continue
            break
    except BaseException:
        flow.abandon()  # interrupted while waiting or claiming: nothing was sent
        raise
    if step is not _SEND:
        return flow.replay(step)
    heartbeat = _Heartbeat(flow) if flow.renewing and flow.claimed else None
    try:
        result = deliver()
    except PhoneSwitchError as error:
        _stop(heartbeat)
        flow.settle(error)
        raise
    except BaseException as error:
        _stop(heartbeat)
        flow.settle_stopped(error)
        raise
    _stop(heartbeat)
    flow.settle(result)
    return result


def _stop(heartbeat: _Heartbeat | None) -> None:
    if heartbeat is not None:
        heartbeat.stop()


# -- the async client --------------------------------------------------------------------
async def _through(blocking: bool, function: Callable[[], _T]) -> _T:
    """``function()`` on the store: in a worker thread when the store blocks. A task
    cancelled meanwhile still waits for the thread to end (so that what it did can be
    undone), then takes its cancellation."""
    if not blocking:
        return function()
    import asyncio

    work = asyncio.ensure_future(asyncio.to_thread(function))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        await _wait_out(work)
        raise


async def _wait_out(work: asyncio.Future[Any]) -> None:
    """Wait until ``work`` is done, however often this task is cancelled meanwhile (each
    wait is bounded by the store's own timeouts); its result is dropped."""
    import asyncio

    while not work.done():
        try:
            await asyncio.wait([work])
        except asyncio.CancelledError:
            continue
    if not work.cancelled():
        work.exception()  # retrieved: no "never retrieved" warning


async def _renew_forever(flow: _Flow, blocking: bool) -> None:
    import asyncio

    while True:
        await asyncio.sleep(flow.guard.lease / 3)
        try:
            await _through(blocking, flow.renew)
        except StoreError as error:
            logger.warning("guard %s: a lease could not be renewed (%s)", flow.guard.url, error)


async def run_async(
    guard: Guard, call: CallInfo, deliver: Callable[[], Awaitable[PhoneSwitch]]
) -> PhoneSwitch:
    flow = _Flow(guard, call)
    if not flow.guarded:
        return await deliver()
    import asyncio  # here, not at the top: a sync client never loads asyncio

    blocking = guard.store.blocking
    try:
        while True:
            step = await _through(blocking, flow.step)
            if isinstance(step, float):
                await asyncio.sleep(step)
                continue
            break
    except BaseException:
        # Cancelled while waiting or claiming (the claim's thread has ended): free what
        # it may have claimed, even if cancelled again meanwhile.
        await _wait_out(asyncio.ensure_future(_through(blocking, flow.abandon)))
        raise
    if step is not _SEND:
        return flow.replay(step)
    renewal = (
        asyncio.ensure_future(_renew_forever(flow, blocking))
        if flow.renewing and flow.claimed
        else None
    )
    try:
        result = await deliver()
    except PhoneSwitchError as error:
        await _cancel(renewal)
        await _record(blocking, partial(flow.settle, error))
        raise
    except BaseException as error:
        await _cancel(renewal)
        await _record(blocking, partial(flow.settle_stopped, error))
        raise
    await _cancel(renewal)
    await _record(blocking, lambda: flow.settle(result))
    return result


async def _cancel(renewal: asyncio.Future[None] | None) -> None:
    if renewal is not None:
        renewal.cancel()
        await _wait_out(renewal)


async def _record(blocking: bool, settle: Callable[[], None]) -> None:
    """Record the outcome, to the end even if this task is cancelled meanwhile; then the
    cancellation (or the store's failure) is raised."""
    import asyncio

    work = asyncio.ensure_future(_through(blocking, settle))
    try:
        await asyncio.shield(work)
    except asyncio.CancelledError:
        await _wait_out(work)
        raise
