"""The admin API under /__fake__, over plain httpx."""

from __future__ import annotations

import json

import httpx
import pytest

from intercom_phone_switch.fake import FakeIntercom, FaultKind
from tests.versions import LATEST

MOBILE = "+353832345678"
PATH = "/phone_call_redirects"
#: Admin bodies go as JSON (a body of another type is refused: see test_guard).
JSON_BODY = {"Content-Type": "application/json"}


def test_health(raw: httpx.Client) -> None:
    assert raw.get("/__fake__/health").json() == {"status": "ok"}


def test_outbox_and_contacts(fake: FakeIntercom, raw: httpx.Client) -> None:
    raw.post(PATH, json={"phone": MOBILE, "custom_attributes": {"issue": "Billing"}})
    raw.post(PATH, json={"phone": "+447911123456"}, headers={"Intercom-Version": "Unstable"})
    outbox = raw.get("/__fake__/outbox").json()
    assert outbox["total"] == 2
    assert outbox["cap"] == 10_000
    assert [(m["phone"], m["version"], m["spec_version"]) for m in outbox["messages"]] == [
        (MOBILE, LATEST, LATEST),
        ("+447911123456", "Unstable", "Preview"),
    ]
    assert outbox["messages"][0] == fake.outbox.messages()[0].to_json()
    only = raw.get("/__fake__/outbox", params={"phone": MOBILE}).json()["messages"]
    assert [m["custom_attributes"] for m in only] == [{"issue": "Billing"}]
    contacts = raw.get("/__fake__/contacts").json()
    assert [c["phone"] for c in contacts["contacts"]] == [MOBILE]
    assert raw.get(f"/__fake__/contacts/{MOBILE}").json()["custom_attributes"] == {
        "issue": "Billing"
    }
    assert raw.get("/__fake__/contacts/+1").status_code == 404


def test_reset(fake: FakeIntercom, raw: httpx.Client) -> None:
    raw.post(PATH, json={"phone": MOBILE, "custom_attributes": {"a": "b"}})
    fake.faults.script("sms_failed", "sms_failed")
    raw.post(PATH, json={"phone": MOBILE})
    assert raw.post("/__fake__/reset").json() == {"status": "reset"}
    assert fake.outbox.total == 0
    assert len(fake.contacts) == 0
    assert fake.faults.pending == []
    assert fake.faults.log == []


def test_script_faults(fake: FakeIntercom, raw: httpx.Client) -> None:
    answer = raw.post(
        "/__fake__/faults",
        json={"script": [{"kind": "server_error_before", "status": 502}, None, "sms_failed"]},
    )
    assert answer.status_code == 200
    assert answer.json()["pending"] == [
        {"kind": "server_error_before", "status": 502, "delay": 0.05},
        None,
        {"kind": "sms_failed", "status": 500, "delay": 0.05},
    ]
    statuses = [raw.post(PATH, json={"phone": MOBILE}).status_code for _ in range(4)]
    assert statuses == [502, 200, 400, 200]
    log = raw.get("/__fake__/faults").json()["log"]
    assert [(r["sequence"], r["fault"]["kind"], r["status"]) for r in log] == [
        (1, "server_error_before", 502),
        (3, "sms_failed", 400),
    ]


def test_random_faults_and_clear(fake: FakeIntercom, raw: httpx.Client) -> None:
    answer = raw.post(
        "/__fake__/faults",
        json={"random": {"probability": 1, "kinds": ["sms_failed"], "seed": 5}},
    )
    assert answer.json()["random"] == {
        "probability": 1.0,
        "kinds": ["sms_failed"],
        "statuses": [500],
        "delay": 0.05,
        "seed": 5,
    }
    assert raw.post(PATH, json={"phone": MOBILE}).status_code == 400
    assert raw.delete("/__fake__/faults").json()["random"] is None
    assert raw.post(PATH, json={"phone": MOBILE}).status_code == 200
    assert [r.kind for r in fake.faults.log] == [FaultKind.SMS_FAILED]
    raw.post("/__fake__/faults", json={"script": ["sms_failed"]})
    raw.post("/__fake__/faults", json={"clear": True, "script": ["latency"]})
    assert [f.kind for f in fake.faults.pending if f] == [FaultKind.LATENCY]


