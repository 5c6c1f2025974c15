"""Bulk sending: a batch of phone switches that keeps every item's outcome, whatever happens.

A batch is created by a client (``client.phone_switch_batch(items)``) and held by the
caller. Running it sends each item at most once, paced on the rate-limit headers (see
_bulk), and records one BatchEntry per item: its ItemState and its outcome. It talks to
the client through the client's public API only: ``prepare`` checks an item,
``send_prepared`` sends it (through the guard, with the run's pacer), ``pacer`` gives the
run its pacer and ``retry_policy`` its clock and deadline.

Whatever stops the run (a cancelled task, ``asyncio.wait_for`` timing out, a failing
TaskGroup, Ctrl-C in a synchronous batch) every entry ends in a final state read from its
call's outcome: NOT_STARTED when nothing of its request was handed over (safe to send
again: ``not_started()``), INTERRUPTED when it was and no answer came, ACCEPTED or REFUSED
by the status when one came. No request is still under way once the run has returned or
raised.

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
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._logging import logger
from ._outcome import Outcome
from ._settings import checked_seconds
from .errors import (
    DeliveryUnknown,
    PhoneSwitchError,
    SendInterrupted,
    UnexpectedResponse,
    UnprocessableItem,
)
from .hooks import check_key
from .results import PhoneSwitch

if TYPE_CHECKING:
    from ._attempts import Call
    from ._client import AsyncPhoneSwitchClient, PhoneSwitchClient
    from .hooks import AsyncPacer, ThreadPacer

__all__ = [
    "AsyncPhoneSwitchBatch",
    "BatchEntry",
    "ItemState",
    "PhoneSwitchBatch",
    "SendInterrupted",
    "UnprocessableItem",
]

Result = PhoneSwitch | PhoneSwitchError


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
    #: Nothing was sent for it: the run stopped before its request was handed over.
    #: Safe to send again.
    NOT_STARTED = "not_started"

    def __str__(self) -> str:
        return self.value


_BY_OUTCOME = {
    Outcome.ACCEPTED: ItemState.ACCEPTED,
    Outcome.REFUSED: ItemState.REFUSED,
    Outcome.UNKNOWN: ItemState.UNKNOWN,
}


def state_of(result: Result) -> ItemState:
    """The final ItemState a result stands for: its outcome's."""
    if isinstance(result, PhoneSwitch):
        return ItemState.ACCEPTED
    if isinstance(result, SendInterrupted) and result.outcome is Outcome.UNKNOWN:
        return ItemState.INTERRUPTED
    return _BY_OUTCOME[result.outcome]


def _key(item: Mapping[str, Any]) -> str | None:
    key = item.get("idempotency_key")
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    return None if key is None else check_key(key)


def unpack(item: object) -> tuple[object, Any, str | None]:
    """(phone, custom_attributes, idempotency key) of a bulk item: a phone, a pair, or a
    mapping with "phone" and optionally "custom_attributes" and "idempotency_key"."""
    if isinstance(item, tuple) and len(item) == 2:
        return item[0], item[1], None
    if isinstance(item, Mapping) and "phone" in item:
        return item["phone"], item.get("custom_attributes"), _key(item)
    return item, None, None


