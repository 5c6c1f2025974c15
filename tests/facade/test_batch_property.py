"""Bulk sending under random faults and random interruptions keeps every promise.

500 seeded runs against the embedded fake Intercom (in-process, on a fake clock): random
fault injection, random budgets, concurrency and deadlines, invalid items, and a run that
is left alone, cancelled (once or twice), timed out by ``asyncio.wait_for`` or torn down
by a failing TaskGroup at a random point. After each run, every item's state must match
the fake's outbox, nothing may still be under way, and sending the never-started items
again (as a new batch or by running the same batch again) must text nobody twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from collections import Counter
from typing import Any

import pytest
from phone_fakes import FakeClock

from intercom_phone_switch import (
    AsyncPhoneSwitchBatch,
    AsyncPhoneSwitchClient,
    DeliveryUnknown,
    ItemState,
    PhoneSwitch,
    PhoneSwitchError,
    SendInterrupted,
)
from intercom_phone_switch.fake import FakeIntercom, FaultKind
from intercom_phone_switch.fake._clients import fake_async_client

RUNS = 500
LANDLINE = "+40241100100"
FINAL = {
    ItemState.ACCEPTED,
    ItemState.REFUSED,
    ItemState.UNKNOWN,
    ItemState.INTERRUPTED,
    ItemState.NOT_STARTED,
}
MODES = ["complete", "cancel", "cancel_twice", "wait_for"] + (
    ["task_group"] if sys.version_info >= (3, 11) else []
)


def deep(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


class Group(Exception):
    """The sibling task's failure that makes a TaskGroup cancel the batch."""


def make_items(rng: random.Random) -> tuple[list[object], dict[int, str | None]]:
    """Items, and the phone each one is sent to (None: refused before sending)."""
    items: list[object] = []
    phones: dict[int, str | None] = {}
    for number in rng.sample(range(100_000), rng.randint(1, 14)):
        phone = f"+3538323{number:05d}"
        phones[len(items)] = phone
        items.append(rng.choice([phone, (phone, {"n": str(number)}), {"phone": phone}]))
    for _ in range(rng.choice([0, 0, 1, 2])):
        index = rng.randrange(len(items) + 1)
        bad = rng.choice(["not a number", ("+353832300001", {"deep": deep(1_200)}), LANDLINE, 42])
        items.insert(index, bad)
        phones = {(i + 1 if i >= index else i): p for i, p in phones.items()}
        phones[index] = LANDLINE if bad == LANDLINE else None
    return items, phones


async def interrupt(batch: AsyncPhoneSwitchBatch, mode: str, rng: random.Random) -> None:
    """Run the batch, stopping it at a random point the way ``mode`` says."""
    steps = rng.randint(0, 80)
    if mode == "complete":
        await batch.run()
    elif mode in ("cancel", "cancel_twice"):
        task = asyncio.ensure_future(batch.run())
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        if mode == "cancel_twice":
            for _ in range(rng.randint(0, 3)):
                await asyncio.sleep(0)
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            assert task.cancelled(), "cancellation propagates as cancellation"
    elif mode == "wait_for":
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(batch.run(), timeout=rng.uniform(0, 0.004))
    else:

        async def failing() -> None:
            for _ in range(steps):
                await asyncio.sleep(0)
            raise Group

        async def grouped() -> None:
            async with asyncio.TaskGroup() as group:  # type: ignore[attr-defined]
                group.create_task(batch.run())
                group.create_task(failing())

        with pytest.raises(BaseException, match="unhandled errors"):
            await grouped()


