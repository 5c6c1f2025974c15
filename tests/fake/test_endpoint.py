"""POST /phone_call_redirects through plain httpx, in-process."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercom_phone_switch.fake import DEFAULT_TOKEN, ConnectionDropped, FakeIntercom
from intercom_phone_switch.fake._contract import contracts
from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION, VERSIONS
from tests.versions import NEAR_MISSES

MOBILE = "+353832345678"
LANDLINE = "+40241100100"
PATH = "/phone_call_redirects"
URL = re.compile(r"^http://via\.intercom\.io/msgr/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
UUID = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def conforms(response: httpx.Response, version: str = LATEST_VERSION) -> Any:
    """The body, after checking it against the spec's schema for its status."""
    body = response.json()
    jsonschema.validate(body, contracts()[version].response_schema(response.status_code))
    return body


def error_codes(response: httpx.Response) -> list[str]:
    body = response.json()
    assert body["type"] == "error.list"
    assert body["request_id"] == response.headers["x-request-id"]
    return [error["code"] for error in body["errors"]]


# -- success, for every version -------------------------------------------------------------


@pytest.mark.parametrize("header", list(HEADER_VALUES))
def test_every_accepted_header_value_sends_an_sms(
    fake: FakeIntercom, raw: httpx.Client, header: str
) -> None:
    response = raw.post(PATH, json={"phone": MOBILE}, headers={"Intercom-Version": header})
    assert response.status_code == 200
    spec_version = HEADER_VALUES[header]
    body = conforms(response, spec_version)  # fields a version adds come with its example
    assert {"type", "url"} <= set(body)
    assert body["type"] == "phone_call_redirect"
    assert URL.match(body["url"])
    (sms,) = fake.outbox.messages()
    assert (sms.phone, sms.url, sms.version, sms.spec_version) == (
        MOBILE,
        body["url"],
        header,
        spec_version,
    )
    assert sms.request_id == response.headers["x-request-id"]


def test_without_a_header_the_workspace_version_applies(raw: httpx.Client) -> None:
    fake = FakeIntercom(default_version="2.13")
    with httpx.Client(
        transport=fake.transport(), base_url="http://x", headers=raw.headers
    ) as client:
        ok = client.post(PATH, json={"phone": MOBILE, "custom_attributes": {"a": "b"}})
        refused = client.post(PATH, json={"phone": MOBILE, "custom_attributes": {"seats": 3}})
        fake.default_version = "2.14"
        accepted = client.post(PATH, json={"phone": MOBILE, "custom_attributes": {"seats": 3}})
    assert ok.status_code == 200
    assert fake.outbox.messages()[0].version == "2.13"
    assert refused.status_code == 400
    assert error_codes(refused) == ["parameter_invalid"]
    assert accepted.status_code == 200
    assert fake.outbox.last() is not None
    assert fake.outbox.messages()[-1].spec_version == "2.14"


def test_the_default_version_must_be_one_intercom_accepts() -> None:
    with pytest.raises(ValueError, match="does not accept"):
        FakeIntercom(default_version="preview")
    assert FakeIntercom(default_version="2.5").contract("2.5").version == "2.7"


@pytest.mark.parametrize("header", NEAR_MISSES)
def test_unknown_versions_are_refused(fake: FakeIntercom, raw: httpx.Client, header: str) -> None:
    response = raw.post(PATH, json={"phone": MOBILE}, headers={"Intercom-Version": header})
    assert response.status_code == 400
    assert error_codes(response) == ["intercom_version_invalid"]
    conforms(response)
    assert fake.outbox.messages() == []


