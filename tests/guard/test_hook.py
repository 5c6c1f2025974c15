"""The guard as the client's hook: what it records (the call's Outcome), how long a claim
holds (as long as its call), and what a call stopped midway leaves (nothing pending)."""

from __future__ import annotations

import ast
import asyncio
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    DeliveryUnknown,
    ItemState,
    PhoneSwitch,
    PhoneSwitchClient,
    PhoneSwitchError,
    RateLimit,
    SmsNotSent,
)
from intercom_phone_switch._outcome import Outcome
from intercom_phone_switch._retry import SystemClock
from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom
from intercom_phone_switch.fake._faults import Fault, FaultKind
from intercom_phone_switch.guard import Guard
from tests.versions import LATEST as LATEST_VERSION

PHONE = "+353832345678"
FACADE = Path(__file__).resolve().parents[2] / "facade" / "intercom_phone_switch"
MakeClient = Callable[..., PhoneSwitchClient]
MakeAsyncClient = Callable[..., AsyncPhoneSwitchClient]
#: Every wait of these tests ends within this many seconds.
BOUND = 20.0


@dataclass
class Call:
    """A call as a client describes it to its hook (the CallInfo protocol)."""

    key: str | None = "k"
    phone: str = PHONE
    version: str = LATEST_VERSION
    deadline: float | None = None
    waits_end: float | None = None
    done: Outcome = Outcome.REFUSED

    def outcome(self) -> Outcome:
        return self.done


def _switch() -> PhoneSwitch:
    return PhoneSwitch(
        "phone_call_redirect", "https://x/1", PHONE, "r1", LATEST_VERSION, RateLimit()
    )


