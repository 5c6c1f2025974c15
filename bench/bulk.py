"""Async bulk: phone switches to the fake server over loopback, many at once.

The facade's ``AsyncPhoneSwitchClient.create_phone_switches(items, concurrency=64)``
against raw ``httpx.AsyncClient``: 64 workers taking phone numbers from one list, each
``await client.post(...)`` then ``response.json()``. Both use httpx's default connection
pool (the facade builds its own when given none). Both send one distinct phone number per
item to the same fake, whose budget is out of reach. After each run the fake's outbox
must hold every number exactly once. Runs alternate between the two, after an untimed
warm-up; each figure is the median throughput, and the ratio the median of the ratios of
the runs made one after the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .report import Row, Target
from .support import TOKEN, Server, fake_server, median

PATH = "/phone_call_redirects"
VERSION = "2.16"
CONCURRENCY = 64
#: Seconds one bulk run may take before the benchmark gives up on it.
RUN_TIMEOUT = 120.0
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Intercom-Version": VERSION}


def phones(count: int, first: int = 0) -> list[str]:
    """Distinct Irish mobile numbers (valid, able to get an SMS)."""
    return [f"+35383{index:07d}" for index in range(first, first + count)]


@dataclass
class BulkRun:
    seconds: float
    succeeded: int
    failures: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    duplicated: int = 0

    def per_second(self, items: int) -> float:
        return items / self.seconds


def reset(server: Server) -> None:
    httpx.post(server.base_url + "/__fake__/reset").raise_for_status()


def outbox_phones(server: Server) -> list[str]:
    answer = httpx.get(server.base_url + "/__fake__/outbox").json()
    return [message["phone"] for message in answer["messages"]]


def lost_and_duplicated(sent: Sequence[str], delivered: Sequence[str]) -> tuple[int, int]:
    """How many numbers sent got no SMS, and how many SMS were one too many (a second
    SMS to a number, or one to a number nobody sent)."""
    seen = Counter(delivered)
    wanted = set(sent)
    lost = sum(1 for phone in wanted if seen[phone] == 0)
    extra = sum(count - 1 if phone in wanted else count for phone, count in seen.items())
    return lost, extra


def audit(server: Server, sent: Sequence[str], run: BulkRun) -> BulkRun:
    """Fill in the run's lost and duplicated SMS from the fake's outbox."""
    run.lost, run.duplicated = lost_and_duplicated(sent, outbox_phones(server))
    return run


async def raw_bulk(base_url: str, numbers: Sequence[str], concurrency: int) -> BulkRun:
    statuses: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=base_url, headers=HEADERS) as client:
        queue = iter(numbers)

        async def worker() -> None:
            for phone in queue:
                response = await client.post(PATH, json={"phone": phone})
                response.json()
                statuses[str(response.status_code)] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    succeeded = statuses.pop("200", 0)
    return BulkRun(seconds, succeeded, statuses)


async def facade_bulk(base_url: str, numbers: Sequence[str], concurrency: int) -> BulkRun:
    from .adapter import async_client, outcome

    async with async_client(base_url) as client:
        started = time.perf_counter()
        results = await client.create_phone_switches(numbers, concurrency=concurrency)
        seconds = time.perf_counter() - started
    kinds = Counter(outcome(result) for result in results)
    succeeded = kinds.pop("ok", 0)
    return BulkRun(seconds, succeeded, kinds)


def one_run(server: Server, name: str, numbers: Sequence[str], concurrency: int) -> BulkRun:
    reset(server)
    bulk = facade_bulk if name == "facade" else raw_bulk
    run = asyncio.run(asyncio.wait_for(bulk(server.base_url, numbers, concurrency), RUN_TIMEOUT))
    return audit(server, numbers, run)


def run(
    items: int = 2000, rounds: int = 5, concurrency: int = CONCURRENCY, warmup: int = 300
) -> list[Row]:
    # Every run sends numbers never sent before, so no cache on either side saves work
    # that a real bulk send would have to do.
    batches = (phones(items, first=start) for start in itertools.count(0, items))
    runs: dict[str, list[BulkRun]] = {"raw httpx": [], "facade": []}
    errors: dict[str, str] = {}
    with fake_server("--rate-limit", "1000000000", "--outbox-cap", str(items * 2)) as server:
        for name in runs:  # untimed: imports, the first connections
            with contextlib.suppress(Exception):
                one_run(server, name, next(batches)[:warmup], concurrency)
        for index in range(rounds):
            # Who goes first alternates, so a trend in the machine's load favours neither.
            for name in list(runs)[:: 1 if index % 2 == 0 else -1]:
                if name in errors:
                    continue
                try:
                    runs[name].append(one_run(server, name, next(batches), concurrency))
                except Exception as exc:  # a missing facade is reported, not fatal
                    errors[name] = f"{type(exc).__name__}: {exc}"
    return rows(runs, errors, items, concurrency)


def summary(found: list[BulkRun], items: int) -> dict[str, Any]:
    return {
        "per_second": [run.per_second(items) for run in found],
        "seconds": [run.seconds for run in found],
        "succeeded": [run.succeeded for run in found],
        "failures": [dict(run.failures) for run in found],
        "lost": [run.lost for run in found],
        "duplicated": [run.duplicated for run in found],
    }


def rows(
    runs: dict[str, list[BulkRun]], errors: dict[str, str], items: int, concurrency: int
) -> list[Row]:
    section = f"async bulk ({items:,} to the fake, concurrency {concurrency})"
    rate = {
        name: median([r.per_second(items) for r in found]) for name, found in runs.items() if found
    }
    facade_runs = runs["facade"]
    bad = sum(run.lost + run.duplicated for run in facade_runs)
    failed = sum(sum(run.failures.values()) for run in facade_runs)
    raw_rate, facade_rate = rate.get("raw httpx"), rate.get("facade")
    ratios = [
        a.per_second(items) / b.per_second(items)
        for a, b in zip(facade_runs, runs["raw httpx"], strict=False)
    ]
    note = "; ".join(f"{name}: {error}" for name, error in errors.items())
    return [
        Row(
            section,
            "raw httpx",
            raw_rate,
            "/s",
            note=errors.get("raw httpx", ""),
            details=summary(runs["raw httpx"], items),
        ),
        Row(
            section,
            "facade",
            facade_rate,
            "/s",
            reference="raw httpx (throughput ratio)",
            ratio=median(ratios) if ratios else None,
            target=Target(">=", 0.9),
            note=note,
            details=summary(facade_runs, items),
        ),
        Row(
            section,
            "facade: SMS lost or duplicated",
            float(bad) if facade_runs else None,
            "",
            reference=f"outbox after {len(facade_runs)} runs",
            target=Target("<=", 0, ""),
            note=f"{failed} items failed" if failed else "",
        ),
    ]