@pytest.mark.parametrize(
    "body",
    [
        {"script": [{"kind": "explode"}]},
        {"script": "sms_failed"},
        {"random": {"probability": 2}},
        {"random": {"probability": 0.5, "colour": "red"}},
        {"random": []},
        {"chaos": True},
        [1, 2],
    ],
)
def test_bad_fault_settings_get_400(fake: FakeIntercom, raw: httpx.Client, body: object) -> None:
    answer = raw.post("/__fake__/faults", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]
    assert fake.faults.pending == []
    assert raw.post("/__fake__/faults", content=b"{", headers=JSON_BODY).status_code == 400


def test_settings(fake: FakeIntercom, raw: httpx.Client) -> None:
    settings = raw.get("/__fake__/settings").json()
    assert settings == {
        "default_version": LATEST,
        "rate_limit": 1666,
        "rate_limit_window": 10.0,
        "tokens": 1,
        "max_body_bytes": 65536,
        "outbox_cap": 10_000,
        "contacts_cap": 10_000,
    }
    changed = raw.post(
        "/__fake__/settings",
        json={"default_version": "2.13", "rate_limit": 5, "rate_limit_window": 60},
    ).json()
    assert (changed["default_version"], changed["rate_limit"], changed["rate_limit_window"]) == (
        "2.13",
        5,
        60.0,
    )
    assert fake.default_version == "2.13"
    assert raw.post(PATH, json={"phone": MOBILE}).headers["x-ratelimit-limit"] == "5"
    raw.post("/__fake__/settings", json={"tokens": ["other"]})
    assert raw.post(PATH, json={"phone": MOBILE}).status_code == 401
    assert fake.tokens == frozenset({"other"})


@pytest.mark.parametrize(
    "body",
    [
        {"default_version": "preview"},
        {"rate_limit": 0},
        {"tokens": "one"},
        {"tokens": [""]},
        {"colour": "red"},
    ],
)
def test_bad_settings_get_400(fake: FakeIntercom, raw: httpx.Client, body: object) -> None:
    answer = raw.post("/__fake__/settings", json=body)
    assert answer.status_code == 400
    assert fake.default_version == LATEST
    assert fake.rate_limiter.limit == 1666


def test_admin_reads_never_fail_on_what_the_state_holds(
    fake: FakeIntercom, raw: httpx.Client
) -> None:
    # State written through the Python API is not checked: the admin API still answers.
    from datetime import datetime, timezone

    from intercom_phone_switch.fake import SentSms

    at = datetime(2024, 1, 1, tzinfo=timezone.utc)
    fake.contacts.merge(MOBILE, {"a": "\ud800", "\udfff": 1}, at)
    fake.outbox.record(SentSms(MOBILE, "u", {"a": "\ud800"}, LATEST, LATEST, "r", at))
    for path in ("/__fake__/outbox", "/__fake__/contacts", f"/__fake__/contacts/{MOBILE}"):
        answer = raw.get(path)
        assert answer.status_code == 200, path
        assert "\\ud800" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/__fake__/contacts/%ED%A0%80",
        "/__fake__/contacts/%FF",
        "/__fake__/contacts/%00",
        "/__fake__/outbox?phone=%ED%A0%80",
        "/__fake__/outbox?phone=%FF&phone=x",
    ],
)
def test_admin_reads_never_fail_on_odd_paths(raw: httpx.Client, path: str) -> None:
    assert raw.get(path).status_code in (200, 404)


# Numbers no setting may take: JSON's own extremes, the constants Python's json accepts,
# and values below every range.
EXTREMES = [
    b"Infinity",
    b"-Infinity",
    b"NaN",
    b"1e999",
    b"-1e999",
    b"1e-320",
    b"-1",
    b"1" + b"0" * 400,
    b"true",
    b'"5"',
]


def _answered(raw: httpx.Client) -> None:
    """The fake still sends SMS and reads out its state, with no 5xx."""
    sent = raw.post(PATH, json={"phone": MOBILE})
    assert sent.status_code in (200, 400, 429), sent.text
    for path in ("/__fake__/outbox", "/__fake__/faults", "/__fake__/settings"):
        assert raw.get(path).status_code == 200


