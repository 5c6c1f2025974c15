"""The synchronous bulk helper: PhoneSwitchClient.create_phone_switches and
phone_switch_batch, sent from a pool of threads with the same pacing and outcomes."""

from __future__ import annotations

import _thread
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from phone_fakes import LANDLINE, MOBILE, TOKEN, FakeClock, FakeIntercom

from intercom_phone_switch import (
    InvalidPhoneNumber,
    ItemState,
    LandlinePhoneNumber,
    PhoneSwitch,
    PhoneSwitchBatch,
    PhoneSwitchClient,
)

Make = Callable[..., PhoneSwitchClient]


def phones(count: int) -> list[str]:
    return [f"+3538324{n:05d}" for n in range(count)]


def test_outcomes_in_input_order(make_client: Make, intercom: FakeIntercom) -> None:
    items: list[object] = [MOBILE, (LANDLINE, None), "not a number", {"phone": "+33612345678"}]
    with make_client() as client:
        outcomes = client.create_phone_switches(items, concurrency=3)  # type: ignore[arg-type]
    assert [type(o) for o in outcomes] == [
        PhoneSwitch,
        LandlinePhoneNumber,
        InvalidPhoneNumber,
        PhoneSwitch,
    ]
    assert sorted(intercom.phones) == sorted([MOBILE, LANDLINE, "+33612345678"])


def test_threads_are_paced_on_the_rate_limit_headers(
    make_client: Make, intercom: FakeIntercom
) -> None:
    intercom.limit = 3
    numbers = phones(12)
    with make_client(deadline=None) as client:
        outcomes = client.create_phone_switches(numbers, concurrency=4)
    assert [type(o) for o in outcomes] == [PhoneSwitch] * 12
    assert intercom.statuses.count(429) <= 4, "429s only before the first answers"
    assert Counter(
        p for p, s in zip(intercom.phones, intercom.statuses, strict=True) if s == 200
    ) == (Counter(numbers))


def interrupting(intercom: FakeIntercom, at: int) -> Callable[[httpx.Request], httpx.Response]:
    lock = threading.Lock()
    count = [0]

    def handle(request: httpx.Request) -> httpx.Response:
        with lock:
            count[0] += 1
            late = count[0] >= at
            if count[0] == at:
                _thread.interrupt_main()  # Ctrl-C in the thread running the batch
        if late:
            # A network's latency from here on: the main thread takes the interrupt at
            # its next turn (up to a switch interval away), long before every item is done.
            time.sleep(0.01)
        return intercom(request)

    return handle


def test_ctrl_c_stops_the_batch_and_lets_requests_under_way_finish(
    intercom: FakeIntercom, clock: FakeClock
) -> None:
    http = httpx.Client(transport=httpx.MockTransport(interrupting(intercom, at=3)))
    client = PhoneSwitchClient(TOKEN, http_client=http, clock=clock)
    batch = client.phone_switch_batch(phones(40), concurrency=2)
    assert isinstance(batch, PhoneSwitchBatch)
    with pytest.raises(KeyboardInterrupt):
        batch.run()
    sent = set(intercom.phones)
    assert 3 <= len(sent) < 40, "the request under way when interrupted finished"
    assert {entry.state for entry in batch.entries} <= {ItemState.ACCEPTED, ItemState.NOT_STARTED}
    assert [e.item for e in batch.select(ItemState.ACCEPTED)] == sorted(sent)
    assert not set(batch.not_started()) & sent
    arrived = len(intercom.requests)
    time.sleep(0.05)
    assert len(intercom.requests) == arrived, "no request starts after the call has ended"
    assert arrived == len(sent), "each request under way finished with its outcome"
    assert batch.run()[0] == batch.entries[0].outcome, "running it again sends the rest"
    assert Counter(intercom.phones) == Counter(phones(40))
    http.close()


def test_iterating_and_leaving_early_stops_the_batch(
    intercom: FakeIntercom, clock: FakeClock
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.01)  # a network's latency, so that the loop can leave before the end
        return intercom(request)

    http = httpx.Client(transport=httpx.MockTransport(slow))
    with PhoneSwitchClient(TOKEN, http_client=http, clock=clock) as client:
        batch = client.phone_switch_batch(phones(30), concurrency=2)
        seen = []
        with batch:
            for entry in batch:
                seen.append(entry)
                if len(seen) == 3:
                    break
    assert not batch.running
    assert all(entry.state is ItemState.ACCEPTED for entry in seen)
    assert len(intercom.requests) < 30
    assert len(batch.not_started()) == 30 - len(intercom.requests)
