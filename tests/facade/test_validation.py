"""Input checks: phone numbers with phonenumbers, custom attributes against each version's
contract, and values sent exactly as given."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phone_fakes import MOBILE, TOKEN, FakeIntercom

from intercom_phone_switch import InvalidCustomAttributes, InvalidPhoneNumber, PhoneSwitchClient
from intercom_phone_switch._contract import contract_of
from intercom_phone_switch._validation import normalise_phone
from intercom_phone_switch_generated.registry import MODULES, VERSIONS
from tests.versions import LATEST

Make = Callable[..., PhoneSwitchClient]
INSTANCE_LIST = {
    "type": "order.list",
    "instances": [
        {"id": "16032025", "external_id": "0001", "type": "Order", "external_created_at": None}
    ],
}


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("+353832345678", "+353832345678"),
        ("+353 83 234 5678", "+353832345678"),
        ("+353-83-234-5678", "+353832345678"),
        ("  +1 415-555-2671 ", "+14155552671"),
        ("+40241100100", "+40241100100"),
        ("+61 412 345 678", "+61412345678"),
    ],
)
def test_valid_numbers_become_e164(written: str, e164: str) -> None:
    assert normalise_phone(written) == e164


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("353832345678", "it must start with + and the country code"),
        ("00353832345678", "it must start with + and the country code"),
        ("", "it is empty"),
        ("+1 (415) 555-2671", "after the + it may hold only digits, spaces and dashes"),
        ("+1-800-FLOWERS", "after the + it may hold only digits, spaces and dashes"),
        ("+353.83.234.5678", "after the + it may hold only digits, spaces and dashes"),
        ("+1 555", "it is too short"),
        ("+3538323456781234", "it is too long"),
        ("+999 1234 5678", "its country code is unknown"),
        ("+1 200 555 0100", "it is not a valid number for country code +1"),
        ("+\u0663\u0665\u0663832345678", "after the + it may hold only digits, spaces and dashes"),
    ],
)
def test_invalid_numbers_are_rejected_with_the_reason(written: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalise_phone(written, version=LATEST)
    assert caught.value.reason == reason
    assert caught.value.phone == written
    assert reason in caught.value.message
    assert caught.value.version == LATEST


@pytest.mark.parametrize("phone", [None, 353832345678, b"+353832345678"])
def test_a_phone_must_be_a_string(phone: object) -> None:
    with pytest.raises(InvalidPhoneNumber, match="must be a string"):
        normalise_phone(phone)


def effective_spec(version: str) -> dict:  # type: ignore[type-arg]
    import intercom_phone_switch_generated as generated

    path = f"{generated.__path__[0]}/{MODULES[version]}/openapi.json"
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


@pytest.mark.parametrize("version", VERSIONS)
def test_rules_are_read_from_the_effective_spec(version: str) -> None:
    spec = effective_spec(version)
    schemas = spec["components"]["schemas"]
    contract = contract_of(version)
    assert (
        contract.phone_pattern.pattern
        == (schemas["create_phone_switch_request"]["properties"]["phone"]["pattern"])
    )
    branches = schemas["custom_attributes"]["additionalProperties"]["anyOf"]

    def named(branch: dict[str, Any]) -> str:
        if "$ref" in branch:
            return str(schemas[branch["$ref"].rsplit("/", 1)[1]]["title"]).lower()
        if branch["type"] == "array" and "items" in branch:
            return f"array of {named(branch['items'])}"
        return str(branch["type"])

    expected = [named(branch) for branch in branches]
    assert list(contract.value_types) == expected
    assert contract_of(version) is contract, "built once per version"


def allows(version: str) -> set[str]:
    return set(contract_of(version).value_types)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("Billing", "string"),
        ("2023-03-04", "string"),
        (9, "integer"),
        (155.5, "number"),
        (True, "boolean"),
        (INSTANCE_LIST, "custom object instance list"),
    ],
)
def test_values_are_checked_against_the_versions_contract(
    make_client: Make, intercom: FakeIntercom, version: str, value: object, kind: str
) -> None:
    permitted = kind in allows(version) or (kind == "integer" and "number" in allows(version))
    with make_client(version=version) as client:
        if permitted:
            client.create_phone_switch(MOBILE, {"attr": value})
            assert intercom.bodies[0]["custom_attributes"] == {"attr": value}
        else:
            with pytest.raises(InvalidCustomAttributes) as caught:
                client.create_phone_switch(MOBILE, {"attr": value})
            assert caught.value.attribute == "attr"
            assert caught.value.version == version
            assert caught.value.allowed == contract_of(version).value_types
            assert "'attr'" in caught.value.message
            assert f"Intercom-Version {version}" in caught.value.message
            assert intercom.requests == []


def test_version_specific_rules(make_client: Make) -> None:
    with make_client() as client:
        client.create_phone_switch(MOBILE, {"n": 1}, version="2.12")
        with pytest.raises(InvalidCustomAttributes, match=r"2\.13"):
            client.create_phone_switch(MOBILE, {"n": 1}, version="2.13")
        with pytest.raises(InvalidCustomAttributes, match=r"2\.11"):
            client.create_phone_switch(MOBILE, {"orders": INSTANCE_LIST}, version="2.11")
        # 1.0 is served by 2.7's contract, and named as what was asked for.
        with pytest.raises(InvalidCustomAttributes, match=r"Intercom-Version 1\.0"):
            client.create_phone_switch(MOBILE, {"orders": INSTANCE_LIST}, version="1.0")


@pytest.mark.parametrize(
    ("attributes", "match"),
    [
        ({"x": None}, "'x' is None"),
        ({"x": [1, 2]}, "'x' is"),
        ({"x": math.nan}, "JSON cannot carry"),
        ({"x": math.inf}, "JSON cannot carry"),
        ({1: "a"}, "names must be strings"),
        (["a"], "must be a mapping"),
        ({"orders": {"type": "order.list", "instances": [{"id": 1}]}}, "1 is not of type 'string'"),
    ],
)
def test_values_no_version_allows(make_client: Make, attributes: object, match: str) -> None:
    with make_client() as client, pytest.raises(InvalidCustomAttributes, match=match):
        client.create_phone_switch(MOBILE, attributes)  # type: ignore[arg-type]


def test_subclasses_of_allowed_types_are_judged_by_the_schema(
    make_client: Make, intercom: FakeIntercom
) -> None:
    class Seats(IntEnum):
        FIVE = 5

    with make_client() as client:
        client.create_phone_switch(MOBILE, {"seats": Seats.FIVE})
    assert intercom.bodies[0]["custom_attributes"] == {"seats": 5}


date_like = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")),
    st.datetimes().map(lambda d: d.strftime("%d/%m/%Y")),
    st.integers(min_value=0, max_value=2**33).map(str),
)
values = st.one_of(
    st.text(),
    date_like,
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
names = st.text(min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(attributes=st.dictionaries(names, values, max_size=6))
def test_custom_attribute_values_reach_intercom_exactly_as_given(
    attributes: dict[str, object],
) -> None:
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(200, json={"type": "phone_call_redirect", "url": "http://x/msgr/1"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with PhoneSwitchClient(TOKEN, http_client=http) as client:
        client.create_phone_switch(MOBILE, attributes)
    http.close()
    received = json.loads(sent[0])["custom_attributes"]
    assert received == attributes
    for name, value in attributes.items():
        assert type(received[name]) is type(value), name
        if isinstance(value, float):
            assert math.copysign(1, received[name]) == math.copysign(1, value)


@settings(max_examples=100, deadline=None)
@given(value=date_like)
def test_date_like_strings_pass_even_where_only_strings_are_allowed(value: str) -> None:
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(200, json={"type": "phone_call_redirect", "url": "http://x/msgr/1"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with PhoneSwitchClient(TOKEN, http_client=http, version="2.13") as client:
        client.create_phone_switch(MOBILE, {"since": value})
    http.close()
    assert json.loads(sent[0])["custom_attributes"] == {"since": value}
    assert json.dumps(value, ensure_ascii=False).encode() in sent[0]