@pytest.mark.parametrize("number", EXTREMES)
@pytest.mark.parametrize(
    "template",
    [
        b'{"rate_limit": %s}',
        b'{"rate_limit_window": %s}',
        b'{"rate_limit": 5, "rate_limit_window": %s}',
    ],
)
def test_settings_numbers_are_range_checked(
    fake: FakeIntercom, raw: httpx.Client, template: bytes, number: bytes
) -> None:
    answer = raw.post("/__fake__/settings", content=template % number, headers=JSON_BODY)
    assert answer.status_code == 400, answer.text
    assert (fake.rate_limiter.limit, fake.rate_limiter.window) == (1666, 10.0)
    _answered(raw)


@pytest.mark.parametrize("number", EXTREMES)
@pytest.mark.parametrize(
    "template",
    [
        b'{"script": [{"kind": "server_error_before", "status": %s}]}',
        b'{"script": [{"kind": "latency", "delay": %s}]}',
        b'{"random": {"probability": %s}}',
        b'{"random": {"probability": 1, "statuses": [%s]}}',
        b'{"random": {"probability": 1, "kinds": ["latency"], "delay": %s}}',
        b'{"random": {"probability": 1, "kinds": ["sms_failed"], "seed": %s}}',
    ],
)
def test_fault_numbers_are_range_checked(
    fake: FakeIntercom, raw: httpx.Client, template: bytes, number: bytes
) -> None:
    answer = raw.post("/__fake__/faults", content=template % number, headers=JSON_BODY)
    assert answer.status_code == 400, answer.text
    assert fake.faults.pending == []
    assert fake.faults.random_faults is None
    _answered(raw)


def test_ranges_admit_their_ends(fake: FakeIntercom, raw: httpx.Client) -> None:
    body = {"rate_limit": 1_000_000_000, "rate_limit_window": 0.001}
    assert raw.post("/__fake__/settings", json=body).status_code == 200
    assert raw.post("/__fake__/settings", json={"rate_limit_window": 86_400}).status_code == 200
    random = {"probability": 1.0, "statuses": [599], "delay": 0, "seed": 2**63 - 1}
    assert raw.post("/__fake__/faults", json={"random": random}).status_code == 200
    assert raw.post(PATH, json={"phone": MOBILE}).status_code == 599


def test_scripts_are_bounded(fake: FakeIntercom, raw: httpx.Client) -> None:
    answer = raw.post("/__fake__/faults", json={"script": [None] * 10_001})
    assert answer.status_code == 400
    assert raw.post("/__fake__/faults", json={"script": [None] * 10_000}).status_code == 200
    assert raw.post("/__fake__/faults", json={"script": [None]}).status_code == 400
    assert len(fake.faults.pending) == 10_000


def test_tokens_are_bounded(fake: FakeIntercom, raw: httpx.Client) -> None:
    assert raw.post("/__fake__/settings", json={"tokens": ["t"] * 1001}).status_code == 400
    assert raw.post("/__fake__/settings", json={"tokens": ["t" * 5000]}).status_code == 400
    assert fake.tokens == frozenset({"fake-intercom-token"})


@pytest.mark.parametrize("path", ["/__fake__/settings", "/__fake__/faults"])
def test_admin_bodies_are_bounded(fake: FakeIntercom, raw: httpx.Client, path: str) -> None:
    body = json.dumps({"tokens": ["t" * 1000] * 2_000}).encode()  # 2 MB
    assert raw.post(path, content=body, headers=JSON_BODY).status_code == 413
    assert (
        raw.post(path, content=b"[" * 500_000 + b"]" * 500_000, headers=JSON_BODY).status_code
        == 400
    )
    assert fake.tokens == frozenset({"fake-intercom-token"})


def test_fault_log_keeps_short_phones(fake: FakeIntercom, raw: httpx.Client) -> None:
    fake.faults.script("sms_failed")
    raw.post(PATH, json={"phone": "+" + "1" * 60_000})
    (record,) = fake.faults.log
    assert record.phone == "+" + "1" * 63
