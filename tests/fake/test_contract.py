"""The fake reads each version's contract from its effective spec."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intercom_phone_switch.fake._contract import build_contract, contracts
from intercom_phone_switch.spec import effective
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
    document = effective(version).document
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


# -- the compiled check never accepts what the reference refuses -------------------------------
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["2023-03-04", "2023-03-04T05:06:07Z", "+353832345678\n", "order.list"]),
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "instances", "id", "external_id", "custom_attributes", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_phones = st.one_of(
    st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True),
    st.sampled_from(["+353832345678\n", "+0123", "353832345678", "+1 1234567890", ""]),
    st.text(max_size=18),
    st.integers(),
)
_bodies = st.one_of(
    st.fixed_dictionaries(
        {"phone": _phones},
        optional={"custom_attributes": st.dictionaries(st.text(max_size=6), _json, max_size=4)},
    ),
    st.dictionaries(st.sampled_from(["phone", "custom_attributes", "other"]), _json, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(body=_bodies, version=st.sampled_from(VERSIONS))
def test_the_compiled_check_accepts_nothing_the_reference_refuses(
    body: object, version: str
) -> None:
    """The served fake takes a body the compiled check accepts without asking the
    reference (jsonschema): the two must agree wherever the compiled one says valid."""
    contract = contracts()[version]
    if contract.fast_check is not None and contract.fast_check(body):
        assert contract.validator.is_valid(body), body
    assert contract.is_valid(body) == contract.validator.is_valid(body)


def test_the_compiled_check_is_in_use() -> None:
    """jsonschema-rs comes with the [fake] extra; the fake falls back to jsonschema
    alone only where it does not import."""
    assert all(contract.fast_check is not None for contract in contracts().values())
