"""1,000 phone switches through the client with 20% injected faults of every kind.

What the outbox and the fault log prove: no phone got two SMS; every call ended in a
PhoneSwitch or a typed error; every DeliveryUnknown matches an injected fault, and every
fault that struck after the SMS was sent surfaced as a DeliveryUnknown (a dropped
connection as DeliveryUnknown itself, a 5xx as its subclass ServerError). A 5xx before
sending is also a ServerError: the client cannot tell it from one after sending, so it
says "unknown", and the outbox shows that no SMS went out.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import pytest

from intercom_phone_switch import (
    DeliveryUnknown,
    PhoneSwitch,
    PhoneSwitchError,
    ServerError,
    SmsNotSent,
)
from intercom_phone_switch.fake import (
    ALL_KINDS,
    FakeIntercom,
    FaultKind,
    FaultRecord,
    fake_async_client,
    fake_client,
)

CALLS = 1_000
PHONES = [f"+3538310{index:05d}" for index in range(CALLS)]


def faulty_fake(seed: int) -> FakeIntercom:
    fake = FakeIntercom(rate_limit=1_000_000)
    fake.faults.randomly(0.2, kinds=ALL_KINDS, statuses=(500, 502, 503), delay=0.002, seed=seed)
    return fake


def check(fake: FakeIntercom, outcomes: Sequence[PhoneSwitch | PhoneSwitchError]) -> None:
    assert len(outcomes) == CALLS

    # No phone got two SMS.
    sent = Counter(sms.phone for sms in fake.outbox.messages())
    assert fake.outbox.total == len(fake.outbox) == sum(sent.values())
    assert max(sent.values()) == 1

    # One request per call, and the log names the phone of each fault.
    log: dict[str, FaultRecord] = {}
    for record in fake.faults.log:
        assert record.phone is not None
        assert record.phone not in log
        log[record.phone] = record

    # Every call ended in a PhoneSwitch or a typed error that matches what happened.
    seen: Counter[str] = Counter()
    for phone, outcome in zip(PHONES, outcomes, strict=True):
        fault = log.get(phone)
        kind = None if fault is None else fault.kind
        if isinstance(outcome, PhoneSwitch):
            (sms,) = (sms for sms in fake.outbox.messages(phone))
            assert (sms.url, sms.request_id) == (outcome.url, outcome.request_id)
            assert kind in (None, FaultKind.LATENCY)
            seen["PhoneSwitch"] += 1
        elif type(outcome) is DeliveryUnknown:  # no answer at all
            assert fault is not None
            assert kind is FaultKind.DROP_AFTER_SMS
            assert fault.sms_recorded
            assert sent[phone] == 1
            seen["DeliveryUnknown"] += 1
        elif isinstance(outcome, ServerError):
            assert fault is not None
            assert kind in (FaultKind.SERVER_ERROR_BEFORE, FaultKind.SERVER_ERROR_AFTER)
            assert outcome.status == fault.status
            assert outcome.request_id == fault.request_id
            assert fault.sms_recorded is (kind is FaultKind.SERVER_ERROR_AFTER)
            assert sent[phone] == (1 if fault.sms_recorded else 0)
            seen["ServerError"] += 1
        elif isinstance(outcome, SmsNotSent):
            assert kind is FaultKind.SMS_FAILED
            assert sent[phone] == 0
            seen["SmsNotSent"] += 1
        else:
            raise AssertionError(f"{phone}: unexpected outcome {outcome!r}")

    # Every fault that struck after the SMS was sent surfaced as a DeliveryUnknown.
    for phone, fault in log.items():
        assert fault.applied
        outcome = outcomes[PHONES.index(phone)]
        if fault.kind.after_sending:
            assert isinstance(outcome, DeliveryUnknown)
            assert sent[phone] == 1

    # About 20% of the calls met a fault, and every kind of fault happened.
    assert 0.15 * CALLS <= len(log) <= 0.25 * CALLS
    assert {fault.kind for fault in log.values()} == set(ALL_KINDS)
    assert set(seen) == {"PhoneSwitch", "DeliveryUnknown", "ServerError", "SmsNotSent"}


def test_a_thousand_calls_in_process_async_bulk() -> None:
    fake = faulty_fake(seed=20_240_601)

    async def scenario() -> list[PhoneSwitch | PhoneSwitchError]:
        async with fake_async_client(fake) as client:
            return await client.create_phone_switches(
                [(phone, {"order": str(index)}) for index, phone in enumerate(PHONES)],
                concurrency=16,
            )

    check(fake, asyncio.run(scenario()))


def test_a_thousand_calls_over_a_real_port() -> None:
    from intercom_phone_switch import PhoneSwitchClient

    fake = faulty_fake(seed=7)
    outcomes: list[PhoneSwitch | PhoneSwitchError] = []
    with (
        fake.serve() as server,
        PhoneSwitchClient("fake-intercom-token", base_url=server.url) as client,
    ):
        for phone in PHONES:
            try:
                outcomes.append(client.create_phone_switch(phone))
            except PhoneSwitchError as error:
                outcomes.append(error)
    check(fake, outcomes)


def test_the_check_catches_a_client_that_retries_unknown_deliveries() -> None:
    """With retry_possibly_delivered=True, a dropped connection leads to a second SMS."""

    class NoWait:
        def time(self) -> float:
            return 0.0

        def monotonic(self) -> float:
            return 0.0

        def sleep(self, seconds: float) -> None:
            return None

        async def async_sleep(self, seconds: float) -> None:
            return None

    fake = FakeIntercom()
    fake.faults.script("drop_after_sms")
    with fake_client(fake, max_retries=1, retry_possibly_delivered=True, clock=NoWait()) as client:
        switch = client.create_phone_switch(PHONES[0])
    assert switch.attempts == 2
    assert Counter(sms.phone for sms in fake.outbox.messages())[PHONES[0]] == 2


@pytest.mark.parametrize("kind", [kind for kind in FaultKind if kind.after_sending])
def test_faults_after_sending_are_never_retried_by_default(kind: FaultKind) -> None:
    fake = FakeIntercom()
    fake.faults.script(kind, kind, kind)
    with fake_client(fake, max_retries=3) as client, pytest.raises(DeliveryUnknown) as caught:
        client.create_phone_switch(PHONES[0])
    assert caught.value.attempts == 1
    assert fake.outbox.total == 1
    assert len(fake.faults.pending) == 2