# -- the protocol --------------------------------------------------------------------------
def test_the_guard_is_a_send_hook(tmp_path: Path) -> None:
    script = tmp_path / "hooked.py"
    script.write_text(
        "from intercom_phone_switch import PhoneSwitchClient\n"
        "from intercom_phone_switch.hooks import SendHook\n"
        "from intercom_phone_switch.guard import Guard\n"
        "hook: SendHook = Guard('memory://', per_phone_window=60)\n"
        "PhoneSwitchClient('t', guard=hook)\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", script.name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_core_imports_nothing_of_the_guard() -> None:
    for path in sorted(FACADE.glob("*.py")):
        name = path.name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert "guard" not in module.split("."), f"{name} imports {module}"
            elif isinstance(node, ast.Import):
                assert not any("guard" in alias.name.split(".") for alias in node.names), name


# -- what is recorded: the call's outcome ------------------------------------------------------
ANSWERS: dict[str, tuple[int, dict[str, object] | str | None]] = {
    "200 error list": (
        200,
        {"type": "error.list", "errors": [{"code": "intercom_version_invalid", "message": "x"}]},
    ),
    "202 empty": (202, None),
    "200 html": (200, "<html>accepted</html>"),
    "302": (302, None),
    "409": (409, {"type": "error.list", "errors": [{"code": "conflict", "message": "x"}]}),
    "418": (418, None),
    "503": (503, None),
}


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_the_guard_records_the_outcome_the_call_reports(
    store_url: str, make_client: MakeClient, answer: str
) -> None:
    status, body = ANSWERS[answer]
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if body is None:
            headers = {"location": "https://elsewhere.invalid/"} if status == 302 else {}
            return httpx.Response(status, headers=headers)
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    guard = Guard(store_url)
    http = httpx.Client(transport=httpx.MockTransport(handle))
    client = PhoneSwitchClient(
        DEFAULT_TOKEN, http_client=http, guard=guard, max_retries=0, base_url="https://x.invalid"
    )
    with pytest.raises(PhoneSwitchError) as caught:
        client.create_phone_switch(PHONE, idempotency_key="call")
    outcome = caught.value.outcome
    assert guard.state("call").state == outcome.value
    # Every consumer tells the same story: a second call sends again only after a refusal.
    with pytest.raises(PhoneSwitchError) as again:
        client.create_phone_switch(PHONE, idempotency_key="call")
    assert again.value.outcome is outcome
    assert again.value.replayed is (outcome is not Outcome.REFUSED)
    assert len(requests) == (2 if outcome is Outcome.REFUSED else 1)
    http.close()


def test_the_guard_reads_the_outcome_never_the_class(store_url: str) -> None:
    guard = Guard(store_url)

    def raising(error: PhoneSwitchError) -> Callable[[], PhoneSwitch]:
        def deliver() -> PhoneSwitch:
            raise error

        return deliver

    with pytest.raises(DeliveryUnknown):
        guard.run(Call("a"), raising(DeliveryUnknown("no answer", outcome=Outcome.REFUSED)))
    assert guard.state("a").state == "refused"
    with pytest.raises(SmsNotSent):
        guard.run(Call("b"), raising(SmsNotSent("refused?", outcome=Outcome.UNKNOWN)))
    assert guard.state("b").state == "unknown"
    # An earlier attempt of the call that may have sent outweighs its last refusal.
    with pytest.raises(SmsNotSent):
        guard.run(Call("c", done=Outcome.UNKNOWN), raising(SmsNotSent("refused")))
    assert guard.state("c").state == "unknown"
    assert guard.run(Call("d"), _switch).url == "https://x/1"
    assert guard.state("d").state == "accepted"


# -- a claim lives as long as its call --------------------------------------------------------
def test_a_claim_outlives_the_ttl_while_its_call_sends(
    store_url: str, make_async_client: MakeAsyncClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url, ttl=0.3)
    client = make_async_client(guard=guard)  # deadline: the client's 60 s
    fake.faults.script(Fault(FaultKind.LATENCY, delay=1.2))

    async def both() -> list[PhoneSwitch]:
        first = asyncio.ensure_future(client.create_phone_switch(PHONE, idempotency_key="long"))
        await asyncio.sleep(0.8)  # the TTL has run out twice over; the first call still sends
        assert guard.state("long").state == "pending"
        second = client.create_phone_switch(PHONE, idempotency_key="long")
        return list(await asyncio.wait_for(asyncio.gather(first, second), BOUND))

    first, second = asyncio.run(both())
    assert (first.replayed, second.replayed) == (False, True)
    assert fake.outbox.total == 1
    # The TTL is how long the outcome is remembered, once recorded.
    assert guard.state("long").state == "accepted"
    time.sleep(0.5)
    assert guard.state("long").state == "free"


def _no_heartbeat() -> bool:
    return not any(t.name == "phone-switch-guard-lease" for t in threading.enumerate())


def test_a_call_without_a_deadline_renews_its_claim(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url, ttl=0.2, lease=0.6)
    first_client = make_client(guard=guard, deadline=None)
    second_client = make_client(guard=guard, deadline=None)
    fake.faults.script(Fault(FaultKind.LATENCY, delay=2.0))
    results: list[PhoneSwitch] = []
    first = threading.Thread(
        target=lambda: results.append(
            first_client.create_phone_switch(PHONE, idempotency_key="renewed")
        )
    )
    first.start()
    time.sleep(1.2)  # well past the lease and the TTL: only renewals keep the claim
    found = guard.store.get(guard.key("renewed"))
    assert found is not None
    assert found.state == "pending"
    second = second_client.create_phone_switch(PHONE, idempotency_key="renewed")
    first.join(timeout=BOUND)
    assert not first.is_alive()
    assert (results[0].replayed, second.replayed) == (False, True)
    assert fake.outbox.total == 1
    assert _no_heartbeat()  # the renewals stopped with the call


def test_an_async_call_without_a_deadline_renews_its_claim(
    store_url: str, make_async_client: MakeAsyncClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url, ttl=0.2, lease=0.6)
    client = make_async_client(guard=guard, deadline=None)
    fake.faults.script(Fault(FaultKind.LATENCY, delay=2.0))

    async def both() -> tuple[list[PhoneSwitch], int]:
        first = asyncio.ensure_future(client.create_phone_switch(PHONE, idempotency_key="ar"))
        await asyncio.sleep(1.2)
        second = client.create_phone_switch(PHONE, idempotency_key="ar")
        results = list(await asyncio.wait_for(asyncio.gather(first, second), BOUND))
        return results, len(asyncio.all_tasks())

    (first, second), tasks = asyncio.run(both())
    assert (first.replayed, second.replayed) == (False, True)
    assert tasks == 1  # no renewal task outlives its call
    assert fake.outbox.total == 1


# -- stopped midway: nothing pending -------------------------------------------------------------
def _cancel_after(seconds: float, awaitable: Any) -> Any:
    """Run ``awaitable`` as a task, cancel it after ``seconds``: what it ended with, once
    it has ended (in a bounded time)."""

    async def run() -> Any:
        task = asyncio.ensure_future(awaitable)
        await asyncio.sleep(seconds)
        task.cancel()
        return await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), BOUND)

    return asyncio.run(run())


