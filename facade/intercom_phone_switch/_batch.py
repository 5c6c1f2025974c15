"""Bulk sending: a batch of phone switches that keeps every item's outcome, whatever happens.

A batch is created by a client (``client.phone_switch_batch(items)``) and held by the
caller. Running it sends each item at most once, paced on the rate-limit headers (see
_bulk), and records one BatchEntry per item: its ItemState and its outcome. Whatever stops
the run (a cancelled task, ``asyncio.wait_for`` timing out, a failing TaskGroup, Ctrl-C
in a synchronous batch) the entries stay readable, no request is still under way once
the run has returned or raised, and ``not_started()`` lists exactly the items that can be
sent again without texting anyone twice.

Per item, nothing but its own outcome can come out of processing it: an exception that is
not a PhoneSwitchError becomes UnprocessableItem when it struck before anything was sent,
and DeliveryUnknown when the request may have gone out.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import threading
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ._bulk import Pacer, ThreadPacer, unpack
from ._http import last_response
from ._logging import logger
from ._outcome import Outcome as _Sent
from .errors import DeliveryUnknown, PhoneSwitchError, RateLimited, UnexpectedResponse
from .results import PhoneSwitch

if TYPE_CHECKING:
    import httpx

    from ._client import AsyncPhoneSwitchClient, PhoneSwitchClient
    from ._hooks import AsyncPacer, SendHook
    from ._hooks import ThreadPacer as _ThreadPacer

__all__ = [
    "AsyncPhoneSwitchBatch",
    "BatchEntry",
    "ItemState",
    "PhoneSwitchBatch",
    "SendInterrupted",
    "UnprocessableItem",
]

Outcome = PhoneSwitch | PhoneSwitchError


class SendInterrupted(DeliveryUnknown):
    """The batch was stopped (cancelled, timed out) while this item's request was under
    way: an SMS may or may not have been sent."""

    summary = "The batch was stopped while this request was under way; an SMS may have been sent."


class UnprocessableItem(PhoneSwitchError):
    """This item could not be processed: an unexpected error (its ``__cause__``) struck
    before any request for it was sent. Nothing was sent."""

    summary = "The item could not be processed; nothing was sent."


class ItemState(str, enum.Enum):
    """Where one item of a batch stands. After a run has returned or raised, every item is
    in one of the last five."""

    #: Being processed (only while the batch runs).
    RUNNING = "running"
    #: Intercom accepted it: the outcome is its PhoneSwitch (or an error with a 2xx status).
    ACCEPTED = "accepted"
    #: No SMS was sent: the outcome is the PhoneSwitchError saying why.
    REFUSED = "refused"
    #: An SMS may have been sent: the outcome is a DeliveryUnknown (no usable answer).
    UNKNOWN = "unknown"
    #: The batch was stopped while its request was under way: the outcome is a
    #: SendInterrupted (a DeliveryUnknown); an SMS may have been sent.
    INTERRUPTED = "interrupted"
    #: Nothing was sent for it: the run stopped before it. Safe to send again.
    NOT_STARTED = "not_started"

    def __str__(self) -> str:
        return self.value


def state_of(outcome: Outcome) -> ItemState:
    """The final ItemState an outcome stands for."""
    if isinstance(outcome, PhoneSwitch):
        return ItemState.ACCEPTED
    if isinstance(outcome, SendInterrupted):
        return ItemState.INTERRUPTED
    if isinstance(outcome, DeliveryUnknown):
        return ItemState.UNKNOWN
    status = outcome.status
    if status is not None and 200 <= status < 300:
        return ItemState.ACCEPTED  # any 2xx: Intercom accepted the request
    if isinstance(outcome, UnexpectedResponse) and not (status is not None and status < 500):
        return ItemState.UNKNOWN
    return ItemState.REFUSED


class BatchEntry:
    """One item of a batch: ``item`` as the caller gave it, its ``state`` and ``outcome``
    (None until it has one: while NOT_STARTED or RUNNING)."""

    __slots__ = ("_outcome", "_state", "index", "item")

    def __init__(self, index: int, item: object) -> None:
        self.index = index
        self.item = item
        self._state = ItemState.NOT_STARTED
        self._outcome: Outcome | None = None

    @property
    def state(self) -> ItemState:
        return self._state

    @property
    def outcome(self) -> Outcome | None:
        return self._outcome

    @property
    def switch(self) -> PhoneSwitch | None:
        """The PhoneSwitch, when Intercom accepted the item with a readable answer."""
        return self._outcome if isinstance(self._outcome, PhoneSwitch) else None

    @property
    def error(self) -> PhoneSwitchError | None:
        return self._outcome if isinstance(self._outcome, PhoneSwitchError) else None

    def __repr__(self) -> str:
        outcome = "" if self._outcome is None else f" {type(self._outcome).__name__}"
        return f"<BatchEntry {self.index} {self._state.value}{outcome}>"

    def _finish(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self._state = state_of(outcome)

    def _broken(self, error: BaseException) -> None:
        """Processing this item failed in a way nothing else caught."""
        if self._state is ItemState.RUNNING:
            outcome = DeliveryUnknown(
                f"processing this item failed ({type(error).__name__}); an SMS may or may "
                "not have been sent"
            )
            outcome.__cause__ = error
            self._finish(outcome)

    def _stopped(self, maybe_sent: PhoneSwitchError | None) -> None:
        """The run stopped while this item waited (for the pacer or a retry)."""
        if maybe_sent is not None:
            self._finish(maybe_sent)
        else:
            self._state, self._outcome = ItemState.NOT_STARTED, None


_Client = TypeVar("_Client", "AsyncPhoneSwitchClient", "PhoneSwitchClient")


class _Batch(Generic[_Client]):
    """What the async and the sync batch share."""

    def __init__(
        self,
        client: _Client,
        items: Iterable[object],
        *,
        concurrency: int,
        version: str | None,
        deadline: float | None,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError("concurrency must be an integer of at least 1")
        if deadline is not None and not deadline >= 0:
            raise ValueError("deadline must be None or 0 or more seconds")
        self._client: _Client = client
        self._entries = tuple(BatchEntry(index, item) for index, item in enumerate(items))
        #: Each item's idempotency key.
        self._keys = tuple(_key_of(entry.item) for entry in self._entries)
        #: Whether each item goes through the client's hook (a key without a guard, or a
        #: malformed one: ValueError here, nothing sent).
        self._hooked = tuple(client._hooked(key) is not None for key in self._keys)
        self._concurrency = concurrency
        self._version = version
        self._deadline = deadline
        self._running = False
        self._until: float | None = None

    # -- reading ------------------------------------------------------------------------
    @property
    def entries(self) -> tuple[BatchEntry, ...]:
        """One BatchEntry per item, in the order of the items."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def running(self) -> bool:
        return self._running

    def select(self, *states: ItemState) -> list[BatchEntry]:
        """The entries in any of ``states``, in input order."""
        return [entry for entry in self._entries if entry.state in states]

    def not_started(self) -> list[object]:
        """The items (as given) for which nothing was sent: exactly those safe to send again."""
        return [entry.item for entry in self.select(ItemState.NOT_STARTED)]

    def counts(self) -> dict[ItemState, int]:
        """How many entries are in each state (states with none left out)."""
        counts: dict[ItemState, int] = {}
        for entry in self._entries:
            counts[entry.state] = counts.get(entry.state, 0) + 1
        return counts

    def outcomes(self) -> list[Outcome]:
        """Every item's outcome in input order; RuntimeError while any has none."""
        missing = self.select(ItemState.NOT_STARTED, ItemState.RUNNING)
        if missing:
            raise RuntimeError(
                f"{len(missing)} of {len(self._entries)} items have no outcome (not started)"
            )
        return [entry.outcome for entry in self._entries]  # type: ignore[misc]

    def __repr__(self) -> str:
        counts = ", ".join(f"{state.value}={n}" for state, n in self.counts().items())
        return f"<{type(self).__name__} of {len(self._entries)}: {counts or 'empty'}>"

    # -- the parts of processing one item -------------------------------------------------
    def _start(self) -> deque[BatchEntry]:
        if self._running:
            raise RuntimeError("this batch is already running")
        self._running = True
        clock = self._client._policy.clock
        self._until = None if self._deadline is None else clock.monotonic() + self._deadline
        return deque(self.select(ItemState.NOT_STARTED))

    def _stop(self, reason: BaseException | None) -> None:
        self._running = False
        if reason is not None and logger.isEnabledFor(logging.WARNING):
            counts = ", ".join(f"{n} {state.value}" for state, n in self.counts().items())
            logger.warning(
                "bulk send stopped by %s: %s", type(reason).__name__, counts or "no items"
            )

    def _item_until(self, began: float) -> float | None:
        """The monotonic time no wait for this item may end after."""
        limits = [self._until]
        deadline = self._client._policy.deadline
        if deadline is not None:
            limits.append(began + deadline)
        known = [limit for limit in limits if limit is not None]
        return min(known) if known else None

    def _prepare(self, entry: BatchEntry) -> Any:
        """The checked call of an entry, or None once the entry has its refusal."""
        try:
            phone, attributes = unpack(entry.item)
            return self._client._prepare(phone, attributes, self._version)
        except PhoneSwitchError as error:
            entry._finish(error)
        except Exception as error:
            entry._finish(_unprocessable(error, self._version or self._client.version))
        return None

    def _hook_of(self, entry: BatchEntry, call: Any) -> SendHook | None:
        """The hook an item goes through (its call told its key), or None: unguarded."""
        if not self._hooked[entry.index]:
            return None
        call.key = self._keys[entry.index]
        return self._client._hook

    def _retry_wait(
        self, error: PhoneSwitchError, attempt: int, began: float, until: float | None
    ) -> float | None:
        try:
            wait: float | None = self._client._retry_delay(error, attempt, began)
        except Exception:  # an absurd header, say: no retry rather than no outcome
            return None
        clock = self._client._policy.clock
        if wait is not None and until is not None and clock.monotonic() + wait > until:
            return None
        return wait