def check(batch: AsyncPhoneSwitchBatch, phones: dict[int, str | None], fake: FakeIntercom) -> None:
    sent = Counter(sms.phone for sms in fake.outbox.messages())
    assert not batch.running
    for entry in batch.entries:
        state, outcome, phone = entry.state, entry.outcome, phones[entry.index]
        assert state in FINAL, entry
        count = sent[phone] if phone else 0
        if state is ItemState.ACCEPTED:
            assert isinstance(outcome, PhoneSwitch), entry
            assert count == 1, f"accepted, in the outbox {count} times: {entry}"
        elif state is ItemState.NOT_STARTED:
            assert outcome is None
            assert count == 0, f"never started, yet sent: {entry}"
        elif state is ItemState.REFUSED:
            assert isinstance(outcome, PhoneSwitchError), entry
            assert not isinstance(outcome, DeliveryUnknown), entry
            assert count == 0, f"refused, yet sent: {entry}"
        else:
            assert isinstance(outcome, DeliveryUnknown), entry
            assert isinstance(outcome, SendInterrupted) == (state is ItemState.INTERRUPTED)
            assert count <= 1, entry
    known = {phone for phone in phones.values() if phone}
    assert set(sent) <= known
    # A fault that struck after the SMS was sent is never reported as a refusal.
    by_phone = {phones[e.index]: e for e in batch.entries if phones[e.index]}
    for record in fake.faults.log:
        if record.sms_recorded and record.phone in by_phone:
            assert by_phone[record.phone].state is not ItemState.REFUSED


async def one_run(run: int, client: AsyncPhoneSwitchClient, fake: FakeIntercom) -> str:
    rng = random.Random(run)
    fake.reset()
    fake.rate_limiter.configure(limit=rng.choice([2, 3, 5, 1666]), window=10)
    probability = rng.choice([0.0, 0.15, 0.4])
    if probability:
        fake.faults.randomly(
            probability,
            kinds=[
                FaultKind.SERVER_ERROR_BEFORE,
                FaultKind.SERVER_ERROR_AFTER,
                FaultKind.DROP_AFTER_SMS,
                FaultKind.SMS_FAILED,
                FaultKind.LATENCY,
            ],
            delay=0.0,
            seed=run,
        )
    items, phones = make_items(rng)
    batch = client.phone_switch_batch(
        items,
        concurrency=rng.randint(1, 6),
        deadline=rng.choice([None, None, 5.0, 25.0]),
    )
    mode = rng.choice(MODES)
    await interrupt(batch, mode, rng)
    assert asyncio.all_tasks() == {asyncio.current_task()}, "a request is still under way"
    check(batch, phones, fake)

    # Resume: send exactly the never-started items, with no faults and no interruption.
    fake.faults.clear()
    before = Counter(sms.phone for sms in fake.outbox.messages())
    if rng.random() < 0.5:
        await batch.run()  # the same batch again: only its never-started items go
        check(batch, phones, fake)
    else:
        again = client.phone_switch_batch(batch.not_started(), concurrency=3)
        await again.run()
        assert all(entry.state in FINAL - {ItemState.NOT_STARTED} for entry in again.entries)
    after = Counter(sms.phone for sms in fake.outbox.messages())
    twice = [phone for phone, count in after.items() if count > 1]
    assert not twice, f"texted twice after resuming: {twice}"
    assert all(after[p] >= before[p] for p in before)
    return mode


def test_random_faults_and_interruptions_keep_every_promise() -> None:
    clock = FakeClock()
    fake = FakeIntercom(clock=clock.time)
    seen: Counter[str] = Counter()
    states: Counter[ItemState] = Counter()

    async def scenario() -> None:
        async with fake_async_client(fake, timeout=None, clock=clock) as client:
            for run in range(RUNS):
                try:
                    seen[await one_run(run, client, fake)] += 1
                except AssertionError as error:
                    raise AssertionError(f"run {run}: {error}") from error

    original = AsyncPhoneSwitchBatch._stop

    def counting(self: AsyncPhoneSwitchBatch, reason: Any) -> None:
        original(self, reason)
        states.update(entry.state for entry in self.entries)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AsyncPhoneSwitchBatch, "_stop", counting)
        asyncio.run(scenario())
    assert set(seen) == set(MODES)
    # The runs reached every outcome, so the checks above were not vacuous.
    assert set(states) == FINAL, states