def test_a_call_cancelled_while_it_waits_for_a_key_leaves_it_alone(
    store_url: str, make_async_client: MakeAsyncClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url)
    client = make_async_client(guard=guard)
    guard.store.claim(guard.key("held"), "someone", 30, 60)
    (outcome,) = _cancel_after(0.2, client.create_phone_switch(PHONE, idempotency_key="held"))
    assert isinstance(outcome, asyncio.CancelledError)
    found = guard.store.get(guard.key("held"))
    assert found is not None
    assert (found.state, found.owner) == ("pending", "someone")
    assert fake.outbox.total == 0


def test_a_cancelled_batch_item_that_waited_in_the_guard_is_not_started(
    store_url: str, make_async_client: MakeAsyncClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url)
    client = make_async_client(guard=guard)
    guard.store.claim(guard.key("held"), "someone", 30, 60)
    batch = client.phone_switch_batch([{"phone": PHONE, "idempotency_key": "held"}])
    (outcome,) = _cancel_after(0.2, batch.run())
    assert isinstance(outcome, asyncio.CancelledError)
    (entry,) = batch.entries
    assert entry.state is ItemState.NOT_STARTED
    assert batch.not_started() == [entry.item]
    # The key comes free: a rerun of the batch handles the item.
    guard.store.release(guard.key("held"), "someone")
    (switch,) = asyncio.run(batch.run())
    assert isinstance(switch, PhoneSwitch)
    assert fake.outbox.total == 1


