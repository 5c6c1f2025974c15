"""The guard: what a key costs per call on each store, and the shared rate budget.

Per call: the synchronous facade sends to the fake Intercom served on loopback (a real
HTTP round trip, far faster than Intercom's), without a guard and with a fresh
idempotency key per call on each store: memory, SQLite (a file in a temporary
directory, WAL; synchronous=full, the default, and synchronous=normal) and Redis (a
redis-server of this run on loopback), with the garbage collector off. A round makes
``count`` calls of every contender, one of each in turn in a new order each time, so
that the machine's slow moments fall on all of them alike. A ratio is the median over
rounds of the two contenders' mean time per call in the round.

Shared budget: several processes (forked, so they start at once) bulk-send through one
Intercom app into a fake that allows ``budget`` calls per ``window`` seconds, sharing the
budget through Redis. The figure is the share of the budget used in the windows the run
spans completely (from the fake's outbox timestamps); separately, how many 429s reached
a caller (the target is none).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import multiprocessing
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .pacing import sent_times, utilisation
from .report import Row, Target, spread
from .support import TOKEN, fake_server, median, redis_server

PHONE = "+353832345678"
NONE = "no guard"
SQLITE_NORMAL = "SQLite, synchronous=normal"
STORES = ("memory", "SQLite", SQLITE_NORMAL, "Redis")
TARGETS = {"memory": 1.05, "SQLite": 2.0, SQLITE_NORMAL: 2.0, "Redis": 1.5}


def _sender(base_url: str, guard: str | None) -> tuple[Callable[[], object], Any]:
    from intercom_phone_switch import PhoneSwitchClient
    from intercom_phone_switch.guard import Guard

    client = PhoneSwitchClient(
        TOKEN, base_url=base_url, guard=None if guard is None else Guard(guard)
    )
    if guard is None:
        return (lambda: client.create_phone_switch(PHONE)), client
    prefix = uuid.uuid4().hex[:8]
    numbers = itertools.count()

    def call() -> object:
        return client.create_phone_switch(PHONE, idempotency_key=f"{prefix}-{next(numbers)}")

    return call, client


def per_call(count: int, rounds: int, warmup: int) -> list[Row]:
    section = "guard, per call (served fake on loopback)"
    with (
        tempfile.TemporaryDirectory(prefix="guard-bench-") as directory,
        fake_server("--rate-limit", "1000000", "--outbox-cap", "100") as server,
        redis_server() as redis_url,
    ):
        urls: dict[str, str | None] = {
            NONE: None,
            "memory": f"memory://bench-{uuid.uuid4().hex[:8]}",
            "SQLite": f"sqlite:///{directory}/guard.db",
            SQLITE_NORMAL: f"sqlite:///{directory}/normal.db?synchronous=normal",
            "Redis": f"{redis_url}?namespace=bench",
        }
        senders = {name: _sender(server.base_url, url) for name, url in urls.items()}
        for call, _ in senders.values():
            for _ in range(warmup):
                call()
        samples: dict[str, list[float]] = {name: [] for name in senders}
        calls = [(name, call) for name, (call, _) in senders.items()]
        shuffle = random.Random(13).shuffle
        clock = time.perf_counter
        gc.collect()
        gc.disable()
        try:
            for _ in range(rounds):
                spent = dict.fromkeys(senders, 0.0)
                for _ in range(count):
                    # One call of each contender in turn, in a new order every time: the
                    # machine's slow moments fall on all of them alike.
                    shuffle(calls)
                    for name, call in calls:
                        started = clock()
                        call()
                        spent[name] += clock() - started
                for name, seconds in spent.items():
                    samples[name].append(seconds / count * 1e6)
        finally:
            gc.enable()
        for _, client in senders.values():
            client.close()
            if client.guard is not None:
                client.guard.close()  # the guard is its maker's to close
    base = median(samples[NONE])
    rows = [
        Row(
            section,
            NONE,
            base,
            "us/call",
            spread=spread(samples[NONE]),
            details={"samples": samples[NONE]},
        )
    ]
    for name in STORES:
        ratios = [a / b for a, b in zip(samples[name], samples[NONE], strict=True)]
        rows.append(
            Row(
                section,
                name if name == SQLITE_NORMAL else f"{name} store",
                median(samples[name]),
                "us/call",
                reference=NONE,
                ratio=median(ratios),
                spread=spread(samples[name]),
                ratio_spread=spread(ratios),
                target=Target("<=", TARGETS[name]),
                details={"samples": samples[name], "count": count, "rounds": rounds},
            )
        )
    return rows


def _paced_worker(base_url: str, guard: str, phones: list[str], report: str) -> None:
    from intercom_phone_switch import AsyncPhoneSwitchClient
    from intercom_phone_switch.guard import Guard

    from .adapter import outcome

    async def send() -> list[object]:
        async with AsyncPhoneSwitchClient(
            TOKEN, base_url=base_url, guard=Guard(guard, share_rate_budget=True)
        ) as client:
            return list(await client.create_phone_switches(phones, concurrency=10))

    outcomes = Counter(outcome(result) for result in asyncio.run(send()))
    Path(report).write_text(json.dumps(outcomes), encoding="utf-8")


def shared_budget(processes: int, each: int, budget: int, window: int) -> list[Row]:
    section = f"shared budget ({processes} processes, {budget} per {window} s window)"
    settings = ("--rate-limit", str(budget), "--rate-limit-window", str(window))
    with (
        tempfile.TemporaryDirectory(prefix="guard-bench-") as directory,
        fake_server(*settings) as server,
        redis_server() as redis_url,
    ):
        from intercom_phone_switch import AsyncPhoneSwitchClient  # imported once, then forked

        del AsyncPhoneSwitchClient
        context = multiprocessing.get_context("fork")
        guard = f"{redis_url}?namespace=budget"
        workers = []
        started = time.perf_counter()
        for number in range(processes):
            phones = [f"+35386{number}{index:06d}" for index in range(each)]
            report = f"{directory}/{number}.json"
            worker = context.Process(
                target=_paced_worker, args=(server.base_url, guard, phones, report)
            )
            worker.start()
            workers.append((worker, report))
        limit = (processes * each / budget + 5) * window * 2  # bounded
        for worker, _ in workers:
            worker.join(timeout=max(1.0, limit - (time.perf_counter() - started)))
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=5)
        seconds = time.perf_counter() - started
        outcomes: Counter[str] = Counter()
        for _, report in workers:
            if Path(report).exists():
                outcomes.update(json.loads(Path(report).read_text(encoding="utf-8")))
        times = sent_times(server)
    share, windows = utilisation(times, budget, window)
    rate = budget / window
    details = {"outcomes": dict(outcomes), "seconds": seconds, "complete_windows": windows}
    return [
        Row(
            section,
            "achieved rate, all processes",
            None if share is None else share * rate,
            "/s",
            reference=f"budget {rate:g}/s, {windows} complete windows",
            ratio=share,
            target=Target(">=", 0.9),
            details=details,
        ),
        Row(
            section,
            "429s surfaced to the callers",
            float(outcomes.get("429", 0)),
            "",
            reference=f"{sum(outcomes.values())} items",
            target=Target("<=", 0, ""),
        ),
    ]


def run(
    count: int = 25,
    rounds: int = 60,
    warmup: int = 100,
    processes: int = 4,
    each: int = 250,
    budget: int = 100,
    window: int = 2,
) -> list[Row]:
    return [*per_call(count, rounds, warmup), *shared_budget(processes, each, budget, window)]
