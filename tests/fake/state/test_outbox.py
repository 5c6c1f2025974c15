from __future__ import annotations

from datetime import datetime, timezone

import pytest

from intercom_phone_switch.fake import Outbox, SentSms

AT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def sms(phone: str, sequence: int = 0) -> SentSms:
    return SentSms(
        phone=phone,
        url=f"http://via.intercom.io/msgr/{sequence}",
        custom_attributes={"n": sequence},
        version="2.16",
        spec_version="2.16",
        request_id=f"req-{sequence}",
        sent_at=AT,
        sequence=sequence,
    )


def test_keeps_messages_in_order_and_filters_by_phone() -> None:
    outbox = Outbox()
    outbox.record(sms("+1", 1))
    outbox.record(sms("+2", 2))
    outbox.record(sms("+1", 3))
    assert [m.sequence for m in outbox.messages()] == [1, 2, 3]
    assert [m.sequence for m in outbox.messages("+1")] == [1, 3]
    assert [m.sequence for m in outbox] == [1, 2, 3]
    assert outbox.last() == sms("+1", 3)
    assert len(outbox) == 3
    assert outbox.total == 3


def test_is_a_ring_buffer() -> None:
    outbox = Outbox(cap=3)
    for sequence in range(10):
        outbox.record(sms("+1", sequence))
    assert [m.sequence for m in outbox.messages()] == [7, 8, 9]
    assert outbox.total == 10
    assert outbox.cap == 3
    assert "3 kept of 10 sent" in repr(outbox)


def test_clear() -> None:
    outbox = Outbox()
    outbox.record(sms("+1"))
    outbox.clear()
    assert outbox.messages() == []
    assert outbox.last() is None
    assert outbox.total == 0


def test_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="outbox_cap must be in 1"):
        Outbox(cap=0)


def test_to_json() -> None:
    assert sms("+1", 4).to_json() == {
        "phone": "+1",
        "url": "http://via.intercom.io/msgr/4",
        "custom_attributes": {"n": 4},
        "version": "2.16",
        "spec_version": "2.16",
        "request_id": "req-4",
        "sent_at": "2024-01-02T03:04:05+00:00",
        "sequence": 4,
    }