def _key_of(item: object) -> str | None:
    """The idempotency key of a bulk item: a mapping's "idempotency_key", if any (an int
    is taken as its digits); the guard checks it."""
    if isinstance(item, Mapping):
        key: object = item.get("idempotency_key")
        if isinstance(key, int) and not isinstance(key, bool):
            return str(key)
        return cast("str | None", key)  # any other type: the guard refuses it
    return None


def _switch_or_raise(outcome: Outcome) -> PhoneSwitch:
    if isinstance(outcome, PhoneSwitchError):
        raise outcome
    return outcome


def _unprocessable(error: Exception, version: str) -> UnprocessableItem:
    refusal = UnprocessableItem(
        f"the item could not be processed ({type(error).__name__}); nothing was sent",
        version=version,
    )
    refusal.__cause__ = error
    return refusal


def _maybe_sent(error: PhoneSwitchError) -> bool:
    return state_of(error) is not ItemState.REFUSED


def _final(error: PhoneSwitchError, maybe_sent: PhoneSwitchError | None) -> PhoneSwitchError:
    """The outcome of an item whose last attempt failed with ``error``: an earlier attempt
    that may have sent an SMS outweighs a later refusal."""
    if maybe_sent is not None and not _maybe_sent(error):
        return maybe_sent
    return error


