"""The guard through the client: replays, refusals, unknowns, waits, windows, failures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    BulkItem,
    DeliveryUnknown,
    InvalidPhoneNumber,
    PhoneSwitchClient,
    SmsNotSent,
)
from intercom_phone_switch.fake import FakeIntercom
from intercom_phone_switch.fake._faults import Fault, FaultKind
from intercom_phone_switch.guard import (
    GUARD_VARIABLE,
    Guard,
    GuardUnavailable,
    KeyInFlight,
    SendWindowClosed,
    Store,
    StoreError,
)

PHONE = "+353832345678"
OTHER = "+353832345679"
MakeClient = Callable[..., PhoneSwitchClient]


def test_a_key_sends_once_and_replays_the_switch(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    client = make_client(guard=Guard(store_url))
    first = client.create_phone_switch(PHONE, idempotency_key="call-1")
    again = client.create_phone_switch(PHONE, idempotency_key="call-1")
    assert not first.replayed
    assert again.replayed
    assert (again.url, again.request_id, again.phone) == (first.url, first.request_id, PHONE)
    assert fake.outbox.total == 1
    assert (
        make_client(guard=Guard(store_url))
        .create_phone_switch(PHONE, idempotency_key="call-1")
        .replayed
    )
    assert fake.outbox.total == 1
    state = Guard(store_url).state("call-1")
    assert state.state == "accepted"
    # The record is the first call's switch, as that call got it: not a replay.
    assert state.outcome == first
    assert not state.outcome.replayed


def test_a_refusal_frees_the_key(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    client = make_client(guard=Guard(store_url))
    fake.faults.script("sms_failed")
    with pytest.raises(SmsNotSent) as refused:
        client.create_phone_switch(PHONE, idempotency_key="call-2")
    assert not refused.value.replayed
    assert Guard(store_url).state("call-2").state == "refused"
    switch = client.create_phone_switch(PHONE, idempotency_key="call-2")
    assert not switch.replayed
    assert fake.outbox.total == 1


@pytest.mark.parametrize("fault", ["server_error_after", "drop_after_sms"])
def test_an_unknown_outcome_holds_the_key_until_forgotten(
    store_url: str, make_client: MakeClient, fake: FakeIntercom, fault: str
) -> None:
    client = make_client(guard=Guard(store_url))
    fake.faults.script(fault)
    with pytest.raises(DeliveryUnknown) as first:
        client.create_phone_switch(PHONE, idempotency_key="call-3")
    assert not first.value.replayed
    with pytest.raises(DeliveryUnknown) as again:
        client.create_phone_switch(PHONE, idempotency_key="call-3")
    assert again.value.replayed
    assert type(again.value) is type(first.value)
    assert fake.outbox.total == 1  # the first request's SMS; the second sent nothing
    guard = Guard(store_url)
    assert guard.state("call-3").state == "unknown"
    assert guard.forget("call-3")  # the explicit override
    assert not client.create_phone_switch(PHONE, idempotency_key="call-3").replayed
    assert fake.outbox.total == 2


def test_input_errors_leave_the_key_free(store_url: str, make_client: MakeClient) -> None:
    client = make_client(guard=Guard(store_url))
    with pytest.raises(InvalidPhoneNumber):
        client.create_phone_switch("12", idempotency_key="call-4")
    assert Guard(store_url).state("call-4").state == "free"
    with pytest.raises(ValueError, match="idempotency key"):
        client.create_phone_switch(PHONE, idempotency_key="")


def test_a_second_call_waits_for_the_first_and_replays_it(
    store_url: str, make_async_client: Callable[..., AsyncPhoneSwitchClient], fake: FakeIntercom
) -> None:
    fake.faults.script(Fault(FaultKind.LATENCY, delay=0.4))
    client = make_async_client(guard=Guard(store_url))

    async def both() -> list[Any]:
        first = asyncio.ensure_future(client.create_phone_switch(PHONE, idempotency_key="c5"))
        await asyncio.sleep(0.1)
        second = asyncio.ensure_future(client.create_phone_switch(PHONE, idempotency_key="c5"))
        return list(await asyncio.gather(first, second))

    first, second = asyncio.run(both())
    assert (first.replayed, second.replayed) == (False, True)
    assert first.url == second.url
    assert fake.outbox.total == 1


def test_a_waiter_gets_the_first_calls_refusal(
    store_url: str, make_async_client: Callable[..., AsyncPhoneSwitchClient], fake: FakeIntercom
) -> None:
    guard = Guard(store_url)
    client = make_async_client(guard=guard)
    guard.store.claim(guard.key("c6"), "someone", 30, 60)

    async def later_refused() -> None:
        await asyncio.sleep(0.2)
        guard.store.finish(guard.key("c6"), "someone", "refused", '{"error":"SmsNotSent"}', 60)

    async def run() -> None:
        refuse = asyncio.ensure_future(later_refused())
        with pytest.raises(SmsNotSent) as caught:
            await client.create_phone_switch(PHONE, idempotency_key="c6")
        assert caught.value.replayed
        await refuse

    asyncio.run(run())
    assert fake.outbox.total == 0


def test_a_key_in_flight_past_the_deadline(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url)
    # The client's deadline (0.3 s after the call began) bounds its wait for the key.
    client = make_client(guard=guard, deadline=0.3, timeout=0.3, attempt_timeout=0.3)
    guard.store.claim(guard.key("c7"), "someone", 30, 60)
    started = time.monotonic()
    with pytest.raises(KeyInFlight) as caught:
        client.create_phone_switch(PHONE, idempotency_key="c7")
    assert 0.25 < time.monotonic() - started < 5
    assert isinstance(caught.value, DeliveryUnknown)
    assert caught.value.replayed
    assert fake.outbox.total == 0


def test_the_wait_for_a_key_in_flight_leaves_the_call_its_attempt(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    """The wait ends by the client's deadline, not by the moment the call must have
    ended (deadline plus one attempt's bound, here 0.3 + 4 x 1 + 5 s): a call that then
    got the key could still send within its bound, and its claim's lease covers that."""
    guard = Guard(store_url)
    client = make_client(guard=guard, deadline=0.3, timeout=1.0, attempt_timeout=5.0)
    guard.store.claim(guard.key("c9"), "someone", 30, 60)
    started = time.monotonic()
    with pytest.raises(KeyInFlight):
        client.create_phone_switch(PHONE, idempotency_key="c9")
    assert 0.25 < time.monotonic() - started < 2.0
    assert fake.outbox.total == 0


def test_an_async_bulk_item_waits_for_a_key_in_flight_until_the_deadline(
    store_url: str, make_async_client: Callable[..., AsyncPhoneSwitchClient], fake: FakeIntercom
) -> None:
    guard = Guard(store_url)
    client = make_async_client(guard=guard, deadline=0.3, timeout=1.0, attempt_timeout=5.0)
    guard.store.claim(guard.key("c10"), "someone", 30, 60)
    item: BulkItem = {"phone": PHONE, "idempotency_key": "c10"}
    started = time.monotonic()
    (result,) = asyncio.run(client.create_phone_switches([item]))
    assert 0.25 < time.monotonic() - started < 2.0
    assert isinstance(result, KeyInFlight)
    assert fake.outbox.total == 0


def test_a_deadline_too_far_for_a_store_still_guards(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    """A lease of 1e308 s is cut to what the store can keep (Redis counts milliseconds)."""
    client = make_client(guard=Guard(store_url), deadline=1e308)
    first = client.create_phone_switch(PHONE, idempotency_key="far")
    assert client.create_phone_switch(PHONE, idempotency_key="far").replayed
    assert Guard(store_url).state("far").outcome == first
    assert fake.outbox.total == 1


def test_an_owner_that_died_leaves_the_key_unknown(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url)
    client = make_client(guard=guard)
    guard.store.claim(guard.key("c8"), "killed", 0.05, 60)
    time.sleep(0.1)
    with pytest.raises(DeliveryUnknown, match="stopped before it recorded") as caught:
        client.create_phone_switch(PHONE, idempotency_key="c8")
    assert caught.value.replayed
    assert guard.state("c8").state == "unknown"
    assert fake.outbox.total == 0


def test_the_per_phone_window(store_url: str, make_client: MakeClient, fake: FakeIntercom) -> None:
    client = make_client(guard=Guard(store_url, per_phone_window=0.5))
    client.create_phone_switch(PHONE)
    with pytest.raises(SendWindowClosed) as closed:
        client.create_phone_switch(PHONE, idempotency_key="w1")
    assert closed.value.window == 0.5
    assert closed.value.retry_after is not None
    assert closed.value.retry_after <= 0.5
    assert Guard(store_url).state("w1").state == "refused"  # the key is free again
    client.create_phone_switch(OTHER)
    assert fake.outbox.total == 2
    time.sleep(0.6)
    client.create_phone_switch(PHONE, idempotency_key="w1")
    assert fake.outbox.total == 3


def test_a_refused_send_reopens_the_window(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    client = make_client(guard=Guard(store_url, per_phone_window=60))
    fake.faults.script("sms_failed")
    with pytest.raises(SmsNotSent):
        client.create_phone_switch(PHONE)
    client.create_phone_switch(PHONE)
    with pytest.raises(SendWindowClosed):
        client.create_phone_switch(PHONE)
    assert fake.outbox.total == 1


def test_an_unreachable_guard_fails_closed(make_client: MakeClient, fake: FakeIntercom) -> None:
    pytest.importorskip("redis")
    from bench.support import free_port

    url = f"redis://127.0.0.1:{free_port()}/0?timeout=0.5"
    with pytest.raises(GuardUnavailable) as caught:
        make_client(guard=Guard(url)).create_phone_switch(PHONE, idempotency_key="f1")
    assert caught.value.sms_sent is False
    assert caught.value.attempts == 0
    assert "outcome=refused" in str(caught.value)
    assert fake.outbox.total == 0
    with pytest.raises(GuardUnavailable):
        make_client(guard=Guard(url, per_phone_window=10)).create_phone_switch(PHONE)
    assert fake.outbox.total == 0


def test_fail_open_is_an_explicit_choice(
    make_client: MakeClient, fake: FakeIntercom, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("redis")
    from bench.support import free_port

    url = f"redis://127.0.0.1:{free_port()}/0?timeout=0.5&fail_open=true"
    switch = make_client(guard=Guard(url)).create_phone_switch(PHONE, idempotency_key="f2")
    assert not switch.replayed
    assert fake.outbox.total == 1
    assert "sending unguarded" in caplog.text


class FailingAfterClaim:
    """A memory store whose every write after the claim fails."""

    blocking = False

    def __init__(self) -> None:
        from intercom_phone_switch.guard._memory import MemoryStore

        self.inner = MemoryStore("failing")
        self.url = "memory://failing"
        self.get, self.claim, self.forget = self.inner.get, self.inner.claim, self.inner.forget

    def finish(self, *args: object) -> bool:
        raise StoreError("the store went away")

    def release(self, *args: object) -> bool:
        raise StoreError("the store went away")

    def close(self) -> None:
        pass


def test_a_store_failure_after_sending_says_it_was_sent(
    make_client: MakeClient, fake: FakeIntercom
) -> None:
    store: Store = FailingAfterClaim()
    guard = Guard(store)
    client = make_client(guard=guard)
    with pytest.raises(GuardUnavailable) as caught:
        client.create_phone_switch(PHONE, idempotency_key="f3")
    assert caught.value.sms_sent is True
    assert caught.value.recorded is not None
    assert caught.value.recorded.url == fake.outbox.messages()[0].url  # type: ignore[union-attr]
    fake.faults.script("server_error_after")
    with pytest.raises(GuardUnavailable) as unknown:
        client.create_phone_switch(PHONE, idempotency_key="f4")
    assert unknown.value.sms_sent is None
    assert isinstance(unknown.value.recorded, DeliveryUnknown)
    assert guard.state("f3").state == "pending"  # later calls wait, then read it as unknown


def test_bulk_items_carry_keys(
    store_url: str, make_async_client: Callable[..., AsyncPhoneSwitchClient], fake: FakeIntercom
) -> None:
    client = make_async_client(guard=Guard(store_url))
    items: list[BulkItem] = [
        {"phone": PHONE, "idempotency_key": "b1"},
        {"phone": PHONE, "idempotency_key": "b1"},
        {"phone": OTHER, "idempotency_key": "b2"},
        OTHER,
    ]
    outcomes = asyncio.run(client.create_phone_switches(items, concurrency=4))
    assert sorted(o.replayed for o in outcomes[:2]) == [False, True]
    assert fake.outbox.total == 3
    again = asyncio.run(client.create_phone_switches(items[:3]))
    assert all(o.replayed for o in again)
    assert fake.outbox.total == 3


def test_the_guard_comes_from_the_environment(
    make_client: MakeClient, fake: FakeIntercom, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/env.db"
    monkeypatch.setenv(GUARD_VARIABLE, url)
    # The client never reads the variable: the guard package does, when asked.
    with pytest.raises(ValueError, match="needs a guard"):
        make_client().create_phone_switch(PHONE, idempotency_key="e1")
    guard = Guard.from_environment(per_phone_window=60)
    assert guard.per_phone_window == 60
    make_client(guard=guard).create_phone_switch(PHONE, idempotency_key="e1")
    monkeypatch.delenv(GUARD_VARIABLE)
    assert Guard(url).state("e1").state == "accepted"
    with pytest.raises(ValueError, match=GUARD_VARIABLE):
        Guard.from_environment()
    assert Guard.from_environment("memory://").url == "memory://"
    assert fake.outbox.total == 1


def test_a_key_without_a_guard_is_refused_before_sending(
    make_client: MakeClient,
    make_async_client: Callable[..., AsyncPhoneSwitchClient],
    fake: FakeIntercom,
) -> None:
    with pytest.raises(ValueError, match=r"guard=Guard\('memory://'\)"):
        make_client().create_phone_switch(PHONE, idempotency_key="k")
    with pytest.raises(ValueError, match="needs a guard"):
        asyncio.run(make_async_client().create_phone_switch(PHONE, idempotency_key="k"))
    with pytest.raises(ValueError, match="needs a guard"):
        make_client().phone_switch_batch([{"phone": PHONE, "idempotency_key": "k"}])
    with pytest.raises(TypeError, match="Guard"):
        make_client(guard="memory://")
    assert fake.outbox.total == 0


def test_each_memory_guard_has_its_own_store(make_client: MakeClient, fake: FakeIntercom) -> None:
    make_client(guard=Guard("memory://")).create_phone_switch(PHONE, idempotency_key="m-1")
    # Another Guard("memory://") shares nothing with the first: the key is free there.
    assert not make_client(guard=Guard()).create_phone_switch(PHONE, idempotency_key="m-1").replayed
    assert fake.outbox.total == 2
    # A named memory store is shared by the guards of the process that name it.
    make_client(guard=Guard("memory://shared-by-name")).create_phone_switch(
        PHONE, idempotency_key="m-2"
    )
    again = make_client(guard=Guard("memory://shared-by-name")).create_phone_switch(
        PHONE, idempotency_key="m-2"
    )
    assert again.replayed
    assert fake.outbox.total == 3
    Guard("memory://shared-by-name").forget("m-2")


def test_share_rate_budget_needs_redis() -> None:
    with pytest.raises(ValueError, match="Redis guard"):
        Guard("memory://", share_rate_budget=True)
    with pytest.raises(ValueError, match="per_phone_window"):
        Guard(per_phone_window=0)


def test_each_app_has_its_own_shared_budget(fake: FakeIntercom) -> None:
    pytest.importorskip("redis")
    from intercom_phone_switch._retry import SystemClock

    guard = Guard("redis://127.0.0.1:9/0", share_rate_budget=True)  # never contacted

    def budget_key(token: str, base_url: str = "http://fake.invalid") -> str:
        client = AsyncPhoneSwitchClient(token, base_url=base_url, guard=guard)
        pacer = guard.pacer(client._scope(), SystemClock())
        assert pacer is not None
        key: str = pacer._keys[0]  # type: ignore[attr-defined]
        assert token not in key
        return key

    assert budget_key("token-a") == budget_key("token-a")
    assert budget_key("token-a") != budget_key("token-b")
    assert budget_key("token-a") != budget_key("token-a", "http://other.invalid")
    assert Guard("redis://127.0.0.1:9/0").pacer("scope", SystemClock()) is None


def test_a_malformed_bulk_key_sends_nothing(
    make_async_client: Callable[..., AsyncPhoneSwitchClient], fake: FakeIntercom
) -> None:
    client = make_async_client(guard=Guard())
    items: list[BulkItem] = [PHONE, {"phone": OTHER, "idempotency_key": ""}]
    with pytest.raises(ValueError, match="idempotency key"):
        asyncio.run(client.create_phone_switches(items))
    assert fake.outbox.total == 0
