"""The facade's stable names, checked against each version's contract (codegen/stable.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from projects import ROOT

from codegen.effective import build
from codegen.stable import StableNameError, follow_declaration, resolve

SPECS = {spec.version: spec.document for spec in build(ROOT)}
OPERATION = ("paths", "/phone_call_redirects", "post")


def stored() -> dict[str, Any]:
    (document,) = [spec.document for spec in build(ROOT) if spec.overlay is None]
    return copy.deepcopy(document)


def operation(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"]["/phone_call_redirects"]["post"]
    return found


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"]
    return found


@pytest.mark.parametrize("version", list(SPECS))
def test_every_supported_version_resolves(version: str) -> None:
    resolved = resolve(SPECS[version])
    declared = operation(SPECS[version])["x-stable-names"]
    assert resolved.request == declared["request"]
    assert resolved.answers == declared["answers"]
    assert any(
        200 <= status < 300 and "switch" in kinds for status, kinds in resolved.statuses.items()
    )


def rename_phone(document: dict[str, Any]) -> None:
    request = schemas(document)["create_phone_switch_request"]
    request["properties"]["phone_number"] = request["properties"].pop("phone")
    request["required"] = ["phone_number"]


def drop_pattern(document: dict[str, Any]) -> None:
    del schemas(document)["create_phone_switch_request"]["properties"]["phone"]["pattern"]


def require_consent(document: dict[str, Any]) -> None:
    request = schemas(document)["create_phone_switch_request"]
    request["properties"]["sms_consent"] = {"type": "boolean"}
    request["required"] = ["phone", "sms_consent"]


def drop_answer_phone(document: dict[str, Any]) -> None:
    del schemas(document)["phone_switch"]["properties"]["phone"]


def inline_409(document: dict[str, Any]) -> None:
    operation(document)["responses"]["409"] = {
        "description": "x",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def undeclared_schema_409(document: dict[str, Any]) -> None:
    schemas(document)["conflict"] = {"type": "object"}
    operation(document)["responses"]["409"] = {
        "description": "x",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/conflict"}}},
    }


def no_declaration(document: dict[str, Any]) -> None:
    del operation(document)["x-stable-names"]


def url_not_a_string(document: dict[str, Any]) -> None:
    schemas(document)["phone_switch"]["properties"]["url"] = {"type": "integer"}


def unknown_name(document: dict[str, Any]) -> None:
    operation(document)["x-stable-names"]["request"]["email"] = "email"


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        (rename_phone, "request phone", "the request has no property 'phone'"),
        (drop_pattern, "request phone", "the E.164 correction does not apply to 'phone'"),
        (require_consent, "request", "requires 'sms_consent', which no stable name carries"),
        (drop_answer_phone, "response phone", "or null: this version never sends it"),
        (inline_409, "answers", "status 409 answers an inline schema"),
        (undeclared_schema_409, "answers", "status 409 answers conflict, which"),
        (no_declaration, "request", "x-stable-names declares no request names"),
        (url_not_a_string, "response url", "'url' is not a string"),
        (unknown_name, "request email", "is not a stable name"),
    ],
)
def test_what_does_not_resolve_is_named(
    change: Callable[[dict[str, Any]], None], where: str, says: str
) -> None:
    document = stored()
    change(document)
    with pytest.raises(StableNameError) as raised:
        resolve(document)
    problems = [(problem.where, problem.message) for problem in raised.value.problems]
    assert any(w == where and says in message for w, message in problems), problems
    assert says in str(raised.value)


def test_a_rename_names_the_candidate_property() -> None:
    document = stored()
    rename_phone(document)
    with pytest.raises(StableNameError) as raised:
        resolve(document)
    (problem,) = raised.value.problems
    assert problem.candidates == ("phone_number",)


def test_declarations_make_a_rename_and_a_missing_answer_field_resolve() -> None:
    document = stored()
    rename_phone(document)
    drop_answer_phone(document)
    schemas(document)["create_phone_switch_request"]["properties"]["phone_number"]["pattern"] = (
        r"^\+[1-9][0-9]{1,14}$"
    )
    declared = operation(document)["x-stable-names"]
    declared["request"]["phone"] = "phone_number"
    declared["response"]["phone"] = None
    resolved = resolve(document)
    assert resolved.request["phone"] == "phone_number"
    assert resolved.response["phone"] is None


def test_what_we_wrote_of_a_field_follows_its_declaration() -> None:
    frame = stored()
    ours = stored()
    declared = operation(ours)["x-stable-names"]
    declared["request"]["phone"] = "phone_number"
    declared["response"]["url"] = "link"
    unchanged = copy.deepcopy(ours)
    moved = follow_declaration(ours, frame)
    assert ours == unchanged, "a copy is changed, not ours"
    request = schemas(moved)["create_phone_switch_request"]["properties"]
    assert "phone" not in request
    before = schemas(frame)["create_phone_switch_request"]["properties"]["phone"]
    assert request["phone_number"] == before
    switch = schemas(moved)["phone_switch"]["properties"]
    stored_fields = list(schemas(frame)["phone_switch"]["properties"])
    assert list(switch) == ["link" if name == "url" else name for name in stored_fields]
    media = operation(moved)["requestBody"]["content"]["application/json"]
    for example in media["examples"].values():
        assert "phone_number" in example["value"]
        assert "phone" not in example["value"]
    accepted = operation(moved)["responses"]["200"]["content"]["application/json"]
    for example in accepted["examples"].values():
        assert "link" in example["value"]
        assert "url" not in example["value"]
    errors = operation(moved)["responses"]["400"]
    assert errors == operation(frame)["responses"]["400"], "only accepted answers"


def test_a_declaration_the_document_already_follows_moves_nothing() -> None:
    frame = stored()
    assert follow_declaration(frame, frame) == frame
