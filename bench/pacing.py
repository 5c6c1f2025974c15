"""Rate-limit pacing: bulk sending into a small budget, without 429s reaching the caller.

The fake allows ``budget`` calls per ``window`` seconds (fixed windows on the UNIX clock,
as Intercom's), and ``create_phone_switches`` gets more items than fit in three windows.
The achieved rate is counted in the windows the run spans completely (the first and
the last window are partial by nature): SMS the fake sent in them, from its outbox
timestamps, over what their budget allowed. Separately: how many items came back as a
429 error (the target is none), and how many 429 answers the client absorbed on the way.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import httpx

from .bulk import lost_and_duplicated, outbox_phones, phones, reset
from .report import Row, Target, spread
from .support import Server, fake_server


def sent_times(server: Server) -> list[float]:
    answer = httpx.get(server.base_url + "/__fake__/outbox").json()
    return sorted(datetime.fromisoformat(m["sent_at"]).timestamp() for m in answer["messages"])


def utilisation(times: Sequence[float], budget: int, window: float) -> tuple[float | None, int]:
    """Share of the budget used in the complete windows, and how many there were."""
    if not times:
        return None, 0
    first, last = math.floor(times[0] / window), math.floor(times[-1] / window)
    complete = range(first + 1, last)
    if not complete:
        return None, 0
    used = sum(1 for t in times if math.floor(t / window) in complete)
    return used / (len(complete) * budget), len(complete)


async def paced(
    base_url: str, numbers: Sequence[str], concurrency: int
) -> tuple[Counter[str], Counter[int], float]:
    from .adapter import async_client, outcome

    answers: Counter[int] = Counter()

    async def count(response: httpx.Response) -> None:
        answers[response.status_code] += 1

    async with (
        httpx.AsyncClient(event_hooks={"response": [count]}) as http,
        async_client(base_url, http) as client,
    ):
        started = time.perf_counter()
        results = await client.create_phone_switches(numbers, concurrency=concurrency)
        seconds = time.perf_counter() - started
    return Counter(outcome(result) for result in results), answers, seconds


def per_window(times: Sequence[float], budget: int, window: float) -> list[float]:
    """Share of the budget used in each complete window."""
    if not times:
        return []
    first, last = math.floor(times[0] / window), math.floor(times[-1] / window)
    counts = Counter(math.floor(t / window) for t in times)
    return [counts[index] / budget for index in range(first + 1, last)]


def run(budget: int = 20, window: int = 2, items: int = 110, concurrency: int = 64) -> list[Row]:
    numbers = phones(items, first=500_000)
    settings = ["--rate-limit", str(budget), "--rate-limit-window", str(window)]
    with fake_server(*settings) as server:
        reset(server)
        sending = paced(server.base_url, numbers, concurrency)
        # Bounded: the budget allows the whole run in items / budget windows, and more.
        timeout = (items / budget + 3) * window * 2
        outcomes, answers, seconds = asyncio.run(asyncio.wait_for(sending, timeout))
        times = sent_times(server)
        lost, duplicated = lost_and_duplicated(numbers, outbox_phones(server))
    share, windows = utilisation(times, budget, window)
    shares = per_window(times, budget, window)
    section = f"rate-limit pacing ({budget} per {window} s window)"
    surfaced = outcomes.get("429", 0)
    details = {
        "items": items,
        "concurrency": concurrency,
        "seconds": seconds,
        "outcomes": dict(outcomes),
        "http_answers": {str(status): n for status, n in answers.items()},
        "complete_windows": windows,
        "lost": lost,
        "duplicated": duplicated,
    }
    budget_rate = budget / window
    return [
        Row(
            section,
            "achieved rate",
            None if share is None else share * budget_rate,
            "/s",
            reference=f"budget {budget_rate:g}/s, {windows} complete windows",
            ratio=share,
            ratio_spread=spread(shares),
            spread=spread([value * budget / window for value in shares]),
            target=Target(">=", 0.95),
            details=details,
        ),
        Row(
            section,
            "429s surfaced to the caller",
            float(surfaced),
            "",
            reference=f"{answers.get(429, 0)} 429 answers absorbed",
            target=Target("<=", 0, ""),
            note=f"{lost} lost, {duplicated} duplicated" if lost or duplicated else "",
        ),
    ]
