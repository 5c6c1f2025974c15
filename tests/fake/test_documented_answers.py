"""The ``answer`` fault: any answer a version documents, on demand, from that version's
effective spec, and a fake that reads request fields through ``x-stable-names``.

The versions and their answers come from the registry and the effective specs; a
"next version" is made by changing a copy of one version's spec, as an import would.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from intercom_phone_switch.fake import FakeIntercom, Fault, FaultKind
from intercom_phone_switch.fake import _contract as contract_module
from intercom_phone_switch.spec import EffectiveSpec, effective
from intercom_phone_switch_generated.registry import LATEST_VERSION, VERSIONS

MOBILE = "+353832345678"
PATH = "/phone_call_redirects"


def documented(version: str) -> list[tuple[int, str, dict[str, Any]]]:
    spec = effective(version)
    return [
        (status, name, value)
        for status in sorted(spec.documented_statuses)
        for name, value in spec.examples(status).items()
    ]


def post(fake: FakeIntercom, version: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(transport=fake.transport(), base_url="http://fake.invalid") as http:
        return http.post(
            PATH,
            json=body,
            headers={"Authorization": f"Bearer {fake.token}", "Intercom-Version": version},
        )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_documented_answer_on_demand(version: str) -> None:
    answers = documented(version)
    assert {status for status, _, _ in answers} == set(effective(version).documented_statuses)
    for status, name, example in answers:
        fake = FakeIntercom()
        fake.faults.script(Fault(FaultKind.ANSWER, status=status, example=name))
        answer = post(fake, version, {"phone": MOBILE})
        assert answer.status_code == status, (status, name)
        expected = dict(example)
        record = fake.faults.log[0]
        assert record.applied
        assert record.status == status
        if status < 300:
            # The SMS went out: the example's shape, with this SMS's link.
            sms = fake.outbox.last()
            assert sms is not None
            assert record.sms_recorded
            expected[effective(version).response_field("url")] = sms.url
        else:
            assert fake.outbox.total == 0
            assert not record.sms_recorded
            if "request_id" in expected:
                expected["request_id"] = answer.headers["x-request-id"]
        assert answer.json() == expected


def test_an_answer_named_by_its_error_key_or_code() -> None:
    fake = FakeIntercom()
    fake.faults.script(
        {"kind": "answer", "status": 400, "example": "sms_failed"},
        {"kind": "answer", "status": 429, "example": "rate_limit_exceeded"},
        {"kind": "answer", "status": 422},  # the status's first example
    )
    assert post(fake, LATEST_VERSION, {"phone": MOBILE}).json()["error_key"] == "sms_failed"
    limited = post(fake, LATEST_VERSION, {"phone": MOBILE})
    assert limited.status_code == 429
    assert [error["code"] for error in limited.json()["errors"]] == ["rate_limit_exceeded"]
    assert post(fake, LATEST_VERSION, {"phone": MOBILE}).status_code == 422
    assert fake.outbox.total == 0


def test_an_error_answer_strikes_before_the_body_is_checked() -> None:
    fake = FakeIntercom()
    fake.faults.script(Fault(FaultKind.ANSWER, status=401))
    assert post(fake, LATEST_VERSION, {"phone": "not a phone"}).status_code == 401


def test_a_success_answer_leaves_a_refused_request_alone() -> None:
    fake = FakeIntercom()
    fake.faults.script(Fault(FaultKind.ANSWER, status=200))
    answer = post(fake, LATEST_VERSION, {"phone": "+40241100100"})  # a landline
    assert answer.status_code == 422
    assert not fake.faults.log[0].applied


#: Two error statuses no version documents, found in the effective specs (a new version
#: may document one that none did).
UNDOCUMENTED = [
    status
    for status in range(400, 500)
    if all(status not in effective(version).documented_statuses for version in VERSIONS)
][:2]


@pytest.mark.parametrize(
    ("status", "example"),
    [
        *((status, None) for status in UNDOCUMENTED),
        (400, "no_such_code"),
        (200, "no_such_example"),
        (99, None),
    ],
)
def test_an_answer_no_version_documents_is_refused_when_scripted(
    status: int, example: str | None, raw: httpx.Client, fake: FakeIntercom
) -> None:
    with pytest.raises(ValueError, match=str(status)):
        Fault(FaultKind.ANSWER, status=status, example=example)
    script = {"script": [{"kind": "answer", "status": status, "example": example}]}
    assert raw.post("/__fake__/faults", json=script).status_code == 400
    assert fake.faults.pending == []


def test_only_answer_faults_take_an_example_and_random_ones_are_not_answers() -> None:
    with pytest.raises(ValueError, match="example"):
        Fault(FaultKind.SMS_FAILED, example="sms_failed")
    with pytest.raises(ValueError, match="scripted"):
        FakeIntercom().faults.randomly(0.5, kinds=[FaultKind.ANSWER])
    fault = Fault(FaultKind.ANSWER, status=422, example="landline_phone")
    assert Fault.coerce(fault.to_json()) == fault


# -- a next version, made from a copy of the latest one's spec ---------------------------------
def _next_spec(change: Callable[[dict[str, Any]], None]) -> EffectiveSpec:
    document = copy.deepcopy(dict(effective(LATEST_VERSION).document))
    change(document)
    return EffectiveSpec(LATEST_VERSION, document)


@pytest.fixture
def next_version(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[EffectiveSpec], None]]:
    """Serve LATEST_VERSION from a changed spec (as the next import might write it)."""

    def serve_from(spec: EffectiveSpec) -> None:
        monkeypatch.setattr(
            contract_module,
            "effective",
            lambda version: spec if version == LATEST_VERSION else effective(version),
        )
        contract_module.contracts.cache_clear()

    yield serve_from
    contract_module.contracts.cache_clear()


IN_PROGRESS = {
    "type": "error.list",
    "request_id": "b4b1b4b1-0000-4000-8000-000000000000",
    "errors": [{"code": "phone_switch_in_progress", "message": "A switch is on its way"}],
}


def _add_409(document: dict[str, Any]) -> None:
    operation = document["paths"][PATH]["post"]
    operation["responses"]["409"] = {
        "description": "A switch to this phone is already in progress.",
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/error"},
                "examples": {"in_progress": {"value": IN_PROGRESS}},
            }
        },
    }


def test_a_newly_documented_answer_needs_no_code(
    next_version: Callable[[EffectiveSpec], None],
) -> None:
    next_version(_next_spec(_add_409))
    fake = FakeIntercom()
    fake.faults.script(
        Fault(FaultKind.ANSWER, status=409, example="phone_switch_in_progress"),
        Fault(FaultKind.ANSWER, status=409, example="in_progress"),
    )
    answer = post(fake, LATEST_VERSION, {"phone": MOBILE})
    assert answer.status_code == 409
    assert answer.json() == {**IN_PROGRESS, "request_id": answer.headers["x-request-id"]}
    others = [version for version in VERSIONS if version != LATEST_VERSION]
    if others:  # a version that does not document it answers as usual
        assert post(fake, others[0], {"phone": MOBILE}).status_code == 200
        assert [record.applied for record in fake.faults.log] == [True, False]


def _rename_phone(document: dict[str, Any]) -> None:
    operation = document["paths"][PATH]["post"]
    schema = document["components"]["schemas"]["create_phone_switch_request"]
    schema["properties"]["phone_number"] = schema["properties"].pop("phone")
    schema["required"] = [
        "phone_number" if name == "phone" else name for name in schema["required"]
    ]
    operation["x-stable-names"]["request"]["phone"] = "phone_number"


def test_a_renamed_request_field_keeps_working(
    next_version: Callable[[EffectiveSpec], None],
) -> None:
    next_version(_next_spec(_rename_phone))
    fake = FakeIntercom()
    answer = post(fake, LATEST_VERSION, {"phone_number": MOBILE, "custom_attributes": {"a": "b"}})
    assert answer.status_code == 200, answer.text
    sms = fake.outbox.last()
    assert sms is not None
    assert (sms.phone, sms.custom_attributes) == (MOBILE, {"a": "b"})
    refused = post(fake, LATEST_VERSION, {"phone": MOBILE})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "phone_number"
    assert post(fake, LATEST_VERSION, {"phone_number": "+40241100100"}).status_code == 422
    assert post(fake, LATEST_VERSION, {"phone_number": "+3538"}).json()["error_key"] == (
        "invalid_phone_number"
    )


def _add_conversation_id(document: dict[str, Any]) -> None:
    answer = document["components"]["schemas"]["phone_switch"]["properties"]
    answer["conversation_id"] = {"type": "string", "example": "512"}
    answer["undocumented_value"] = {"type": "string"}  # no example: not made up


def test_an_answer_field_a_version_adds_is_answered(
    next_version: Callable[[EffectiveSpec], None],
) -> None:
    next_version(_next_spec(_add_conversation_id))
    fake = FakeIntercom()
    answer = post(fake, LATEST_VERSION, {"phone": MOBILE})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    sms = fake.outbox.last()
    assert sms is not None
    assert body == {"type": "phone_call_redirect", "conversation_id": "512", "url": sms.url}
    others = [version for version in VERSIONS if version != LATEST_VERSION]
    if others:  # the field is the new version's alone
        assert set(post(fake, others[0], {"phone": MOBILE}).json()) == {"type", "url"}