# -- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic " + DEFAULT_TOKEN, DEFAULT_TOKEN, "Bearer nope"],
)
def test_requests_without_a_known_token_get_401(
    fake: FakeIntercom, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(transport=fake.transport(), base_url="http://x") as client:
        response = client.post(PATH, json={"phone": MOBILE}, headers=headers)
    assert response.status_code == 401
    assert error_codes(response) == ["unauthorized"]
    assert response.json()["errors"][0]["message"] == "Access Token Invalid"
    conforms(response)
    assert "x-ratelimit-limit" not in response.headers
    assert fake.outbox.messages() == []


def test_bearer_scheme_is_case_insensitive_and_tokens_are_configurable() -> None:
    fake = FakeIntercom(tokens=["one", "two"])
    with httpx.Client(transport=fake.transport(), base_url="http://x") as client:
        for authorization in ("bearer one", "BEARER two"):
            response = client.post(
                PATH, json={"phone": MOBILE}, headers={"Authorization": authorization}
            )
            assert response.status_code == 200
        fake.tokens = frozenset({"three"})
        response = client.post(
            PATH, json={"phone": MOBILE}, headers={"Authorization": "Bearer one"}
        )
        assert response.status_code == 401


# -- malformed requests: 4xx, never 5xx ------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"{", "application/json", "not valid JSON"),
        (b"", "application/json", "not valid JSON"),
        (b"\xff\xfe{}", "application/json", "not valid JSON"),
        (b'{"phone": NaN}', "application/json", "not valid JSON"),
        (
            b'{"phone": "+353832345678", "custom_attributes": {"a": 1e999}}',
            "application/json",
            "not valid JSON",
        ),
        (b"[" * 50_000 + b"]" * 50_000, "application/json", "larger than"),
        (b"[" * 20_000 + b"]" * 20_000, "application/json", "not valid JSON"),
        (b'["+353832345678"]', "application/json", "JSON object"),
        (b'"+353832345678"', "application/json", "JSON object"),
        (b'{"phone": "+353832345678"}', "text/plain", "application/json"),
        (b'{"phone": "+353832345678"}', "application/x-www-form-urlencoded", "application/json"),
        (b'{"phone": "+353832345678"}', None, "application/json"),
    ],
)
def test_malformed_requests_get_parameter_invalid(
    fake: FakeIntercom,
    raw: httpx.Client,
    content: bytes,
    content_type: str | None,
    message: str,
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = raw.post(PATH, content=content, headers=headers)
    assert response.status_code == 400
    assert error_codes(response) == ["parameter_invalid"]
    assert message in response.json()["errors"][0]["message"]
    conforms(response)
    assert fake.outbox.messages() == []


def test_json_with_charset_is_accepted(raw: httpx.Client) -> None:
    response = raw.post(
        PATH,
        content=json.dumps({"phone": MOBILE}).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


def test_oversized_bodies_are_refused_when_streamed(fake: FakeIntercom, raw: httpx.Client) -> None:
    def chunks() -> Any:
        yield b'{"phone": "+353832345678", "custom_attributes": {"a": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}}'

    response = raw.post(PATH, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "larger than 65536 bytes" in response.json()["errors"][0]["message"]
    small = FakeIntercom(max_body_bytes=10)
    with httpx.Client(transport=small.transport(), base_url="http://x", headers=raw.headers) as c:
        assert c.post(PATH, json={"phone": MOBILE}).status_code == 400


def test_a_missing_phone_is_named(raw: httpx.Client) -> None:
    response = raw.post(PATH, json={"custom_attributes": {"a": "b"}})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "parameter_invalid", "message": "phone is required", "field": "phone"}
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": 353832345678}, "phone"),
        ({"phone": None}, "phone"),
        ({"phone": MOBILE, "custom_attributes": ["a"]}, "custom_attributes"),
        ({"phone": MOBILE, "custom_attributes": {"a": None}}, "custom_attributes.a"),
        ({"phone": MOBILE, "custom_attributes": {"a": [1]}}, "custom_attributes.a"),
    ],
)
def test_bodies_that_break_the_schema_name_the_field(
    raw: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = raw.post(PATH, json=body)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "parameter_invalid"
    # The field, or a part of it where its schema has parts (a version whose values may
    # be arrays names the item that is wrong).
    assert error["field"] == field or error["field"].startswith(f"{field}."), error
    conforms(response)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False)
            | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=20,
        ).map(lambda value: json.dumps(value).encode()),
        st.fixed_dictionaries(
            {"phone": st.text(max_size=20)},
            optional={
                "custom_attributes": st.dictionaries(
                    st.text(max_size=5),
                    st.integers() | st.text(max_size=5) | st.booleans(),
                    max_size=3,
                )
            },
        ).map(lambda value: json.dumps(value).encode()),
    ),
    version=st.sampled_from(list(HEADER_VALUES)),
)
def test_no_body_ever_gets_a_server_error(raw: httpx.Client, content: bytes, version: str) -> None:
    response = raw.post(
        PATH,
        content=content,
        headers={"Content-Type": "application/json", "Intercom-Version": version},
    )
    assert response.status_code in (200, 400, 422)
    conforms(response, HEADER_VALUES[version])


# -- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    ["+1 1234567890", "353832345678", "+0353832345678", "+11234567890", "+353832345678\n", "+"],
)
def test_numbers_that_are_not_e164_get_invalid_phone_number(
    fake: FakeIntercom, raw: httpx.Client, phone: str
) -> None:
    response = raw.post(PATH, json={"phone": phone})
    assert response.status_code == 400
    assert conforms(response) == {
        "error_key": "invalid_phone_number",
        "message": "Invalid phone number",
    }
    assert fake.outbox.messages() == []


@pytest.mark.parametrize("version", VERSIONS)
def test_landlines_get_422(fake: FakeIntercom, raw: httpx.Client, version: str) -> None:
    response = raw.post(PATH, json={"phone": LANDLINE}, headers={"Intercom-Version": version})
    assert response.status_code == 422
    assert conforms(response, version) == {"error_key": "landline_phone"}
    assert fake.outbox.messages() == []


