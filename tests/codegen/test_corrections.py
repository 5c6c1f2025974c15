"""Each correction rule: its condition, its effect, and that it matches x-corrections."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from codegen import corrections
from codegen.corrections import E164, RULES, apply_rules
from codegen.emit import load
from codegen.extract import extract, prune

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STORED = load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
RULE = {each.id: each for each in RULES}


def extracted(version: str) -> dict[str, Any]:
    description = load((FIXTURES / f"{version}.yaml").read_text(encoding="utf-8"))
    return extract(description).document


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"]
    return found


def value_branches(document: dict[str, Any]) -> list[Any]:
    branches: list[Any] = schemas(document)["custom_attributes"]["additionalProperties"]["anyOf"]
    return branches


def op(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"]["/phone_call_redirects"]["post"]
    return found


def test_every_rule_is_listed_in_x_corrections_and_back() -> None:
    listed = [entry["id"] for entry in STORED["x-corrections"]]
    assert sorted(corrections.rule_ids()) == sorted(listed)
    assert len(set(corrections.rule_ids())) == len(RULES)


@pytest.mark.parametrize("version", ["2.7", "2.11", "2.12", "2.13", "2.16", "Preview"])
def test_rules_settle_after_one_pass(version: str) -> None:
    document = extracted(version)
    apply_rules(document)
    settled = copy.deepcopy(document)
    assert [each.id for each in RULES if each.applies(document)] == []
    assert apply_rules(document) == []
    assert document == settled


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_a_rule_never_fires_on_the_stored_spec(rule: corrections.Rule) -> None:
    assert not rule.applies(copy.deepcopy(STORED))


# -- dangling-custom-attributes and custom-attribute-values ------------------------------


def test_dangling_custom_attributes_is_defined_only_when_it_dangles() -> None:
    old = extracted("2.7")
    assert "custom_attributes" not in schemas(old)
    assert RULE["dangling-custom-attributes"].applies(old)
    RULE["dangling-custom-attributes"].apply(old)
    assert value_branches(old) == [{"type": "string"}, {"type": "integer"}]
    assert not RULE["dangling-custom-attributes"].applies(extracted("2.12"))


def test_dangling_rule_needs_a_reference() -> None:
    document = extracted("2.7")
    del op(document)["requestBody"]
    prune(document)  # the request schema, which held the reference, goes with the body
    assert "create_phone_switch_request" not in schemas(document)
    assert not RULE["dangling-custom-attributes"].applies(document)


def test_old_versions_get_the_four_plain_value_types() -> None:
    document = extracted("2.7")
    fired = apply_rules(document)
    assert fired[:2] == ["dangling-custom-attributes", "custom-attribute-values"]
    assert value_branches(document) == [
        {"type": "string"},
        {"type": "integer"},
        {"type": "number"},
        {"type": "boolean"},
    ]


def test_date_time_branch_becomes_plain_types_and_number_boolean_join() -> None:
    document = extracted("2.12")
    assert RULE["custom-attribute-values"].applies(document)
    RULE["custom-attribute-values"].apply(document)
    assert value_branches(document) == [
        {"type": "string"},
        {"type": "integer"},
        {"type": "number"},
        {"type": "boolean"},
        {"$ref": "#/components/schemas/custom_object_instance_list"},
    ]


def test_a_version_without_integers_gets_no_number_or_boolean() -> None:
    document = extracted("2.13")
    before = copy.deepcopy(value_branches(document))
    assert not RULE["custom-attribute-values"].applies(document)
    assert before == [
        {"type": "string"},
        {"$ref": "#/components/schemas/custom_object_instance_list"},
    ]


def test_an_inline_date_time_branch_is_corrected_too() -> None:
    document = extracted("2.13")
    value_branches(document).insert(1, {"type": "string", "format": "date-time"})
    assert RULE["custom-attribute-values"].applies(document)
    RULE["custom-attribute-values"].apply(document)
    assert value_branches(document) == [
        {"type": "string"},
        {"$ref": "#/components/schemas/custom_object_instance_list"},
    ]


def test_number_and_boolean_already_there_keep_their_place() -> None:
    document = extracted("2.13")
    value_branches(document)[1:1] = [{"type": "integer"}, {"type": "boolean"}]
    RULE["custom-attribute-values"].apply(document)
    assert [b.get("type", "ref") for b in value_branches(document)] == [
        "string",
        "integer",
        "number",
        "boolean",
        "ref",
    ]


# -- custom objects ---------------------------------------------------------------------


def test_custom_object_instance_loses_nullable_and_timestamp_formats() -> None:
    document = extracted("2.16")
    instance = schemas(document)["custom_object_instance"]
    for rule_id in ("custom-object-instance-not-nullable", "integer-timestamps"):
        assert RULE[rule_id].applies(document)
        RULE[rule_id].apply(document)
        assert not RULE[rule_id].applies(document)
    assert "nullable" not in instance
    for name in ("created_at", "updated_at", "external_created_at", "external_updated_at"):
        assert "format" not in instance["properties"][name]
        assert instance["properties"][name]["type"] == "integer"
    assert instance["properties"]["external_created_at"]["nullable"] is True


def test_custom_object_rules_do_not_fire_without_custom_objects() -> None:
    document = extracted("2.7")
    assert not RULE["custom-object-instance-not-nullable"].applies(document)
    assert not RULE["integer-timestamps"].applies(document)


# -- request ----------------------------------------------------------------------------


def test_body_becomes_required_and_request_not_nullable() -> None:
    document = extracted("2.16")
    RULE["body-required-not-nullable"].apply(document)
    assert op(document)["requestBody"]["required"] is True
    assert "nullable" not in schemas(document)["create_phone_switch_request"]


def test_body_rule_fires_on_2_11_for_the_optional_body_alone() -> None:
    document = extracted("2.11")
    assert "nullable" not in schemas(document)["create_phone_switch_request"]
    assert RULE["body-required-not-nullable"].applies(document)
    op(document)["requestBody"]["required"] = True
    assert not RULE["body-required-not-nullable"].applies(document)


def test_phone_gets_the_e164_pattern() -> None:
    document = extracted("2.16")
    assert RULE["e164-phone"].applies(document)
    RULE["e164-phone"].apply(document)
    phone = schemas(document)["create_phone_switch_request"]["properties"]["phone"]
    assert phone["pattern"] == E164
    assert not RULE["e164-phone"].applies(document)


# -- response ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.11", "2.16"])
def test_answer_carries_url_and_requires_type_and_url(version: str) -> None:
    document = extracted(version)
    assert RULE["response-carries-url"].applies(document)
    RULE["response-carries-url"].apply(document)
    answer = schemas(document)["phone_switch"]
    assert answer["required"] == ["type", "url"]
    assert answer["properties"]["url"] == {"type": "string"}
    assert "default" not in answer["properties"]["type"]
    assert "phone" in answer["properties"], "phone stays, optional"


def test_answer_not_nullable_fires_only_where_it_is_nullable() -> None:
    assert not RULE["phone-switch-not-nullable"].applies(extracted("2.11"))
    document = extracted("2.16")
    assert RULE["phone-switch-not-nullable"].applies(document)
    RULE["phone-switch-not-nullable"].apply(document)
    assert "nullable" not in schemas(document)["phone_switch"]


def test_error_key_schema_for_400_and_422() -> None:
    document = extracted("2.16")
    RULE["error-key-schema"].apply(document)
    responses = op(document)["responses"]
    assert responses["400"]["content"]["application/json"]["schema"] == {
        "anyOf": [
            {"$ref": "#/components/schemas/phone_switch_error"},
            {"$ref": "#/components/schemas/error"},
        ]
    }
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/phone_switch_error"
    }
    assert schemas(document)["phone_switch_error"]["required"] == ["error_key"]


def test_error_key_schema_leaves_a_published_schema_alone() -> None:
    document = extracted("2.16")
    published = {"$ref": "#/components/schemas/error"}
    op(document)["responses"]["400"]["content"]["application/json"]["schema"] = published
    RULE["error-key-schema"].apply(document)
    assert op(document)["responses"]["400"]["content"]["application/json"]["schema"] == published
    assert "schema" in op(document)["responses"]["422"]["content"]["application/json"]


def test_landline_example_replaces_a_placeholder_only() -> None:
    document = extracted("2.16")
    assert RULE["landline-example"].applies(document)
    RULE["landline-example"].apply(document)
    examples = op(document)["responses"]["422"]["content"]["application/json"]["examples"]
    assert examples == {"landline_phone": {"value": {"error_key": "landline_phone"}}}
    assert not RULE["landline-example"].applies(document)


def test_rate_limit_response_is_added_once() -> None:
    document = extracted("2.16")
    RULE["rate-limit-response"].apply(document)
    assert op(document)["responses"]["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/error"
    }
    assert not RULE["rate-limit-response"].applies(document)


def test_error_items_become_a_component() -> None:
    document = extracted("2.16")
    inline = copy.deepcopy(schemas(document)["error"]["properties"]["errors"]["items"])
    RULE["error-item-component"].apply(document)
    assert schemas(document)["error"]["properties"]["errors"]["items"] == {
        "$ref": "#/components/schemas/error_item"
    }
    assert schemas(document)["error_item"] == {"type": "object", **inline}


def test_request_id_loses_its_uuid_format() -> None:
    document = extracted("2.16")
    assert schemas(document)["error"]["properties"]["request_id"]["format"] == "uuid"
    RULE["request-id-opaque"].apply(document)
    assert schemas(document)["error"]["properties"]["request_id"] == {
        "type": "string",
        "nullable": True,
        "description": "Fixture prose.",
    }


def test_version_aliases() -> None:
    document = extracted("Preview")
    RULE["version-aliases"].apply(document)
    assert schemas(document)["intercom_version"]["x-aliases"] == {"Unstable": "Preview"}
    assert not RULE["version-aliases"].applies(document)


def test_the_e164_rule_follows_the_declared_phone_field() -> None:
    document = extracted("2.16")
    request = schemas(document)["create_phone_switch_request"]
    request["properties"]["phone_number"] = request["properties"].pop("phone")
    assert not RULE["e164-phone"].applies(document), "no phone field: nothing to correct"
    op(document)["x-stable-names"] = {"request": {"phone": "phone_number"}}
    assert RULE["e164-phone"].applies(document)
    apply_rules(document, [RULE["e164-phone"]])
    assert request["properties"]["phone_number"]["pattern"] == E164
    assert "example" not in request["properties"]["phone_number"], (
        "the published example is no E.164 number"
    )