def _stopped_in_hook(entry: BatchEntry, delivered: list[Outcome]) -> None:
    """The run stopped the item inside its hook: before its deliver (waiting for another
    call's key, or claiming), nothing was sent; after it returned (while the hook
    recorded), the item has that outcome. Stopped inside its deliver, the deliver has
    already given the entry its state."""
    if entry.state is ItemState.RUNNING:
        if delivered:
            entry._finish(delivered[0])
        else:
            entry._stopped(None)


def _too_late(pacer: AsyncPacer | _ThreadPacer, call: Any, attempts: int) -> RateLimited:
    return RateLimited(
        "the rate-limit window does not reset before the deadline; nothing was sent",
        rate_limit=pacer.latest,
        version=call.version,
        attempts=attempts,
    )


def _after_sending(
    error: Exception, response: httpx.Response | None, call: Any, attempt: int
) -> PhoneSwitchError:
    """The outcome of an attempt that failed with an unexpected exception."""
    status = None if response is None else response.status_code
    name = type(error).__name__
    if status is not None and 200 <= status < 300:
        outcome: PhoneSwitchError = UnexpectedResponse(
            f"Intercom accepted the request (status {status}), but its answer could not be "
            f"read ({name})",
            status=status,
            version=call.version,
            attempts=attempt,
            outcome=_Sent.ACCEPTED,
        )
    else:
        outcome = DeliveryUnknown(
            f"the request may have reached Intercom, but handling it failed ({name}); "
            "an SMS may or may not have been sent",
            status=status,
            version=call.version,
            attempts=attempt,
        )
    outcome.__cause__ = error
    return outcome


