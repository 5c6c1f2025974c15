"""Bulk sending: one outcome per item in order, paced on the rate-limit headers, nothing
lost and nothing sent twice."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from phone_fakes import LANDLINE, MOBILE, START, TOKEN, FakeClock, FakeIntercom

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    DeliveryUnknown,
    InvalidCustomAttributes,
    InvalidPhoneNumber,
    ItemState,
    LandlinePhoneNumber,
    PhoneSwitch,
    PhoneSwitchError,
    RateLimit,
    RateLimited,
    SendInterrupted,
    UnexpectedResponse,
    UnprocessableItem,
)
from intercom_phone_switch._batch import state_of
from intercom_phone_switch._bulk import MAX_WINDOW_WAIT, Pacer
from tests.waiting import until

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
        await until(lambda: len(arrived) >= 2, lambda: f"2 requests, {len(arrived)} arrived")
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


# -- a batch the caller holds: outcomes survive cancellation ------------------------------


class Gate:
    """An Intercom whose answers from the ``open``-th request on wait for ``release``."""

    def __init__(self, intercom: FakeIntercom, open_: int) -> None:
        self.intercom = intercom
        self.open = open_
        self.arrived: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.arrived.append(json.loads(request.content)["phone"])
        if len(self.arrived) > self.open:
            await self.release.wait()
        return await self.intercom.async_handler(request)


def arrivals(gate: Gate, wanted: int) -> str:
    return f"{wanted} requests at the gate, {len(gate.arrived)} arrived"


def gated_client(gate: Gate, clock: FakeClock, **options: object) -> AsyncPhoneSwitchClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(gate))
    return AsyncPhoneSwitchClient(TOKEN, http_client=http, clock=clock, **options)  # type: ignore[arg-type]


def check_stopped(batch: object, gate: Gate, intercom: FakeIntercom, accepted: int) -> None:
    from intercom_phone_switch import AsyncPhoneSwitchBatch

    assert isinstance(batch, AsyncPhoneSwitchBatch)
    states = [entry.state for entry in batch.entries]
    assert states.count(ItemState.ACCEPTED) == accepted
    for entry in batch.select(ItemState.ACCEPTED):
        assert isinstance(entry.outcome, PhoneSwitch)
        assert entry.outcome.phone in intercom.phones
    interrupted = batch.select(ItemState.INTERRUPTED)
    assert len(interrupted) == len(gate.arrived) - accepted
    assert all(isinstance(entry.outcome, SendInterrupted) for entry in interrupted)
    assert all(isinstance(entry.outcome, DeliveryUnknown) for entry in interrupted)
    not_started = batch.not_started()
    assert not set(not_started) & set(gate.arrived), "nothing was sent for these"
    assert len(not_started) + len(gate.arrived) == len(batch)
    assert ItemState.RUNNING not in states


def test_a_cancelled_batch_keeps_every_outcome(intercom: FakeIntercom, clock: FakeClock) -> None:
    gate = Gate(intercom, open_=7)
    numbers = phones(30)

    async def run() -> object:
        client = gated_client(gate, clock)
        batch = client.phone_switch_batch(numbers, concurrency=3)
        task = asyncio.ensure_future(batch.run())
        await until(lambda: len(gate.arrived) >= 10, lambda: arrivals(gate, 10))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        assert asyncio.all_tasks() == {asyncio.current_task()}, "nothing left under way"
        arrived = len(gate.arrived)
        gate.release.set()
        for _ in range(50):
            await asyncio.sleep(0)
        assert len(gate.arrived) == arrived, "no request starts after the call has ended"
        return batch

    batch = asyncio.run(run())
    check_stopped(batch, gate, intercom, accepted=7)
    assert len(intercom.requests) == 7, "the three under way were stopped"


def test_a_timed_out_batch_keeps_every_outcome(intercom: FakeIntercom, clock: FakeClock) -> None:
    gate = Gate(intercom, open_=4)

    async def run() -> object:
        batch = gated_client(gate, clock).phone_switch_batch(phones(20), concurrency=2)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(batch.run(), timeout=0.2)
        assert asyncio.all_tasks() == {asyncio.current_task()}
        return batch

    batch = asyncio.run(run())
    check_stopped(batch, gate, intercom, accepted=4)
    assert len(gate.arrived) == 6


def test_cancelling_twice_still_waits_for_the_requests_under_way(
    intercom: FakeIntercom, clock: FakeClock
) -> None:
    gate = Gate(intercom, open_=0)

    async def run() -> object:
        batch = gated_client(gate, clock).phone_switch_batch(phones(5), concurrency=2)
        task = asyncio.ensure_future(batch.run())
        await until(lambda: len(gate.arrived) >= 2, lambda: arrivals(gate, 2))
        task.cancel()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert asyncio.all_tasks() == {asyncio.current_task()}
        return batch

    batch = asyncio.run(run())
    check_stopped(batch, gate, intercom, accepted=0)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup is new in 3.11")
def test_a_failing_task_group_leaves_the_batch_readable(
    intercom: FakeIntercom, clock: FakeClock
) -> None:
    gate = Gate(intercom, open_=3)

    async def run() -> object:
        batch = gated_client(gate, clock).phone_switch_batch(phones(12), concurrency=2)

        async def failing() -> None:
            await until(lambda: len(gate.arrived) >= 5, lambda: arrivals(gate, 5))
            raise KeyError("a sibling failed")

        async def grouped() -> None:
            async with asyncio.TaskGroup() as group:  # type: ignore[attr-defined]
                group.create_task(batch.run())
                group.create_task(failing())

        with pytest.raises(BaseException, match="unhandled errors") as caught:
            await grouped()
        assert [type(e) for e in caught.value.exceptions] == [KeyError]  # type: ignore[attr-defined]
        return batch

    batch = asyncio.run(run())
    check_stopped(batch, gate, intercom, accepted=3)


def test_running_the_batch_again_sends_only_the_never_started(
    intercom: FakeIntercom, clock: FakeClock
) -> None:
    gate = Gate(intercom, open_=3)
    numbers = phones(10)

    async def run() -> list[PhoneSwitch | PhoneSwitchError]:
        batch = gated_client(gate, clock).phone_switch_batch(numbers, concurrency=2)
        task = asyncio.ensure_future(batch.run())
        await until(lambda: len(gate.arrived) >= 5, lambda: arrivals(gate, 5))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.release.set()
        return await batch.run()

    outcomes = asyncio.run(run())
    assert [type(o) for o in outcomes].count(PhoneSwitch) == 8
    assert [type(o) for o in outcomes].count(SendInterrupted) == 2
    assert Counter(gate.arrived) == Counter(numbers), "each arrived exactly once"


def test_async_for_gives_entries_as_they_end_and_break_stops(
    intercom: FakeIntercom, clock: FakeClock
) -> None:
    gate = Gate(intercom, open_=4)

    async def run() -> tuple[object, list[int]]:
        batch = gated_client(gate, clock).phone_switch_batch(phones(10), concurrency=2)
        seen = []
        async with batch:
            async for entry in batch:
                seen.append(entry.index)
                if len(seen) == 4:
                    break
        assert not batch.running
        assert asyncio.all_tasks() == {asyncio.current_task()}
        return batch, seen

    batch, seen = asyncio.run(run())
    assert seen == [0, 1, 2, 3]
    check_stopped(batch, gate, intercom, accepted=4)


# -- every item its own outcome ------------------------------------------------------


class Exploding(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: object) -> object:
        raise LookupError("a caller's mapping that fails to read")


def deep(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


def test_an_item_that_raises_does_not_abort_the_batch(
    make_async_client: MakeAsync, intercom: FakeIntercom, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intercom_phone_switch import _responses

    original = _responses.result
    breaking = phones(3)[2]

    def result(served: object, response: httpx.Response, **kw: object) -> PhoneSwitch:
        if kw["phone"] == breaking:
            raise ZeroDivisionError("a bug while reading the answer")
        return original(served, response, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(_responses, "result", result)
    numbers = phones(6)
    items: list[object] = [
        numbers[0],
        (numbers[1], {"deep": deep(1_200)}),
        numbers[2],
        Exploding(phone=numbers[3]),
        numbers[4],
        numbers[5],
    ]

    outcomes = send_all(make_async_client, items, concurrency=2)
    assert [type(o) for o in outcomes][::2] == [PhoneSwitch, UnexpectedResponse, PhoneSwitch]
    assert [state_of(o) for o in outcomes] == [
        ItemState.ACCEPTED,
        ItemState.REFUSED,  # RecursionError before sending: a refusal, nothing sent
        ItemState.ACCEPTED,  # a 200 came: accepted, though its answer could not be read
        ItemState.REFUSED,
        ItemState.ACCEPTED,
        ItemState.ACCEPTED,
    ]
    assert isinstance(outcomes[1], PhoneSwitchError)
    assert isinstance(outcomes[2], UnexpectedResponse)
    assert outcomes[2].status == 200
    assert isinstance(outcomes[2].__cause__, ZeroDivisionError)
    assert isinstance(outcomes[3], UnprocessableItem)
    assert isinstance(outcomes[3].__cause__, LookupError)
    assert sorted(intercom.phones) == sorted([numbers[0], numbers[2], numbers[4], numbers[5]])


def answering(clock: FakeClock, headers: Callable[[int], dict[str, str]]) -> MockHandler:
    """An Intercom answering 200 with the rate-limit headers ``headers(n)`` for request n."""
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["phone"])
        return httpx.Response(
            200,
            json={"type": "phone_call_redirect", "url": f"http://via.intercom.io/msgr/{len(sent)}"},
            headers=headers(len(sent)),
        )

    handle.sent = sent  # type: ignore[attr-defined]
    return handle


MockHandler = Callable[[httpx.Request], httpx.Response]


def bulk(
    clock: FakeClock, handler: MockHandler, items: list[str], **options: object
) -> list[PhoneSwitch | PhoneSwitchError]:
    deadline = options.pop("batch_deadline", None)
    extra = {} if deadline is None else {"deadline": deadline}

    async def run() -> list[PhoneSwitch | PhoneSwitchError]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncPhoneSwitchClient(TOKEN, http_client=http, clock=clock, **options) as c:  # type: ignore[arg-type]
            result = await c.create_phone_switches(items, concurrency=2, **extra)  # type: ignore[arg-type]
        await http.aclose()
        return result

    return asyncio.run(run())


def test_a_401_digit_reset_does_not_abort_the_batch(clock: FakeClock) -> None:
    handler = answering(
        clock, lambda n: {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9" * 401}
    )
    outcomes = bulk(clock, handler, phones(6))
    assert [type(o) for o in outcomes] == [PhoneSwitch] * 6
    assert clock.now == START, "an absurd reset is no reason to wait"


def test_a_429_with_a_401_digit_reset_is_that_items_outcome(clock: FakeClock) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["phone"] == phones(3)[1]:
            return httpx.Response(
                429,
                json={"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]},
                headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9" * 401},
            )
        return httpx.Response(200, json={"type": "phone_call_redirect", "url": "http://x/msgr/1"})

    outcomes = bulk(clock, handle, phones(3))
    assert [type(o) for o in outcomes] == [PhoneSwitch, RateLimited, PhoneSwitch]


def test_a_reset_a_day_away_does_not_stall_the_batch(clock: FakeClock) -> None:
    day = int(START) + 86_400
    handler = answering(
        clock,
        lambda n: {
            "X-RateLimit-Limit": "2",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(day),
        },
    )
    outcomes = bulk(clock, handler, phones(8), batch_deadline=30.0)
    sent = handler.sent  # type: ignore[attr-defined]
    assert clock.now - START <= 30.0, "the batch deadline bounds every wait"
    accepted = [o for o in outcomes if isinstance(o, PhoneSwitch)]
    limited = [o for o in outcomes if isinstance(o, RateLimited)]
    assert len(accepted) + len(limited) == 8
    assert len(sent) == len(accepted), "a RateLimited item sent nothing"
    assert limited, "the window never reset in time"
    assert all(o.attempts == 0 for o in limited)


def test_the_client_deadline_bounds_pacer_waits_too(clock: FakeClock) -> None:
    handler = answering(
        clock,
        lambda n: {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(START) + 86_400)},
    )
    outcomes = bulk(clock, handler, phones(6), deadline=10.0)
    assert clock.now - START <= 10.0
    assert [type(o) for o in outcomes].count(RateLimited) >= 4


def test_a_server_clock_an_hour_ahead_does_not_stall(clock: FakeClock) -> None:
    used: Counter[int] = Counter()

    def headers(n: int) -> dict[str, str]:
        window = int(clock.now // 10)
        used[window] += 1
        return {
            "X-RateLimit-Limit": "2",
            "X-RateLimit-Remaining": str(max(2 - used[window], 0)),
            "X-RateLimit-Reset": str((window + 1) * 10 + 3_600),  # the server's clock
        }

    outcomes = bulk(clock, answering(clock, headers), phones(8), deadline=None)
    assert [type(o) for o in outcomes] == [PhoneSwitch] * 8
    assert clock.now - START <= 4 * MAX_WINDOW_WAIT, "each window waited for at most 20 s"


ABSURD = ["9" * 401, "-5", "abc", "nan", "NaN", "inf", "-inf", "1e999", "", " ", "1.5", "0x10"]


@pytest.mark.parametrize("value", ABSURD)
@pytest.mark.parametrize("header", ["limit", "remaining", "reset"])
def test_the_pacer_survives_absurd_header_values(header: str, value: str) -> None:
    clock = FakeClock()
    sane = {"limit": "2", "remaining": "0", "reset": str(int(START) + 5)}

    async def run() -> None:
        pacer = Pacer(clock)
        for _ in range(3):
            assert await pacer.acquire(until=clock.monotonic() + 60)
            headers = {f"x-ratelimit-{k}": (value if k == header else v) for k, v in sane.items()}
            pacer.release(httpx.Headers(headers))

    asyncio.run(run())
    assert all(0 <= wait <= MAX_WINDOW_WAIT for wait in clock.sleeps)


@pytest.mark.parametrize(
    "rate_limit",
    [
        RateLimit(limit=-3, remaining=-1, reset=-100),
        RateLimit(limit=10**500, remaining=10**500, reset=10**500),
        RateLimit(limit=float("nan"), remaining=float("nan"), reset=float("nan")),  # type: ignore[arg-type]
        RateLimit(limit=1, remaining=0, reset=float("inf")),  # type: ignore[arg-type]
    ],
)
def test_the_pacer_survives_absurd_rate_limits(rate_limit: RateLimit) -> None:
    clock = FakeClock()

    async def run() -> None:
        pacer = Pacer(clock)
        for _ in range(3):
            assert await pacer.acquire(until=clock.monotonic() + 60)
            pacer.release(rate_limit)

    asyncio.run(run())
    assert sum(clock.sleeps) <= 2 * MAX_WINDOW_WAIT


def test_batch_arguments_are_checked(make_async_client: MakeAsync) -> None:
    client = make_async_client()
    with pytest.raises(ValueError, match="deadline"):
        client.phone_switch_batch([MOBILE], deadline=float("nan"))
    with pytest.raises(ValueError, match="concurrency"):
        client.phone_switch_batch([MOBILE], concurrency=True)


def test_a_failing_clock_ends_the_waiting_item_with_its_last_error(
    intercom: FakeIntercom,
) -> None:
    from intercom_phone_switch import ConnectionFailed

    class Broken(FakeClock):
        async def async_sleep(self, seconds: float) -> None:
            raise RuntimeError("a caller's clock that fails")

    intercom.script.append(httpx.ConnectError("refused"))

    async def run() -> list[PhoneSwitch | PhoneSwitchError]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(intercom.async_handler))
        async with AsyncPhoneSwitchClient(TOKEN, http_client=http, clock=Broken()) as client:
            return await client.create_phone_switches(phones(3), concurrency=1)

    outcomes = asyncio.run(run())
    assert [type(o) for o in outcomes] == [ConnectionFailed, PhoneSwitch, PhoneSwitch]
