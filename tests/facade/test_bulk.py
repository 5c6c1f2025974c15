"""Bulk sending: one outcome per item in order, paced on the rate-limit headers, nothing
lost and nothing sent twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from phone_fakes import LANDLINE, MOBILE, START, FakeClock, FakeIntercom

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    DeliveryUnknown,
    InvalidCustomAttributes,
    InvalidPhoneNumber,
    LandlinePhoneNumber,
    PhoneSwitch,
    PhoneSwitchError,
    RateLimit,
)
from intercom_phone_switch._bulk import Pacer

MakeAsync = Callable[..., AsyncPhoneSwitchClient]


def phones(count: int) -> list[str]:
    return [f"+3538323{n:05d}" for n in range(count)]


def send_all(
    make_async_client: MakeAsync, items: list[object], **options: object
) -> list[PhoneSwitch | PhoneSwitchError]:
    concurrency = options.pop("concurrency", 10)

    async def run() -> list[PhoneSwitch | PhoneSwitchError]:
        async with make_async_client(**options) as client:
            return await client.create_phone_switches(items, concurrency=concurrency)  # type: ignore[arg-type]

    return asyncio.run(run())


def test_one_outcome_per_item_in_input_order(
    make_async_client: MakeAsync, intercom: FakeIntercom
) -> None:
    items: list[object] = [
        MOBILE,
        (LANDLINE, None),
        "not a number",
        {"phone": "+61 412 345 678", "custom_attributes": {"plan": "pro"}},
        ("+14155552671", {"bad": None}),
        ("+33612345678", {"seats": 3}),
    ]
    outcomes = send_all(make_async_client, items, concurrency=3)
    assert [type(o) for o in outcomes] == [
        PhoneSwitch,
        LandlinePhoneNumber,
        InvalidPhoneNumber,
        PhoneSwitch,
        InvalidCustomAttributes,
        PhoneSwitch,
    ]
    assert [o.phone for o in outcomes if isinstance(o, PhoneSwitch)] == [
        MOBILE,
        "+61412345678",
        "+33612345678",
    ]
    assert sorted(intercom.phones) == sorted([MOBILE, LANDLINE, "+61412345678", "+33612345678"])
    assert intercom.bodies[[b["phone"] for b in intercom.bodies].index("+61412345678")] == {
        "phone": "+61412345678",
        "custom_attributes": {"plan": "pro"},
    }


def test_empty_input(make_async_client: MakeAsync) -> None:
    assert send_all(make_async_client, []) == []


def test_concurrency_must_be_positive(make_async_client: MakeAsync) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        send_all(make_async_client, [MOBILE], concurrency=0)


def test_paces_on_rate_limit_headers_without_a_429(
    make_async_client: MakeAsync, intercom: FakeIntercom, clock: FakeClock
) -> None:
    intercom.limit = 5  # per 10-second window
    numbers = phones(23)
    outcomes = send_all(make_async_client, list(numbers), concurrency=4)
    assert all(isinstance(o, PhoneSwitch) for o in outcomes)
    assert [o.phone for o in outcomes] == numbers  # type: ignore[union-attr]
    assert Counter(intercom.statuses) == {200: 23}, "the budget was never overrun"
    assert Counter(intercom.phones) == Counter(numbers), "each sent exactly once"
    assert max(intercom.used.values()) == 5
    assert len(intercom.used) == 5, "23 requests need five windows of five"
    assert clock.now >= START + 40


def test_more_concurrency_than_budget_still_sends_each_once(
    make_async_client: MakeAsync, intercom: FakeIntercom
) -> None:
    intercom.limit = 3
    numbers = phones(20)
    outcomes = send_all(
        make_async_client, list(numbers), concurrency=8, max_retries=5, deadline=None
    )
    assert [type(o) for o in outcomes] == [PhoneSwitch] * 20
    assert Counter(
        p for p, s in zip(intercom.phones, intercom.statuses, strict=True) if s == 200
    ) == Counter(numbers)
    assert intercom.statuses.count(429) <= 8, "429s only before the first answers"


def test_possibly_delivered_items_are_reported_not_resent(
    make_async_client: MakeAsync, intercom: FakeIntercom
) -> None:
    intercom.script.extend([intercom.answer, httpx.ReadTimeout("timed out")])
    numbers = phones(5)
    outcomes = send_all(make_async_client, list(numbers), concurrency=1)
    assert isinstance(outcomes[1], DeliveryUnknown)
    assert all(isinstance(o, PhoneSwitch) for i, o in enumerate(outcomes) if i != 1)
    assert intercom.phones == numbers, "nothing sent twice"


def test_pacer_learns_from_answers() -> None:
    clock = FakeClock()

    async def run() -> list[float]:
        pacer = Pacer(clock)
        await pacer.acquire()
        await pacer.acquire()  # nothing known yet: let through
        pacer.release(RateLimit(limit=3, remaining=1, reset=int(START) + 10))
        pacer.release(RateLimit(limit=3, remaining=2, reset=int(START) + 10))  # late, older
        await pacer.acquire()  # one left in this window
        pacer.release(RateLimit(limit=3, remaining=0, reset=int(START) + 10))
        await pacer.acquire()  # none left: waits for the reset
        waited_first = pacer.waited
        await pacer.acquire()  # new window: its budget is the limit (3), one is in flight
        await pacer.acquire()
        return [waited_first, pacer.waited, clock.now]

    assert asyncio.run(run()) == [10.0, 10.0, START + 10]


def test_cancelling_a_bulk_call_stops_every_worker(intercom: FakeIntercom) -> None:
    arrived: list[str] = []
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        arrived.append(request.url.path)
        await release.wait()
        return intercom(request)

    async def run() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
        client = AsyncPhoneSwitchClient("token", http_client=http)
        bulk = asyncio.ensure_future(client.create_phone_switches(phones(10), concurrency=2))
        while len(arrived) < 2:
            await asyncio.sleep(0)
        bulk.cancel()
        with pytest.raises(asyncio.CancelledError):
            await bulk
        release.set()
        for _ in range(50):
            await asyncio.sleep(0)
        await http.aclose()

    asyncio.run(run())
    assert len(arrived) == 2, "no request starts after the call has ended"
    assert intercom.requests == [], "the two in flight were cancelled"
