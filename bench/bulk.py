"""Async bulk: phone switches to the fake server over loopback, many at once.

Four contenders send one distinct phone number per item to the same fake, whose budget
is out of reach: raw ``httpx.AsyncClient`` (64 workers sharing one client on httpx's
default pool, each ``await client.post(...)`` then ``response.json()``), raw aiohttp
(the same loop on one ``aiohttp.ClientSession``, at each concurrency of
``AIOHTTP_CONCURRENCIES``: the best one is the reference), and the facade's
``AsyncPhoneSwitchClient.create_phone_switches(items, concurrency=64)`` twice: with the
client it builds when given none (the plain install) and with ``AiohttpClient`` (the
``aiohttp`` extra). After each run the fake's outbox must hold every number exactly
once. Runs take turns within each round (the order reverses every round), after an
untimed warm-up; each figure is the median throughput, each ratio the median of the
ratios within a round. Also counted per run: the client's CPU time per item (this
process's, the server runs in its own) and the connections it opened (calls of the
event loop's ``create_connection``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from intercom_phone_switch.spec import effective
from intercom_phone_switch_generated.registry import LATEST_VERSION, PATH

from .report import Row, Target, spread
from .support import TOKEN, Server, fake_server, median

VERSION = LATEST_VERSION
CONCURRENCY = 64
AIOHTTP_CONCURRENCIES = (16, 64)
#: Seconds one bulk run may take before the benchmark gives up on it.
RUN_TIMEOUT = 120.0
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Intercom-Version": VERSION}
#: The version's name of the request's phone field.
PHONE = effective(VERSION).request_field("phone")

RAW_HTTPX = "raw httpx"
FACADE = "facade"
FACADE_AIOHTTP = "facade, aiohttp extra"


def raw_aiohttp_name(concurrency: int) -> str:
    return f"raw aiohttp, concurrency {concurrency}"


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
    cpu_seconds: float = 0.0
    connections: int = 0

    def per_second(self, items: int) -> float:
        return items / self.seconds

    def cpu_us_per_item(self, items: int) -> float:
        return self.cpu_seconds / items * 1e6


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


class Meter:
    """Wall time, this process's CPU time and the connections opened, over a block."""

    def __init__(self) -> None:
        self.connections = 0
        self.seconds = 0.0
        self.cpu = 0.0

    def count_connections(self) -> None:
        """Count every ``create_connection`` of the running loop (httpx and aiohttp both
        open their connections with it)."""
        loop = asyncio.get_running_loop()
        original = loop.create_connection

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.connections += 1
            return await original(*args, **kwargs)

        loop.create_connection = counted  # type: ignore[method-assign]

    @contextlib.contextmanager
    def timing(self) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.seconds = time.perf_counter() - wall
        self.cpu = time.process_time() - cpu


def finished(meter: Meter, statuses: Counter[str]) -> BulkRun:
    succeeded = statuses.pop("200", 0) + statuses.pop("ok", 0)
    return BulkRun(
        meter.seconds, succeeded, statuses, cpu_seconds=meter.cpu, connections=meter.connections
    )


async def raw_bulk(base_url: str, numbers: Sequence[str], concurrency: int) -> BulkRun:
    statuses: Counter[str] = Counter()
    meter = Meter()
    meter.count_connections()
    async with httpx.AsyncClient(base_url=base_url, headers=HEADERS) as client:
        queue = iter(numbers)

        async def worker() -> None:
            for phone in queue:
                response = await client.post(PATH, json={PHONE: phone})
                response.json()
                statuses[str(response.status_code)] += 1

        with meter.timing():
            await asyncio.gather(*(worker() for _ in range(concurrency)))
    return finished(meter, statuses)


async def aiohttp_bulk(base_url: str, numbers: Sequence[str], concurrency: int) -> BulkRun:
    import aiohttp

    statuses: Counter[str] = Counter()
    meter = Meter()
    meter.count_connections()
    async with aiohttp.ClientSession(base_url, headers=HEADERS) as session:
        queue = iter(numbers)

        async def worker() -> None:
            for phone in queue:
                async with session.post(PATH, json={PHONE: phone}) as response:
                    await response.json()
                    statuses[str(response.status)] += 1

        with meter.timing():
            await asyncio.gather(*(worker() for _ in range(concurrency)))
    return finished(meter, statuses)


async def facade_bulk(
    base_url: str, numbers: Sequence[str], concurrency: int, with_aiohttp: bool = False
) -> BulkRun:
    from .adapter import async_client, outcome

    meter = Meter()
    meter.count_connections()
    http: httpx.AsyncClient | None = None
    if with_aiohttp:
        from intercom_phone_switch import AiohttpClient

        http = AiohttpClient()
    try:
        async with async_client(base_url, http) as client:
            with meter.timing():
                results = await client.create_phone_switches(numbers, concurrency=concurrency)
    finally:
        if http is not None:
            await http.aclose()
    return finished(meter, Counter(outcome(result) for result in results))


Bulk = Callable[[str, Sequence[str]], Coroutine[Any, Any, BulkRun]]


def contenders(concurrency: int) -> dict[str, Bulk]:
    found: dict[str, Bulk] = {
        RAW_HTTPX: lambda url, numbers: raw_bulk(url, numbers, concurrency),
        FACADE: lambda url, numbers: facade_bulk(url, numbers, concurrency),
    }
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return found
    for level in AIOHTTP_CONCURRENCIES:
        found[raw_aiohttp_name(level)] = lambda url, numbers, level=level: aiohttp_bulk(  # type: ignore[misc]
            url, numbers, level
        )
    found[FACADE_AIOHTTP] = lambda url, numbers: facade_bulk(url, numbers, concurrency, True)
    return found