# -- custom attributes and contacts -------------------------------------------------------------


def test_custom_attributes_are_merged_into_the_contact(
    fake: FakeIntercom, raw: httpx.Client
) -> None:
    raw.post(PATH, json={"phone": MOBILE, "custom_attributes": {"issue": "Billing", "seats": 3}})
    raw.post(PATH, json={"phone": MOBILE, "custom_attributes": {"issue": "Refund"}})
    raw.post(PATH, json={"phone": "+447911123456"})
    contact = fake.contacts.get(MOBILE)
    assert contact is not None
    assert contact.custom_attributes == {"issue": "Refund", "seats": 3}
    assert [c.phone for c in fake.contacts.all()] == [MOBILE]  # no attributes, no update
    assert [sms.custom_attributes for sms in fake.outbox.messages(MOBILE)] == [
        {"issue": "Billing", "seats": 3},
        {"issue": "Refund"},
    ]


@pytest.mark.parametrize(
    ("version", "value", "status"),
    [
        ("2.7", {"type": "order.list", "instances": [{"id": "1"}]}, 400),
        ("2.12", {"type": "order.list", "instances": [{"id": "1"}]}, 200),
        ("2.13", 3, 400),
        ("2.13", "3", 200),
        ("2.16", 155.5, 200),
        ("2.16", True, 200),
    ],
)
def test_custom_attribute_values_follow_the_version(
    raw: httpx.Client, version: str, value: Any, status: int
) -> None:
    response = raw.post(
        PATH,
        json={"phone": MOBILE, "custom_attributes": {"value": value}},
        headers={"Intercom-Version": version},
    )
    assert response.status_code == status
    conforms(response, version)


# -- request ids and rate limits ------------------------------------------------------------------