def _headers(response: httpx.Response | None) -> Any:
    return None if response is None else response.headers


class AsyncPhoneSwitchBatch(_Batch["AsyncPhoneSwitchClient"]):
    """A batch of phone switches for an AsyncPhoneSwitchClient (see phone_switch_batch)."""

    def __init__(self, client: AsyncPhoneSwitchClient, items: Iterable[object], **kw: Any) -> None:
        super().__init__(client, items, **kw)
        self._streams: list[AsyncGenerator[BatchEntry, None]] = []

    async def run(self) -> list[Outcome]:
        """Send every item not yet started; return every item's outcome in input order.

        Raises CancelledError when cancelled, after every request under way has been
        stopped; the entries then tell what became of each item.
        """
        await self._drive(None)
        return self.outcomes()

    def __aiter__(self) -> AsyncIterator[BatchEntry]:
        """``async for entry in batch``: run it, getting each entry as it ends.

        To leave the loop early, iterate inside ``async with batch:``: leaving that block
        stops the run (entries under way end INTERRUPTED) and waits until it has stopped.
        """
        stream = self._stream()
        self._streams.append(stream)
        return stream

    async def aclose(self) -> None:
        """Stop a run started by ``async for`` and wait until nothing is under way."""
        while self._streams:
            await self._streams.pop().aclose()

    async def __aenter__(self) -> AsyncPhoneSwitchBatch:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _stream(self) -> AsyncGenerator[BatchEntry, None]:
        done: asyncio.Queue[BatchEntry | None] = asyncio.Queue()
        runner = asyncio.ensure_future(self._drive(done.put_nowait))
        runner.add_done_callback(lambda _: done.put_nowait(None))
        try:
            while (entry := await done.get()) is not None:
                yield entry
            await runner
        finally:
            if not runner.done():
                runner.cancel()
                await _settle([runner])

    async def _drive(self, notify: Callable[[BatchEntry], None] | None) -> None:
        queue = self._start()
        client = self._client
        clock = client._policy.clock
        # A guard may pace every process sending through the app on one shared budget.
        hook = client._hook
        shared = None if hook is None else hook.pacer(client._pacer_scope(), clock)
        pacer: AsyncPacer = Pacer(clock) if shared is None else shared

        async def worker() -> None:
            while queue:
                entry = queue.popleft()
                try:
                    await self._process(entry, pacer)
                except Exception as error:  # a bug of ours: still an outcome
                    entry._broken(error)
                if notify is not None:
                    notify(entry)

        count = min(self._concurrency, len(queue))
        workers = [asyncio.ensure_future(worker()) for _ in range(count)]
        reason: BaseException | None = None
        try:
            await asyncio.gather(*workers)
        except BaseException as error:
            # Cancelled (or a bug): stop every worker and wait until each has stopped, so
            # that no request is under way once this call has ended.
            reason = error
            for task in workers:
                task.cancel()
            await _settle(workers)
            raise
        finally:
            self._stop(reason)

    async def _process(self, entry: BatchEntry, pacer: AsyncPacer) -> None:
        entry._state = ItemState.RUNNING
        began = self._client._policy.clock.monotonic()
        call = self._prepare(entry)
        if call is None:
            return
        hook = self._hook_of(entry, call)
        if hook is None:
            entry._finish(await self._deliver(entry, call, pacer, began))
            return
        delivered: list[Outcome] = []

        async def deliver() -> PhoneSwitch:
            outcome = await self._deliver(entry, call, pacer, began)
            delivered.append(outcome)
            return _switch_or_raise(outcome)

        try:
            entry._finish(await hook.run_async(call, deliver))
        except PhoneSwitchError as error:
            entry._finish(error)
        except BaseException:
            _stopped_in_hook(entry, delivered)
            raise

    async def _deliver(
        self, entry: BatchEntry, call: Any, pacer: AsyncPacer, began: float
    ) -> Outcome:
        client = self._client
        clock = client._policy.clock
        until = self._item_until(began)
        attempt = 0
        maybe_sent: PhoneSwitchError | None = None  # an earlier attempt that may have sent
        while True:
            try:
                room = await pacer.acquire(until)
            except Exception as failure:  # nothing sent on this attempt
                return maybe_sent or _unprocessable(failure, call.version)
            except BaseException:
                entry._stopped(maybe_sent)
                raise
            if not room:
                return maybe_sent or _too_late(pacer, call, attempt)
            attempt += 1
            response = None
            try:
                try:
                    return await client._attempt(call, attempt)
                finally:
                    response = last_response.get()
                    last_response.set(None)  # the item keeps it; the context does not
                    pacer.release(_headers(response))
            except PhoneSwitchError as failure:
                error = failure
            except Exception as failure:
                error = _after_sending(failure, response, call, attempt)
            except BaseException:
                entry._finish(
                    SendInterrupted(
                        "the batch was stopped while this request was under way; an SMS "
                        "may or may not have been sent",
                        version=call.version,
                        attempts=attempt,
                    )
                )
                raise
            if _maybe_sent(error):
                maybe_sent = maybe_sent or error
            wait = self._retry_wait(error, attempt, began, until)
            if wait is None:
                return _final(error, maybe_sent)
            try:
                await clock.async_sleep(wait)
            except Exception:  # a caller's clock that fails: no retry
                return _final(error, maybe_sent)
            except BaseException:
                entry._stopped(maybe_sent)
                raise