def one_run(server: Server, bulk: Bulk, numbers: Sequence[str]) -> BulkRun:
    reset(server)
    run = asyncio.run(asyncio.wait_for(bulk(server.base_url, numbers), RUN_TIMEOUT))
    return audit(server, numbers, run)


def run(
    items: int = 2000, rounds: int = 5, concurrency: int = CONCURRENCY, warmup: int = 300
) -> list[Row]:
    # Every run sends numbers never sent before, so no cache on either side saves work
    # that a real bulk send would have to do.
    batches = (phones(items, first=start) for start in itertools.count(0, items))
    bulks = contenders(concurrency)
    runs: dict[str, list[BulkRun]] = {name: [] for name in bulks}
    errors: dict[str, str] = {}
    with fake_server("--rate-limit", "1000000000", "--outbox-cap", str(items * 2)) as server:
        for bulk in bulks.values():  # untimed: imports, the first connections
            with contextlib.suppress(Exception):
                one_run(server, bulk, next(batches)[:warmup])
        for index in range(rounds):
            # Who goes first alternates, so a trend in the machine's load favours none.
            for name in list(bulks)[:: 1 if index % 2 == 0 else -1]:
                if name in errors:
                    continue
                try:
                    runs[name].append(one_run(server, bulks[name], next(batches)))
                except Exception as exc:  # a missing contender is reported, not fatal
                    errors[name] = f"{type(exc).__name__}: {exc}"
    return rows(runs, errors, items, concurrency)


def summary(found: list[BulkRun], items: int) -> dict[str, Any]:
    return {
        "per_second": [run.per_second(items) for run in found],
        "seconds": [run.seconds for run in found],
        "cpu_us_per_item": [run.cpu_us_per_item(items) for run in found],
        "connections_opened": [run.connections for run in found],
        "succeeded": [run.succeeded for run in found],
        "failures": [dict(run.failures) for run in found],
        "lost": [run.lost for run in found],
        "duplicated": [run.duplicated for run in found],
    }


def ratios(top: list[BulkRun], bottom: list[BulkRun], items: int) -> list[float]:
    """Throughput ratios of two contenders, round by round."""
    return [a.per_second(items) / b.per_second(items) for a, b in zip(top, bottom, strict=False)]


def best_aiohttp(runs: dict[str, list[BulkRun]], items: int) -> str | None:
    """The raw aiohttp concurrency with the highest median throughput."""
    measured = {
        name: median([r.per_second(items) for r in found])
        for name, found in runs.items()
        if name.startswith("raw aiohttp") and found
    }
    return max(measured, key=measured.__getitem__) if measured else None


def rows(
    runs: dict[str, list[BulkRun]], errors: dict[str, str], items: int, concurrency: int
) -> list[Row]:
    section = f"async bulk ({items:,} to the fake, facade and httpx at concurrency {concurrency})"
    best = best_aiohttp(runs, items)

    def rate_row(name: str, **judged: Any) -> Row:
        found = runs.get(name, [])
        rates = [r.per_second(items) for r in found]
        versus = judged.pop("versus", None)
        ratio_values = ratios(found, runs.get(versus, []), items) if versus else []
        note = errors.get(name, "") or (errors.get(versus, "") if versus else "")
        if not found and not note:
            note = "not measured: aiohttp is not installed (the aiohttp extra)"
        return Row(
            section,
            judged.pop("subject", name),
            median(rates) if rates else None,
            "/s",
            ratio=median(ratio_values) if ratio_values else None,
            ratio_spread=spread(ratio_values),
            spread=spread(rates),
            note=note,
            details=summary(found, items),
            **judged,
        )

    out = [rate_row(RAW_HTTPX)]
    if best is not None:
        out.append(rate_row(best, subject=f"{best} (its best)"))
    out.append(
        rate_row(
            FACADE,
            reference="raw httpx (throughput ratio)",
            target=Target(">=", 1.8),
            versus=RAW_HTTPX,
        )
    )
    aiohttp_reference = best or "raw aiohttp"
    out.append(
        rate_row(
            FACADE_AIOHTTP,
            reference=f"{aiohttp_reference} (throughput ratio)",
            target=Target(">=", 0.7),
            versus=best or "raw aiohttp",
        )
    )
    out.append(
        rate_row(
            FACADE_AIOHTTP,
            subject=f"{FACADE_AIOHTTP}, against raw httpx",
            reference="raw httpx (throughput ratio)",
            target=Target(">=", 3.0),
            versus=RAW_HTTPX,
        )
    )
    for name in (RAW_HTTPX, best, FACADE, FACADE_AIOHTTP):
        found = runs.get(name or "", [])
        if not found:
            continue
        cpu = [r.cpu_us_per_item(items) for r in found]
        opened = [r.connections for r in found]
        out.append(
            Row(
                section,
                f"client CPU per item, {name}",
                median(cpu),
                "us",
                reference=f"connections opened per run: {median(opened):.0f}"
                f" ({min(opened)}-{max(opened)})",
                spread=spread(cpu),
            )
        )
    facades = [run for name in (FACADE, FACADE_AIOHTTP) for run in runs.get(name, [])]
    bad = [run.lost + run.duplicated for run in facades]
    failed = sum(sum(run.failures.values()) for run in facades)
    out.append(
        Row(
            section,
            "facade: SMS lost or duplicated",
            float(sum(bad)) if facades else None,
            "",
            reference=f"outbox after {len(facades)} runs (both facades)",
            target=Target("<=", 0, ""),
            spread=spread([float(value) for value in bad]),
            note=f"{failed} items failed" if failed else "",
        )
    )
    return out