class BatchEntry:
    """One item of a batch: ``item`` as the caller gave it, its ``state`` and ``outcome``
    (None until it has one: while NOT_STARTED or RUNNING)."""

    __slots__ = ("_outcome", "_state", "index", "item")

    def __init__(self, index: int, item: object) -> None:
        self.index: int = index
        self.item: object = item
        self._state = ItemState.NOT_STARTED
        self._outcome: Result | None = None

    @property
    def state(self) -> ItemState:
        return self._state

    @property
    def outcome(self) -> Result | None:
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

    def _finish(self, result: Result) -> None:
        self._outcome = result
        self._state = state_of(result)

    def _stopped(self, call: Call | None, version: str) -> None:
        """The run stopped while this item was being processed: its final state is what
        its call had done by then."""
        if self._state is not ItemState.RUNNING:
            return
        if call is not None and call.result is not None:
            self._finish(call.result)  # it had its result; a hook was still recording it
            return
        outcome = Outcome.REFUSED if call is None else call.outcome()
        if outcome is Outcome.REFUSED:
            self._state, self._outcome = ItemState.NOT_STARTED, None
            return
        self._finish(
            SendInterrupted(
                "the batch was stopped while this request was under way; "
                + (
                    "Intercom had accepted it, so the SMS went out"
                    if outcome is Outcome.ACCEPTED
                    else "an SMS may or may not have been sent"
                ),
                version=version,
                outcome=outcome,
            )
        )

    def _broken(self, error: BaseException, call: Call | None, version: str) -> None:
        """Processing this item failed in a way nothing else caught (a bug of ours, or of a
        caller's hook): its outcome is still what its call had done by then."""
        if self._state is not ItemState.RUNNING:
            return
        outcome = Outcome.REFUSED if call is None else call.outcome()
        name = type(error).__name__
        result: PhoneSwitchError
        if outcome is Outcome.REFUSED:
            result = UnprocessableItem(
                f"the item could not be processed ({name}); nothing was sent", version=version
            )
        elif outcome is Outcome.ACCEPTED:
            result = UnexpectedResponse(
                f"Intercom accepted the request, but processing the item failed ({name})",
                version=version,
                outcome=outcome,
            )
        else:
            result = DeliveryUnknown(
                f"processing this item failed ({name}); an SMS may or may not have been sent",
                version=version,
            )
        result.__cause__ = error
        self._finish(result)


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
        deadline = checked_seconds("deadline", deadline, zero=True)
        self._client: _Client = client
        self._entries = tuple(BatchEntry(index, item) for index, item in enumerate(items))
        # A malformed idempotency key: ValueError here, before anything is sent (an item
        # that cannot even be read fails when it is processed, on its own).
        for entry in self._entries:
            if isinstance(entry.item, Mapping):
                try:
                    readable = "phone" in entry.item
                except Exception:
                    readable = False
                if readable and _key(entry.item) is not None and client.guard is None:
                    raise ValueError(
                        f"item {entry.index} has an idempotency_key, which needs a guard to "
                        "keep it: create the client with guard=Guard('memory://')"
                    )
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

    def outcomes(self) -> list[Result]:
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
        clock = self._client.retry_policy.clock
        self._until = None if self._deadline is None else clock.monotonic() + self._deadline
        return deque(self.select(ItemState.NOT_STARTED))

    def _stop(self, reason: BaseException | None) -> None:
        self._running = False
        if reason is not None and logger.isEnabledFor(logging.WARNING):
            counts = ", ".join(f"{n} {state.value}" for state, n in self.counts().items())
            logger.warning(
                "bulk send stopped by %s: %s", type(reason).__name__, counts or "no items"
            )

    @property
    def _item_version(self) -> str:
        return self._version or self._client.version

    def _prepare(self, entry: BatchEntry) -> tuple[Call | None, float | None]:
        """The item's prepared call and the time no wait for it may end after; (None,
        None) once the entry has its refusal."""
        entry._state = ItemState.RUNNING
        try:
            phone, attributes, key = unpack(entry.item)
            call = self._client.prepare(
                phone, attributes, version=self._version, idempotency_key=key
            )
        except PhoneSwitchError as error:
            entry._finish(error)
            return None, None
        except Exception as error:
            refusal = UnprocessableItem(
                f"the item could not be processed ({type(error).__name__}); nothing was sent",
                version=self._item_version,
            )
            refusal.__cause__ = error
            entry._finish(refusal)
            return None, None
        limits = [self._until]
        deadline = self._client.retry_policy.deadline
        if deadline is not None:
            limits.append(call.started + deadline)
        known = [limit for limit in limits if limit is not None]
        return call, (min(known) if known else None)


class AsyncPhoneSwitchBatch(_Batch["AsyncPhoneSwitchClient"]):
    """A batch of phone switches for an AsyncPhoneSwitchClient (see phone_switch_batch)."""

    def __init__(self, client: AsyncPhoneSwitchClient, items: Iterable[object], **kw: Any) -> None:
        super().__init__(client, items, **kw)
        self._streams: list[AsyncGenerator[BatchEntry, None]] = []

    async def run(self) -> list[Result]:
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
        pacer = self._client.pacer()

        async def worker() -> None:
            while queue:
                entry = queue.popleft()
                await self._process(entry, pacer)
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
        call, until = self._prepare(entry)
        if call is None:
            return
        try:
            entry._finish(await self._client.send_prepared(call, pacer=pacer, until=until))
        except PhoneSwitchError as error:
            entry._finish(error)
        except Exception as error:  # a bug of ours or a caller's hook: still an outcome
            entry._broken(error, call, call.version)
        except BaseException:
            entry._stopped(call, call.version)
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

    def run(self) -> list[Result]:
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
        pacer = self._client.pacer()
        workers = _Workers(queue)
        ended: SimpleQueue[BatchEntry] = SimpleQueue()

        def worker() -> None:
            with workers.running():
                while (entry := workers.take()) is not None:
                    self._process(entry, pacer)
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

    def _process(self, entry: BatchEntry, pacer: ThreadPacer) -> None:
        call, until = self._prepare(entry)
        if call is None:
            return
        try:
            entry._finish(self._client.send_prepared(call, pacer=pacer, until=until))
        except PhoneSwitchError as error:
            entry._finish(error)
        except BaseException as error:  # a bug of ours or a caller's hook: still an outcome
            entry._broken(error, call, call.version)


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
