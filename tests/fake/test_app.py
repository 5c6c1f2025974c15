"""FakeIntercom: settings, state bounds, reset."""

from __future__ import annotations

import httpx
import pytest

from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom
from tests.versions import LATEST, NEXT

PATH = "/phone_call_redirects"


def test_defaults() -> None:
    fake = FakeIntercom()
    assert fake.tokens == frozenset({DEFAULT_TOKEN})
    assert fake.default_version == LATEST
    assert fake.rate_limiter.limit == 1666
    assert fake.rate_limiter.window == 10.0
    assert (fake.outbox.cap, fake.contacts.cap, fake.max_body_bytes) == (10_000, 10_000, 65_536)
    assert repr(fake) == f"<FakeIntercom tokens=1 default_version='{LATEST}' sent=0>"


def test_versions() -> None:
    fake = FakeIntercom()
    assert fake.accepts_version("Unstable")
    assert not fake.accepts_version("unstable")
    assert fake.contract("Unstable").version == "Preview"
    assert fake.contract("1.0").version == "2.7"
    with pytest.raises(ValueError, match="does not accept"):
        fake.default_version = NEXT


@pytest.mark.parametrize(
    "options",
    [
        {"max_body_bytes": 0},
        {"max_body_bytes": 10**9},
        {"outbox_cap": 0},
        {"outbox_cap": 10**30},
        {"contacts_cap": 0},
        {"fault_log_cap": 0},
        {"fault_log_cap": 10**30},
        {"rate_limit": 10**30},
        {"rate_limit": 1.5},
        {"rate_limit_window": float("inf")},
        {"rate_limit_window": float("nan")},
        {"rate_limit_window": 1e-320},
    ],
)
def test_rejects_impossible_settings(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        FakeIntercom(**options)  # type: ignore[arg-type]


def test_memory_stays_bounded_under_traffic() -> None:
    fake = FakeIntercom(outbox_cap=50, contacts_cap=20, fault_log_cap=30, rate_limit=10**6)
    fake.faults.randomly(0.5, kinds=["latency"], delay=0, seed=1)
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with httpx.Client(transport=fake.transport(), base_url="http://x", headers=headers) as client:
        for index in range(600):
            body = {"phone": f"+3538310{index:05d}", "custom_attributes": {"n": index}}
            assert client.post(PATH, json=body).status_code == 200
    assert fake.outbox.total == 600
    assert len(fake.outbox) == 50
    assert fake.outbox.messages()[0].phone == "+353831000550"
    assert len(fake.contacts) == 20
    assert len(fake.faults.log) == 30


def test_reset_empties_everything(clock: object) -> None:
    fake = FakeIntercom(rate_limit=1, clock=clock)  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with httpx.Client(transport=fake.transport(), base_url="http://x", headers=headers) as client:
        body = {"phone": "+353832345678", "custom_attributes": {"a": "b"}}
        fake.faults.script("latency", "sms_failed")
        assert client.post(PATH, json=body).status_code == 200
        assert client.post(PATH, json=body).status_code == 429
        fake.reset()
        assert (fake.outbox.total, len(fake.contacts), fake.faults.log) == (0, 0, [])
        assert fake.faults.pending == []
        assert client.post(PATH, json=body).status_code == 200  # a fresh budget
