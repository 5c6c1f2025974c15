"""The effective specs shipped with the generated packages, read once per process."""

from __future__ import annotations

import pytest

from intercom_phone_switch._effective import (
    PATH,
    document,
    load_document,
    operation,
    resolve,
    to_json_schema,
)
from intercom_phone_switch_generated.registry import VERSIONS
from tests.versions import LATEST


@pytest.mark.parametrize("version", VERSIONS)
def test_each_version_reads_its_own_document(version: str) -> None:
    spec = document(version)
    assert spec["info"]["version"] == version
    assert document(version) is spec, "parsed once per process"
    assert "requestBody" in operation(spec)
    assert PATH in spec["paths"]


def test_load_document_gives_a_private_copy() -> None:
    mine = load_document(LATEST)
    mine["info"]["version"] = "changed"
    assert document(LATEST)["info"]["version"] == LATEST


def test_resolve_follows_local_references() -> None:
    spec = document(LATEST)
    body = operation(spec)["requestBody"]["content"]["application/json"]["schema"]
    assert resolve(body, spec)["required"] == ["phone"]
    with pytest.raises(ValueError, match="only local references"):
        resolve({"$ref": "other.yaml#/x"}, spec)


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
