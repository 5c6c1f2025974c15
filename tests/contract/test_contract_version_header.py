"""The ``Intercom-Version`` header, which each version's contract run pins to that version.

Pinning leaves two things to test here: every value Intercom accepts is served with the
contract the registry names, and any other value is refused as the spec documents.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercom_phone_switch.fake import FakeIntercom
from intercom_phone_switch_generated.registry import HEADER_VALUES, VERSIONS
from tests.versions import NEAR_MISSES

from .specs import response_validator

pytestmark = pytest.mark.contract

TOKEN = "header-token"
MOBILE = "+353832345678"


@pytest.fixture(scope="module")
def fake() -> FakeIntercom:
    return FakeIntercom(tokens=[TOKEN])


@pytest.fixture(scope="module")
def client(fake: FakeIntercom) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=fake.transport(),
        base_url="https://api.intercom.io",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        yield client


@pytest.mark.parametrize("value", list(HEADER_VALUES))
def test_every_accepted_value_is_served_with_its_contract(
    value: str, fake: FakeIntercom, client: httpx.Client
) -> None:
    answer = client.post(
        "/phone_call_redirects", json={"phone": MOBILE}, headers={"Intercom-Version": value}
    )

    assert answer.status_code == 200, answer.text
    version = HEADER_VALUES[value]
    assert list(response_validator(version, 200).iter_errors(answer.json())) == []
    sent = fake.outbox.last()
    assert sent is not None
    assert (sent.version, sent.spec_version) == (value, version)


header_values = st.one_of(
    st.sampled_from(NEAR_MISSES),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12),
).filter(lambda value: value not in HEADER_VALUES)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=header_values, version=st.sampled_from(VERSIONS))
def test_any_other_value_is_refused_as_documented(
    value: str, version: str, fake: FakeIntercom, client: httpx.Client
) -> None:
    before = fake.outbox.total
    answer = client.post(
        "/phone_call_redirects", json={"phone": MOBILE}, headers={"Intercom-Version": value}
    )

    assert answer.status_code == 400, (value, answer.text)
    body = answer.json()
    # Whatever version the caller meant, the refusal has the shape every version documents.
    assert list(response_validator(version, 400).iter_errors(body)) == []
    assert [error["code"] for error in body["errors"]] == ["intercom_version_invalid"]
    assert fake.outbox.total == before