@pytest.fixture
def locked_sqlite(tmp_path: Path) -> Iterator[tuple[Guard, Callable[[], None]]]:
    """A SQLite guard whose file another connection holds the write lock of, and the
    function that lets it go: a claim waits in its worker thread until then."""
    guard = Guard(f"sqlite:///{tmp_path}/locked.db?timeout=10")
    guard.state("warm-up")  # the table exists
    holder = sqlite3.connect(
        tmp_path / "locked.db", isolation_level=None, timeout=10, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            holder.execute("ROLLBACK")

    yield guard, release
    release()
    holder.close()


def test_a_claim_that_goes_through_after_its_call_was_cancelled_is_released(
    locked_sqlite: tuple[Guard, Callable[[], None]],
    make_async_client: MakeAsyncClient,
    fake: FakeIntercom,
) -> None:
    guard, release = locked_sqlite
    client = make_async_client(guard=guard)
    threading.Timer(0.5, release).start()  # the claim goes through after the cancel
    (outcome,) = _cancel_after(0.2, client.create_phone_switch(PHONE, idempotency_key="late"))
    assert isinstance(outcome, asyncio.CancelledError)
    assert guard.state("late").state == "free"
    assert fake.outbox.total == 0


def test_a_batch_cancelled_while_a_claim_is_in_flight_leaves_nothing_pending(
    locked_sqlite: tuple[Guard, Callable[[], None]],
    make_async_client: MakeAsyncClient,
    fake: FakeIntercom,
) -> None:
    guard, release = locked_sqlite
    client = make_async_client(guard=guard)
    batch = client.phone_switch_batch(
        [{"phone": PHONE, "idempotency_key": "b-late"}, {"phone": PHONE, "idempotency_key": "b2"}]
    )
    threading.Timer(0.5, release).start()
    (outcome,) = _cancel_after(0.2, batch.run())
    assert isinstance(outcome, asyncio.CancelledError)
    assert [entry.state for entry in batch.entries] == [ItemState.NOT_STARTED] * 2
    assert guard.state("b-late").state == "free"
    assert guard.state("b2").state == "free"
    assert fake.outbox.total == 0


def test_a_redis_claim_in_flight_when_cancelled_is_released(
    redis_url: str, make_async_client: MakeAsyncClient, fake: FakeIntercom
) -> None:
    import redis

    guard = Guard(f"{redis_url}?namespace=paused")
    client = make_async_client(guard=guard)
    guard.state("warm-up")  # connected, scripts loaded
    admin = redis.Redis.from_url(redis_url)
    admin.execute_command("CLIENT", "PAUSE", "600", "WRITE")  # the claim waits in its thread
    try:
        (outcome,) = _cancel_after(0.2, client.create_phone_switch(PHONE, idempotency_key="p"))
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
        admin.close()
    assert isinstance(outcome, asyncio.CancelledError)
    assert guard.state("p").state == "free"
    assert fake.outbox.total == 0


def test_a_call_cancelled_while_sending_records_that_it_may_have_sent(
    store_url: str, make_async_client: MakeAsyncClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url)
    client = make_async_client(guard=guard)
    fake.faults.script(Fault(FaultKind.LATENCY, delay=1.0))
    (outcome,) = _cancel_after(0.3, client.create_phone_switch(PHONE, idempotency_key="mid"))
    assert isinstance(outcome, asyncio.CancelledError)
    state = guard.state("mid")
    assert state.state == "unknown"
    assert isinstance(state.outcome, DeliveryUnknown)
    assert "CancelledError" in state.outcome.message
    with pytest.raises(DeliveryUnknown) as again:
        asyncio.run(client.create_phone_switch(PHONE, idempotency_key="mid"))
    assert again.value.replayed


class SlowRetries(SystemClock):
    """The real clock, whose waits between attempts take 10 s: a call stopped during one
    has made an attempt that was refused, and nothing more."""

    def sleep(self, seconds: float) -> None:
        time.sleep(10)

    async def async_sleep(self, seconds: float) -> None:
        await asyncio.sleep(10)


def _unreachable() -> str:
    from bench.support import free_port

    return f"http://127.0.0.1:{free_port()}"


def test_a_call_cancelled_after_a_refused_attempt_frees_its_key(store_url: str) -> None:
    guard = Guard(store_url, per_phone_window=60)

    async def run() -> list[Any]:
        async with AsyncPhoneSwitchClient(
            DEFAULT_TOKEN, base_url=_unreachable(), guard=guard, clock=SlowRetries()
        ) as client:
            task = asyncio.ensure_future(client.create_phone_switch(PHONE, idempotency_key="r"))
            await asyncio.sleep(0.5)  # the connection was refused; the retry waits
            task.cancel()
            return await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), BOUND)

    (outcome,) = asyncio.run(run())
    assert isinstance(outcome, asyncio.CancelledError)
    assert guard.state("r").state == "free"
    assert guard.store.get(guard.phone_key(PHONE)) is None  # the window is open again


def test_an_interrupted_sync_call_frees_what_it_never_sent(store_url: str) -> None:
    guard = Guard(store_url)
    client = PhoneSwitchClient(
        DEFAULT_TOKEN, base_url=_unreachable(), guard=guard, clock=SlowRetries()
    )
    main = threading.main_thread().ident
    assert main == threading.get_ident()
    assert main is not None
    timer = threading.Timer(0.5, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.create_phone_switch(PHONE, idempotency_key="ctrl-c")
    finally:
        timer.join(timeout=BOUND)
        client.close()
    assert guard.state("ctrl-c").state == "free"


def test_an_interrupted_sync_call_that_was_sending_is_unknown(
    store_url: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    guard = Guard(store_url)
    client = make_client(guard=guard)
    fake.faults.script(Fault(FaultKind.LATENCY, delay=1.0))
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.create_phone_switch(PHONE, idempotency_key="ctrl-c-mid")
    finally:
        timer.join(timeout=BOUND)
    assert guard.state("ctrl-c-mid").state == "unknown"
