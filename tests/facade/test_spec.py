"""The effective specs shipped with the generated packages, read once per process."""

from __future__ import annotations

import pytest

from intercom_phone_switch.spec import (
    METHOD,
    PATH,
    STABLE_RESPONSE_NAMES,
    ContractError,
    EffectiveSpec,
    effective,
    resolve,
    to_json_schema,
)
from intercom_phone_switch_generated.registry import VERSIONS
from tests.versions import LATEST


@pytest.mark.parametrize("version", VERSIONS)
def test_each_version_reads_its_own_document(version: str) -> None:
    spec = effective(version)
    assert spec.document["info"]["version"] == version
    assert effective(version) is spec, "parsed once per process"
    assert "requestBody" in spec.operation
    assert PATH in spec.document["paths"]


def test_a_version_without_a_spec_is_a_contract_error() -> None:
    with pytest.raises(ContractError, match="not a version with an effective spec"):
        effective("0.0")


@pytest.mark.parametrize("version", VERSIONS)
def test_the_stable_answer_fields_are_the_declared_ones(version: str) -> None:
    spec = effective(version)
    declared = {
        spec.response_field(name)
        for name in STABLE_RESPONSE_NAMES
        if name in spec.operation["x-stable-names"]["response"]
    }
    assert spec.response_fields() == declared


def test_an_answer_without_stable_names_is_a_contract_error() -> None:
    """Every reader of the answer's stable fields (the fake's extra fields among them)
    stops on a spec that declares none, rather than taking every field for an extra."""
    document = effective(LATEST).copy()
    del document["paths"][PATH][METHOD]["x-stable-names"]["response"]
    with pytest.raises(ContractError, match="no response names"):
        EffectiveSpec(LATEST, document).response_fields()


def test_copy_gives_a_private_document() -> None:
    mine = effective(LATEST).copy()
    mine["info"]["version"] = "changed"
    assert effective(LATEST).document["info"]["version"] == LATEST


def test_resolve_follows_local_references() -> None:
    spec = effective(LATEST)
    body = spec.operation["requestBody"]["content"]["application/json"]["schema"]
    assert spec.request_field("phone") in spec.resolve(body)["required"]
    with pytest.raises(ValueError, match="only local references"):
        resolve({"$ref": "other.yaml#/x"}, spec.document)


def test_nullable_becomes_a_null_type() -> None:
    assert to_json_schema({"type": "integer", "nullable": True, "example": 1}) == {
        "type": ["integer", "null"]
    }
    assert to_json_schema({"type": "string", "enum": ["a"], "nullable": True}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    assert to_json_schema({"$ref": "#/x", "nullable": True}) == {
        "anyOf": [{"$ref": "#/x"}, {"type": "null"}]
    }
    assert to_json_schema({"x-note": 1, "properties": {"a": {"type": "string"}}}) == {
        "properties": {"a": {"type": "string"}}
    }


def test_an_array_value_type_is_named_with_its_items() -> None:
    spec = effective(LATEST)
    assert spec._branch_name({"type": "array", "items": {"type": "string"}}) == "array of string"
    assert spec._branch_name({"type": "array"}) == "array"
