from __future__ import annotations

import pytest

from intercom_phone_switch.fake import ALL_KINDS, Fault, FaultInjector, FaultKind
from tests.versions import LATEST


def draw(injector: FaultInjector, count: int) -> list[Fault | None]:
    found = []
    for sequence in range(1, count + 1):
        record = injector.draw(sequence, f"req-{sequence}", LATEST, 1_700_000_000.0)
        found.append(None if record is None else record.fault)
    return found


def test_no_faults_by_default() -> None:
    injector = FaultInjector()
    assert draw(injector, 5) == [None] * 5
    assert injector.log == []


def test_script_is_used_in_order_and_none_lets_a_request_pass() -> None:
    injector = FaultInjector()
    injector.script("drop_after_sms", None, FaultKind.SMS_FAILED, Fault(FaultKind.LATENCY, delay=0))
    assert injector.pending[1] is None
    assert draw(injector, 5) == [
        Fault(FaultKind.DROP_AFTER_SMS),
        None,
        Fault(FaultKind.SMS_FAILED),
        Fault(FaultKind.LATENCY, delay=0),
        None,
    ]
    assert injector.pending == []
    assert [(r.sequence, r.request_id, r.kind) for r in injector.log] == [
        (1, "req-1", FaultKind.DROP_AFTER_SMS),
        (3, "req-3", FaultKind.SMS_FAILED),
        (4, "req-4", FaultKind.LATENCY),
    ]
    assert [r.sequence for r in injector.records("sms_failed")] == [3]
    assert injector.log[0].at.year == 2023


def test_random_faults_are_reproducible_with_a_seed() -> None:
    first, second = FaultInjector(), FaultInjector()
    for injector in (first, second):
        injector.randomly(0.3, seed=42, statuses=(500, 503), delay=0.001)
    one, two = draw(first, 500), draw(second, 500)
    assert one == two
    faults = [fault for fault in one if fault is not None]
    assert 100 <= len(faults) <= 200
    assert {fault.kind for fault in faults} == set(ALL_KINDS)
    assert {fault.status for fault in faults} == {500, 503}
    assert first.random_faults is not None
    assert first.random_faults.seed == 42


def test_script_comes_before_random_faults() -> None:
    injector = FaultInjector()
    injector.randomly(1.0, kinds=["sms_failed"], seed=1)
    injector.script("server_error_before")
    assert [f.kind for f in draw(injector, 2) if f] == [
        FaultKind.SERVER_ERROR_BEFORE,
        FaultKind.SMS_FAILED,
    ]


def test_clear_keeps_the_log_and_reset_forgets_it() -> None:
    injector = FaultInjector()
    injector.script("sms_failed", "sms_failed")
    injector.randomly(1.0, seed=1)
    draw(injector, 1)
    injector.clear()
    assert injector.pending == []
    assert injector.random_faults is None
    assert draw(injector, 3) == [None] * 3
    assert len(injector.log) == 1
    injector.reset()
    assert injector.log == []


def test_log_is_bounded() -> None:
    injector = FaultInjector(log_cap=3)
    injector.randomly(1.0, seed=3)
    draw(injector, 10)
    assert [r.sequence for r in injector.log] == [8, 9, 10]


def test_after_sending() -> None:
    assert {kind for kind in FaultKind if kind.after_sending} == {
        FaultKind.SERVER_ERROR_AFTER,
        FaultKind.DROP_AFTER_SMS,
    }
    assert str(FaultKind.LATENCY) == "latency"


@pytest.mark.parametrize(
    "value",
    [
        {"kind": "latency", "delay": 0.2},
        {"kind": "server_error_after", "status": 503},
        "sms_failed",
        FaultKind.DROP_AFTER_SMS,
    ],
)
def test_coerce_round_trips_through_json(value: object) -> None:
    fault = Fault.coerce(value)  # type: ignore[arg-type]
    assert Fault.coerce(fault.to_json()) == fault


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"kind": "explode"}, "explode"),
        ({"kind": "latency", "delay": -1}, r"delay must be in 0\.\.60"),
        ({"kind": "server_error_before", "status": 404}, "5xx"),
        ({"kind": "latency", "colour": "red"}, "unknown fault fields"),
    ],
)
def test_rejects_unknown_faults(value: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault.coerce(value)


def test_rejects_bad_random_settings() -> None:
    injector = FaultInjector()
    with pytest.raises(ValueError, match=r"probability must be in 0\.\.1"):
        injector.randomly(1.5)
    with pytest.raises(ValueError, match="at least one kind"):
        injector.randomly(0.5, kinds=[])
    with pytest.raises(ValueError, match="5xx"):
        injector.randomly(0.5, statuses=[200])
    with pytest.raises(ValueError, match="fault_log_cap must be in 1"):
        FaultInjector(log_cap=0)
    injector.randomly(0.0)
    assert injector.random_faults is None
