"""A recorded phone switch replays whole: every field, its extra fields included."""

from __future__ import annotations

import datetime

from intercom_phone_switch import PhoneSwitch, RateLimit
from intercom_phone_switch.guard._payload import dump, load
from intercom_phone_switch.guard._store import Record


def _switch(extra: dict[str, object]) -> PhoneSwitch:
    return PhoneSwitch(
        type="phone_call_redirect",
        url="http://via.intercom.io/msgr/1",
        phone="+353832345678",
        request_id="r-1",
        version="2.13",
        rate_limit=RateLimit(limit=10, remaining=9, reset=1_700_000_000),
        attempts=2,
        extra=extra,
    )


def _record(payload: str) -> Record:
    return Record(state="accepted", owner="test", payload=payload)


def test_a_switch_with_extra_fields_replays_them() -> None:
    original = _switch({"conversation_id": "512", "nested": {"a": [1, None]}})
    replayed = load(_record(dump(original)), replayed=False)
    assert replayed == original
    assert dict(replayed.extra) == {"conversation_id": "512", "nested": {"a": [1, None]}}  # type: ignore[union-attr]


def test_extra_values_json_has_no_type_for_are_kept_as_json() -> None:
    when = datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc)
    replayed = load(_record(dump(_switch({"at": when}))))
    assert isinstance(replayed, PhoneSwitch)
    assert dict(replayed.extra) == {"at": "2026-12-07T00:00:00+00:00"}
    assert replayed.replayed


def test_an_extra_field_too_deep_to_read_back_is_left_out_of_the_record() -> None:
    deep: list[object] = []
    level = deep
    for _ in range(1_000):
        level.append([])
        level = level[0]  # type: ignore[assignment]
    original = _switch({"deep": deep, "kept": {"a": 1}})
    replayed = load(_record(dump(original)))
    assert isinstance(replayed, PhoneSwitch)
    assert dict(replayed.extra) == {"kept": {"a": 1}}
    assert (replayed.url, replayed.request_id) == (original.url, original.request_id)
