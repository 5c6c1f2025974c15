"""Four processes bulk-send through one Intercom app, sharing its budget through Redis.

The served fake allows 100 calls per 2-second window; 4 processes send 500 each. No 429
may reach a caller, and the windows the run spans completely must carry at least 90% of
their budget (counted from the fake's outbox timestamps).
"""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from pathlib import Path

import httpx
import pytest

from bench.pacing import sent_times, utilisation
from bench.support import fake_server

from .sender import send_paced, warm_up

#: A whole-system test (real servers, processes): run on the main Python in CI.
pytestmark = pytest.mark.system

PROCESSES = 4
EACH = 500
BUDGET = 100
WINDOW = 2


def test_processes_share_the_budget(redis_url: str, tmp_path: Path) -> None:
    guard = f"{redis_url}?namespace=budget-{tmp_path.name}"
    settings = ("--rate-limit", str(BUDGET), "--rate-limit-window", str(WINDOW))
    with fake_server(*settings) as server:
        warm_up()
        context = multiprocessing.get_context("fork")
        workers = []
        for number in range(PROCESSES):
            phones = [f"+35387{number}{index:06d}" for index in range(EACH)]
            report = tmp_path / f"report-{number}.json"
            worker = context.Process(
                target=send_paced, args=(server.base_url, guard, phones, report)
            )
            worker.start()
            workers.append((worker, report))
        # Bounded: the budget allows the whole run in 20 windows (40 s).
        for worker, _ in workers:
            worker.join(timeout=120)
            if worker.is_alive():
                worker.kill()
            assert worker.exitcode == 0
        times = sent_times(server)
        total = httpx.get(server.base_url + "/__fake__/outbox").json()["total"]
    outcomes: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    for _, report in workers:
        data = json.loads(report.read_text(encoding="utf-8"))
        outcomes.update(data["outcomes"])
        answers.update(data["answers"])
    assert outcomes == {"PhoneSwitch": PROCESSES * EACH}, outcomes  # no 429 reached a caller
    # Nor did the processes collect 429s on the way (a few at window edges at most).
    assert answers["429"] <= PROCESSES, dict(answers)
    assert total == PROCESSES * EACH
    share, windows = utilisation(times, BUDGET, WINDOW)
    assert windows >= 10
    assert share is not None
    assert share >= 0.9, f"{share:.2f} of the budget used; answers {dict(answers)}"
    print(f"budget used: {share:.3f} over {windows} windows; answers {dict(answers)}")