def test_every_answer_has_a_request_id(raw: httpx.Client) -> None:
    answers = [
        raw.post(PATH, json={"phone": MOBILE}),
        raw.post(PATH, json={"phone": LANDLINE}),
        raw.post(PATH, json={}),
        raw.post(PATH, json={"phone": MOBILE}, headers={"Authorization": "Bearer nope"}),
        raw.get(PATH),
        raw.get("/nowhere"),
        raw.get("/__fake__/outbox"),
    ]
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert all(UUID.match(request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)
    assert [answer.status_code for answer in answers] == [200, 422, 400, 401, 405, 404, 200]


def test_rate_limit_headers_and_429(clock: Any) -> None:
    fake = FakeIntercom(rate_limit=3, clock=clock)
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with httpx.Client(transport=fake.transport(), base_url="http://x", headers=headers) as client:
        answers = [client.post(PATH, json={"phone": MOBILE}) for _ in range(4)]
        clock.now += 10
        after = client.post(PATH, json={"phone": MOBILE})
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
    window_end = str((int(clock.now - 10) // 10 + 1) * 10)
    assert {a.headers["x-ratelimit-reset"] for a in answers} == {window_end}
    assert error_codes(answers[3]) == ["rate_limit_exceeded"]
    assert answers[3].json()["errors"][0]["message"] == "Exceeded rate limit of 3 in 10 seconds"
    conforms(answers[3])
    assert after.status_code == 200
    assert fake.outbox.total == 4
    assert after.headers["x-ratelimit-reset"] == str(int(window_end) + 10)


def test_requests_over_budget_are_not_processed(clock: Any) -> None:
    fake = FakeIntercom(rate_limit=1, clock=clock)
    with httpx.Client(transport=fake.transport(), base_url="http://x") as client:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        client.post(PATH, json={"phone": MOBILE}, headers=headers)
        fake.faults.script("sms_failed")
        refused = client.post(PATH, json={"phone": LANDLINE}, headers=headers)
    assert refused.status_code == 429
    assert fake.faults.pending  # the fault waits for a request that is processed


# -- faults, through raw httpx -----------------------------------------------------------------


def test_server_error_before_sends_nothing(fake: FakeIntercom, raw: httpx.Client) -> None:
    fake.faults.script({"kind": "server_error_before", "status": 503})
    response = raw.post(PATH, json={"phone": MOBILE})
    assert response.status_code == 503
    assert error_codes(response) == ["server_error"]
    assert fake.outbox.messages() == []
    (record,) = fake.faults.log
    assert (record.applied, record.sms_recorded, record.status) == (True, False, 503)
    assert record.request_id == response.headers["x-request-id"]


def test_server_error_after_sends_the_sms(fake: FakeIntercom, raw: httpx.Client) -> None:
    fake.faults.script("server_error_after")
    response = raw.post(PATH, json={"phone": MOBILE})
    assert response.status_code == 500
    assert len(fake.outbox.messages(MOBILE)) == 1
    (record,) = fake.faults.log
    assert (record.applied, record.sms_recorded, record.status, record.phone) == (
        True,
        True,
        500,
        MOBILE,
    )


def test_sms_failed(fake: FakeIntercom, raw: httpx.Client) -> None:
    fake.faults.script("sms_failed")
    response = raw.post(PATH, json={"phone": MOBILE})
    assert response.status_code == 400
    assert conforms(response) == {
        "error_key": "sms_failed",
        "message": "SMS was not sent due to an unknown error",
    }
    assert fake.outbox.messages() == []
    assert fake.faults.log[0].sms_recorded is False


def test_dropped_connection_after_sending(fake: FakeIntercom, raw: httpx.Client) -> None:
    fake.faults.script("drop_after_sms")
    with pytest.raises(httpx.RemoteProtocolError) as caught:
        raw.post(PATH, json={"phone": MOBILE})
    assert isinstance(caught.value, ConnectionDropped)
    assert caught.value.request.url.path == PATH
    assert len(fake.outbox.messages(MOBILE)) == 1
    (record,) = fake.faults.log
    assert (record.applied, record.sms_recorded, record.status) == (True, True, None)


def test_latency_then_a_normal_answer(fake: FakeIntercom, raw: httpx.Client) -> None:
    fake.faults.script({"kind": "latency", "delay": 0.01})
    assert raw.post(PATH, json={"phone": MOBILE}).status_code == 200
    (record,) = fake.faults.log
    assert (record.applied, record.sms_recorded, record.status) == (True, True, 200)


def test_faults_after_sending_spare_requests_that_send_nothing(
    fake: FakeIntercom, raw: httpx.Client
) -> None:
    fake.faults.script("drop_after_sms", "server_error_after", "sms_failed")
    assert raw.post(PATH, json={"phone": LANDLINE}).status_code == 422
    assert raw.post(PATH, json={"phone": "+1"}).status_code == 400
    assert raw.post(PATH, json={}).status_code == 400
    assert [(r.applied, r.sms_recorded, r.status) for r in fake.faults.log] == [
        (False, False, 422),
        (False, False, 400),
        (False, False, 400),
    ]


def test_plain_asgi_transport_works_too() -> None:
    """httpx's own ASGITransport: the app is a standard ASGI app."""
    fake = FakeIntercom()

    async def scenario() -> tuple[int, type[BaseException]]:
        transport = httpx.ASGITransport(app=fake)
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://x", headers=headers
        ) as client:
            ok = await client.post(PATH, json={"phone": MOBILE})
            fake.faults.script("drop_after_sms")
            try:
                await client.post(PATH, json={"phone": MOBILE})
            except httpx.TransportError as error:
                return ok.status_code, type(error)
        raise AssertionError("the connection was not dropped")

    status, error = asyncio.run(scenario())
    assert status == 200
    assert issubclass(error, httpx.RemoteProtocolError)
    assert fake.outbox.total == 2


# -- invalid Unicode --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        # A lone surrogate written as a JSON escape, in a value, a key and the phone.
        b'{"phone": "+353832345678", "custom_attributes": {"a": "\\ud800"}}',
        b'{"phone": "+353832345678", "custom_attributes": {"\\udfff": "x"}}',
        b'{"phone": "+353832345678", "custom_attributes": {"a": ["ok", {"b": "\\udc00"}]}}',
        b'{"phone": "+353832345678\\ud800"}',
        b'{"phone": "+353832345678", "custom_attributes": {"a": "\\ud83d x"}}',
        # The same surrogate as raw (invalid) UTF-8 bytes.
        b'{"phone": "+353832345678", "custom_attributes": {"a": "\xed\xa0\x80"}}',
        b'{"phone": "+353832345678", "custom_attributes": {"a": "\xff"}}',
    ],
)
def test_invalid_unicode_gets_parameter_invalid(
    fake: FakeIntercom, raw: httpx.Client, content: bytes
) -> None:
    response = raw.post(PATH, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_codes(response) == ["parameter_invalid"]
    conforms(response)
    assert fake.outbox.messages() == []
    assert len(fake.contacts) == 0
    for admin in ("/__fake__/outbox", "/__fake__/contacts", f"/__fake__/contacts/{MOBILE}"):
        assert raw.get(admin).status_code in (200, 404)


def test_a_surrogate_pair_is_valid_unicode(fake: FakeIntercom, raw: httpx.Client) -> None:
    content = b'{"phone": "+353832345678", "custom_attributes": {"mood": "\\ud83d\\ude00"}}'
    response = raw.post(PATH, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert fake.outbox.messages()[0].custom_attributes == {"mood": "\N{GRINNING FACE}"}
    assert raw.get(f"/__fake__/contacts/{MOBILE}").json()["custom_attributes"] == {
        "mood": "\N{GRINNING FACE}"
    }
