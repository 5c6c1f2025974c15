"""The fake reads each version's contract from its effective spec."""

from __future__ import annotations

import pytest

from intercom_phone_switch._effective import load_document
from intercom_phone_switch.fake._contract import build_contract, contracts
from intercom_phone_switch_generated.registry import VERSIONS

CUSTOM_OBJECTS = {
    "orders": {"type": "order.list", "instances": [{"id": "1", "external_created_at": None}]}
}


def test_a_contract_for_every_supported_version() -> None:
    assert tuple(contracts()) == VERSIONS
    assert contracts() is contracts()  # built once per process


@pytest.mark.parametrize("version", VERSIONS)
def test_contract_facts_come_from_the_effective_spec(version: str) -> None:
    contract = contracts()[version]
    document = load_document(version)
    assert document["info"]["version"] == version
    answer = document["paths"]["/phone_call_redirects"]["post"]["responses"]["200"]
    example = next(iter(answer["content"]["application/json"]["examples"].values()))["value"]
    assert example["url"].startswith(contract.url_prefix)
    assert contract.result_type == example["type"]
    assert contract.error_list_type == "error.list"
    for key in ("invalid_phone_number", "sms_failed", "landline_phone", "unauthorized"):
        assert key in contract.examples


@pytest.mark.parametrize("version", VERSIONS)
def test_request_schema_of_every_version(version: str) -> None:
    validator = contracts()[version].validator
    assert validator.is_valid({"phone": "+353832345678"})
    assert validator.is_valid({"phone": "+353832345678", "custom_attributes": {"a": "b"}})
    assert not validator.is_valid({})
    assert not validator.is_valid({"phone": "+1 1234567890"})
    assert not validator.is_valid({"phone": 353832345678})
    assert not validator.is_valid({"phone": "+353832345678", "custom_attributes": [1]})


def test_versions_differ_as_their_specs_say() -> None:
    numbers = {"phone": "+353832345678", "custom_attributes": {"seats": 3, "paid": True}}
    objects = {"phone": "+353832345678", "custom_attributes": CUSTOM_OBJECTS}
    by_version = contracts()
    assert by_version["2.16"].validator.is_valid(numbers)
    assert by_version["2.16"].validator.is_valid(objects)
    assert not by_version["2.13"].validator.is_valid(numbers)
    assert by_version["2.13"].validator.is_valid(objects)
    assert by_version["2.7"].validator.is_valid(numbers)
    assert not by_version["2.7"].validator.is_valid(objects)
    assert by_version["Preview"].validator.is_valid(objects)


def test_rebuilding_a_contract_gives_the_same_rules() -> None:
    fresh = build_contract("2.13")
    assert fresh.request_schema() == contracts()["2.13"].request_schema()
    assert fresh.url_prefix == contracts()["2.13"].url_prefix