async def _settle(tasks: Sequence[asyncio.Future[Any]]) -> None:
    """Wait until every task is done, even if the waiting task is cancelled meanwhile."""
    cancelled = False
    while True:
        try:
            await asyncio.wait(tasks)
            break
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError


class PhoneSwitchBatch(_Batch["PhoneSwitchClient"]):
    """A batch of phone switches for a PhoneSwitchClient, sent from a pool of threads.

    A KeyboardInterrupt (or any exception) in the thread running it stops the batch: no
    new item starts, the requests under way finish with their real outcome, and then the
    exception propagates.
    """

    def __init__(self, client: PhoneSwitchClient, items: Iterable[object], **kw: Any) -> None:
        super().__init__(client, items, **kw)
        self._iterators: list[Generator[BatchEntry, None, None]] = []

    def run(self) -> list[Outcome]:
        """Send every item not yet started; return every item's outcome in input order."""
        drive = self._drive()
        try:
            for _ in drive:
                pass
        finally:
            drive.close()  # interrupted out here: stop the run before going on
        return self.outcomes()

    def __iter__(self) -> Iterator[BatchEntry]:
        """``for entry in batch``: run it, getting each entry as it ends. To leave the loop
        early, iterate inside ``with batch:``, which stops the run on leaving."""
        drive = self._drive()
        self._iterators.append(drive)
        return drive

    def close(self) -> None:
        """Stop a run started by ``for`` and wait until nothing is under way."""
        while self._iterators:
            self._iterators.pop().close()

    def __enter__(self) -> PhoneSwitchBatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _drive(self) -> Generator[BatchEntry, None, None]:
        queue = self._start()
        total = len(queue)
        client = self._client
        clock = client._policy.clock
        hook = client._hook
        shared = None if hook is None else hook.thread_pacer(client._pacer_scope(), clock)
        pacer: _ThreadPacer = ThreadPacer(clock) if shared is None else shared
        workers = _Workers(queue)
        ended: SimpleQueue[BatchEntry] = SimpleQueue()

        def worker() -> None:
            with workers.running():
                while (entry := workers.take()) is not None:
                    try:
                        self._process(entry, pacer)
                    except BaseException as error:  # a bug of ours: still an outcome
                        entry._broken(error)
                    ended.put(entry)

        reason: BaseException | None = None
        count = min(self._concurrency, total)
        pool = ThreadPoolExecutor(max_workers=max(count, 1), thread_name_prefix="phone-switch")
        try:
            for _ in range(count):
                pool.submit(worker)
            for _ in range(total):
                yield ended.get()
        except BaseException as error:
            # Interrupted (Ctrl-C), or the loop over the entries was left: no new item
            # starts, and the batch ends once the items under way have their outcomes.
            reason = error
            workers.stop()
            raise
        finally:
            self._stop(reason)
            _shutdown(pool)

    def _process(self, entry: BatchEntry, pacer: _ThreadPacer) -> None:
        entry._state = ItemState.RUNNING
        began = self._client._policy.clock.monotonic()
        call = self._prepare(entry)
        if call is None:
            return
        hook = self._hook_of(entry, call)
        if hook is None:
            entry._finish(self._deliver(call, pacer, began))
            return
        try:
            deliver = lambda: _switch_or_raise(self._deliver(call, pacer, began))  # noqa: E731
            entry._finish(hook.run(call, deliver))
        except PhoneSwitchError as error:
            entry._finish(error)

    def _deliver(self, call: Any, pacer: _ThreadPacer, began: float) -> Outcome:
        client = self._client
        clock = client._policy.clock
        until = self._item_until(began)
        attempt = 0
        maybe_sent: PhoneSwitchError | None = None
        while True:
            if not pacer.acquire(until):
                return maybe_sent or _too_late(pacer, call, attempt)
            attempt += 1
            response = None
            try:
                try:
                    return client._attempt(call, attempt)
                finally:
                    response = last_response.get()
                    last_response.set(None)  # the item keeps it; the context does not
                    pacer.release(_headers(response))
            except PhoneSwitchError as failure:
                error = failure
            except Exception as failure:
                error = _after_sending(failure, response, call, attempt)
            if _maybe_sent(error):
                maybe_sent = maybe_sent or error
            wait = self._retry_wait(error, attempt, began, until)
            if wait is None:
                return _final(error, maybe_sent)
            clock.sleep(wait)


def _shutdown(pool: ThreadPoolExecutor) -> None:
    while True:
        try:
            pool.shutdown(wait=True)
            return
        except BaseException:  # the threads are done with their items; let them exit
            continue


class _Workers:
    """The worker threads of a running batch: who takes the next item, and who is busy.

    ``stop`` returns once no worker holds an item, however often it is interrupted. It
    counts the workers itself: an interrupt can strike while a pool starts a thread and
    lose that thread's future.
    """

    def __init__(self, queue: deque[BatchEntry]) -> None:
        self._queue = queue
        self._changed = threading.Condition()
        self._stopped = False
        self._busy = 0

    def take(self) -> BatchEntry | None:
        with self._changed:
            return None if self._stopped or not self._queue else self._queue.popleft()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with self._changed:
            self._busy += 1
        try:
            yield
        finally:
            with self._changed:
                self._busy -= 1
                self._changed.notify_all()

    def stop(self) -> None:
        while True:
            try:
                with self._changed:
                    self._stopped = True
                    while self._busy:
                        self._changed.wait()
                return
            except BaseException:  # interrupted again: the workers must still end first
                continue
