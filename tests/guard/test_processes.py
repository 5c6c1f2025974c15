"""Many processes, one guard, workers killed mid-request: still at most one SMS per key.

8 processes bulk-send 400 keys through the served fake Intercom (which injects faults:
latency, refusals, server errors and dropped connections after the SMS), each key by 2
or 3 processes at about the same moment. A killer SIGKILLs random workers at random
moments and starts them again (a job that is run again after its worker died). Then,
for every key, the fake's outbox and the guard's final state must agree:

- accepted: exactly one SMS, with the recorded Messenger link;
- refused: no SMS;
- unknown: at most one SMS (the owner died mid-request, or the answer was lost).

The window variant sends 10 keys per number with a long per-phone window: every number
gets at most one SMS, and at most one of its keys is accepted.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from pathlib import Path

import httpx
import pytest

from bench.support import Server, fake_server
from intercom_phone_switch import PhoneSwitch
from intercom_phone_switch.guard import Guard, KeyState

from .sender import send, warm_up

#: A whole-system test (real servers, processes): run on the main Python in CI.
pytestmark = pytest.mark.system

WORKERS = 8
KEYS = 400
KILLS = 12
#: Random faults of the served fake: slow answers, refusals, 5xx and dropped connections.
FAULTS = {
    "probability": 0.3,
    "kinds": [
        *("latency", "sms_failed", "drop_after_sms"),
        *("server_error_after", "server_error_before"),
    ],
    "delay": 0.1,
}


@pytest.fixture(scope="module")
def served() -> Iterator[Server]:
    with fake_server() as server:
        yield server


def phone_of(index: int, per_phone: int) -> str:
    return f"+35383{1_000_000 + index // per_phone:07d}"


def assignments(per_phone: int) -> list[list[list[str]]]:
    """Each worker's [key, phone] pairs: key i goes to workers i, i+1 (and i+2 for even
    i), modulo 8, so every key has 2 or 3 senders working on it at about the same time."""
    shares: list[list[list[str]]] = [[] for _ in range(WORKERS)]
    for index in range(KEYS):
        senders = 3 if index % 2 == 0 else 2
        for offset in range(senders):
            shares[(index + offset) % WORKERS].append([f"key-{index}", phone_of(index, per_phone)])
    return shares


def run_workers(server: Server, guard: str, tmp: Path, window: float | None, seed: int) -> int:
    """Run the 8 senders to the end, SIGKILLing (and restarting) some on the way."""
    files = []
    for number, share in enumerate(assignments(1 if window is None else 10)):
        path = tmp / f"worker-{number}.json"
        path.write_text(json.dumps(share), encoding="utf-8")
        files.append(path)
    warm_up()
    context = multiprocessing.get_context("fork")

    def start(number: int) -> BaseProcess:
        process = context.Process(target=send, args=(server.base_url, guard, files[number], window))
        process.start()
        return process

    workers = {number: start(number) for number in range(WORKERS)}
    rng = random.Random(seed)
    kills = 0
    deadline = time.monotonic() + 80
    while kills < KILLS and time.monotonic() < deadline:
        time.sleep(rng.uniform(0.005, 0.06))  # all 12 kills within the run, even a short one
        running = [n for n, p in workers.items() if p.is_alive()]
        if not running:
            break
        victim = rng.choice(running)
        os.kill(workers[victim].pid, signal.SIGKILL)  # type: ignore[arg-type]
        workers[victim].join(timeout=10)
        kills += 1
        workers[victim] = start(victim)
    for number, process in workers.items():
        process.join(timeout=max(1.0, deadline - time.monotonic()))
        assert process.exitcode == 0, f"seed {seed}: worker {number} ended with {process.exitcode}"
    return kills


def settled_states(guard: Guard, keys: list[str], patience: float) -> dict[str, KeyState]:
    """Every key's state, once the claims of killed workers have run out their lease."""
    ends = time.monotonic() + patience
    while True:
        states = {key: guard.state(key) for key in keys}
        if all(s.state != "pending" for s in states.values()) or time.monotonic() > ends:
            return states
        time.sleep(0.25)


# Each store and each mode once (a pair each: the run takes about a minute).
@pytest.mark.parametrize(
    ("store", "window"),
    [("sqlite", None), ("redis", 3600.0)],
    ids=["sqlite-keys", "redis-per-phone-window"],
)
def test_at_most_one_sms_per_key_with_workers_killed(
    served: Server, store: str, window: float | None, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if store == "redis":
        redis_url: str = request.getfixturevalue("redis_url")
        guard_url = f"{redis_url}?namespace=procs-{tmp_path.name}"
    else:
        guard_url = f"sqlite:///{tmp_path}/guard.db"
    seed = random.randrange(1 << 30)
    httpx.post(served.base_url + "/__fake__/reset").raise_for_status()
    faults = {"random": {**FAULTS, "seed": seed}}
    httpx.post(served.base_url + "/__fake__/faults", json=faults).raise_for_status()
    began = time.monotonic()
    kills = run_workers(served, guard_url, tmp_path, window, seed)
    print(f"workers: {time.monotonic() - began:.1f} s, {kills} kills")
    assert kills >= KILLS // 2, f"seed {seed}: the workers ended before the kills"

    outbox = httpx.get(served.base_url + "/__fake__/outbox").json()["messages"]
    sent = Counter(message["phone"] for message in outbox)
    links = {message["phone"]: message["url"] for message in outbox}
    assert all(count == 1 for count in sent.values()), f"seed {seed}: a number got two SMS"

    per_phone = 1 if window is None else 10
    keys = [f"key-{i}" for i in range(KEYS)]
    guard = Guard(guard_url)
    # A killed worker's claim reads as unknown once its lease (deadline + attempt + 5 s)
    # has run out.
    began = time.monotonic()
    states = settled_states(guard, keys, patience=10)
    print(f"settled: {time.monotonic() - began:.1f} s")
    guard.close()
    counts = Counter(state.state for state in states.values())
    accepted_per_phone: Counter[str] = Counter()
    for index, key in enumerate(keys):
        phone = phone_of(index, per_phone)
        state = states[key]
        found = state.state
        assert found in ("accepted", "refused", "unknown"), f"seed {seed}: {key} is {found}"
        if found == "accepted":
            switch = state.outcome
            assert isinstance(switch, PhoneSwitch)
            assert sent[phone] == 1, f"seed {seed}: {key} accepted, but no SMS"
            assert links[phone] == switch.url, f"seed {seed}: {key}'s link differs"
            accepted_per_phone[phone] += 1
        elif found == "refused" and window is None:
            assert sent[phone] == 0, f"seed {seed}: {key} refused, but an SMS went out"
    assert all(n == 1 for n in accepted_per_phone.values()), f"seed {seed}"
    if window is not None:
        # Every SMS of a number belongs to one of its keys: the accepted one, or one whose
        # outcome is unknown; a number whose keys were all refused got none.
        for phone in sent:
            first = (int(phone[-7:]) - 1_000_000) * per_phone
            mine = [states[f"key-{first + i}"].state for i in range(per_phone)]
            assert "accepted" in mine or "unknown" in mine, f"seed {seed}: {phone}"
    # The run must have exercised every outcome, or it proves little.
    assert counts["accepted"] > 0
    assert counts["unknown"] > 0
    assert sum(sent.values()) <= KEYS // per_phone
