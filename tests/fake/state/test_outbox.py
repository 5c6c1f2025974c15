from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from intercom_phone_switch.fake import Outbox, SentSms
from tests.versions import LATEST

AT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def sms(phone: str, sequence: int = 0) -> SentSms:
    return SentSms(
        phone=phone,
        url=f"http://via.intercom.io/msgr/{sequence}",
        custom_attributes={"n": sequence},
        version=LATEST,
        spec_version=LATEST,
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
        "version": LATEST,
        "spec_version": LATEST,
        "request_id": "req-4",
        "sent_at": "2024-01-02T03:04:05+00:00",
        "sequence": 4,
    }


def test_keeps_at_most_max_bytes() -> None:
    outbox = Outbox(max_bytes=64 * 1024)
    big = {"a": "x" * 10_000}
    for sequence in range(20):
        outbox.record(SentSms("+1", "u", big, LATEST, LATEST, f"r{sequence}", AT, sequence))
    assert 5 <= len(outbox) <= 6  # about 11 KiB each
    assert outbox.bytes <= 64 * 1024
    assert [m.sequence for m in outbox.messages()][-1] == 19
    assert outbox.total == 20
    assert outbox.messages()[-1].custom_attributes == big


def test_attributes_are_kept_compact_and_read_back_equal() -> None:
    values = {f"k{index}": index for index in range(5_000)}
    message = SentSms("+1", "u", values, LATEST, LATEST, "r", AT)
    assert message.size <= 1024 + len(json.dumps(values, separators=(",", ":"))) + 10
    assert message.custom_attributes == values
    assert message.custom_attributes is not message.custom_attributes  # copies
    with pytest.raises(AttributeError):
        message.phone = "+2"  # type: ignore[misc]
