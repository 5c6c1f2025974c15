"""PhoneSwitchClient and AsyncPhoneSwitchClient, driven through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable

import httpx
import pytest
from phone_fakes import LANDLINE, MOBILE, TOKEN, FakeIntercom

from intercom_phone_switch import (
    LATEST_VERSION,
    SUPPORTED_VERSIONS,
    AsyncPhoneSwitchClient,
    AuthenticationError,
    ConnectionFailed,
    PhoneSwitch,
    PhoneSwitchClient,
    RateLimit,
)
from intercom_phone_switch_generated.registry import HEADER_VALUES, MODULES
from tests.versions import LATEST

Make = Callable[..., PhoneSwitchClient]
MakeAsync = Callable[..., AsyncPhoneSwitchClient]


@pytest.mark.parametrize("value", SUPPORTED_VERSIONS)
def test_every_version_sends_its_header_through_its_package(
    value: str, make_client: Make, intercom: FakeIntercom
) -> None:
    with make_client(version=value) as client:
        switch = client.create_phone_switch(MOBILE, {"issue_type": "Billing"})
    (request,) = intercom.requests
    assert request.method == "POST"
    assert request.url == "https://api.intercom.io/phone_call_redirects"
    assert request.headers["Intercom-Version"] == value
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert json.loads(request.content) == {
        "phone": MOBILE,
        "custom_attributes": {"issue_type": "Billing"},
    }
    assert switch == PhoneSwitch(
        type="phone_call_redirect",
        url="http://via.intercom.io/msgr/1",
        phone=MOBILE,
        request_id="req-1",
        version=value,
        rate_limit=RateLimit(limit=1666, remaining=1665, reset=1_700_000_010),
        attempts=1,
    )
    served_by = f"intercom_phone_switch_generated.{MODULES[HEADER_VALUES[value]]}"
    assert f"{served_by}.api.switch.create_phone_switch" in sys.modules


@pytest.mark.parametrize("value", SUPPORTED_VERSIONS)
def test_every_version_async(
    value: str, make_async_client: MakeAsync, intercom: FakeIntercom
) -> None:
    async def run() -> PhoneSwitch:
        async with make_async_client(version=value) as client:
            return await client.create_phone_switch(MOBILE)

    switch = asyncio.run(run())
    assert switch.version == value
    assert switch.url == "http://via.intercom.io/msgr/1"
    assert intercom.requests[0].headers["Intercom-Version"] == value
    assert intercom.bodies == [{"phone": MOBILE}]


def test_default_version_is_the_newest_stable_and_always_sent(
    make_client: Make, intercom: FakeIntercom
) -> None:
    with make_client() as client:
        assert client.version == LATEST_VERSION == LATEST
        client.create_phone_switch(MOBILE)
    assert intercom.requests[0].headers["Intercom-Version"] == LATEST


def test_version_per_call_overrides_the_client(make_client: Make, intercom: FakeIntercom) -> None:
    with make_client(version="2.13") as client:
        first = client.create_phone_switch(MOBILE)
        second = client.create_phone_switch(MOBILE, version="Unstable")
    assert [r.headers["Intercom-Version"] for r in intercom.requests] == ["2.13", "Unstable"]
    assert (first.version, second.version) == ("2.13", "Unstable")


def test_phone_written_with_spaces_and_dashes_is_sent_as_e164(
    make_client: Make, intercom: FakeIntercom
) -> None:
    with make_client() as client:
        switch = client.create_phone_switch(" +353 83-234 5678 ")
    assert intercom.phones == [MOBILE]
    assert switch.phone == MOBILE


def test_custom_attribute_values_reach_intercom_untouched(
    make_client: Make, intercom: FakeIntercom
) -> None:
    attributes = {
        "since": "2023-03-04",
        "at": "2023-03-04T09:46:14.000+00:00",
        "code": "0012",
        "seats": 9,
        "spend": 155.5,
        "paid": True,
        "orders": {"type": "order.list", "instances": [{"id": "16032025", "type": "Order"}]},
    }
    given = json.loads(json.dumps(attributes))
    with make_client() as client:
        client.create_phone_switch(MOBILE, attributes)
    (body,) = intercom.bodies
    assert body["custom_attributes"] == given
    assert attributes == given, "the caller's mapping is not changed"


def test_one_connection_pool_for_every_call_and_version(intercom: FakeIntercom) -> None:
    transport = httpx.MockTransport(intercom)
    http = httpx.Client(transport=transport)
    with PhoneSwitchClient(TOKEN, http_client=http) as client:
        for value in ("2.7", "2.13", "Preview", "2.7"):
            client.create_phone_switch(MOBILE, version=value)
    # Every version's requests went through the one httpx client (and its transport).
    sent = [request.headers["Intercom-Version"] for request in intercom.requests]
    assert sent == ["2.7", "2.13", "Preview", "2.7"]
    assert not http.is_closed, "a caller's client is never closed for them"
    http.close()


def test_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, intercom: FakeIntercom
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "env-token")
    with PhoneSwitchClient(http_client=httpx.Client(transport=httpx.MockTransport(intercom))) as c:
        c.create_phone_switch(MOBILE)
    assert intercom.requests[0].headers["Authorization"] == "Bearer env-token"


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_token_is_an_error_at_construction(
    monkeypatch: pytest.MonkeyPatch, token: str | None
) -> None:
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    with pytest.raises(AuthenticationError, match="INTERCOM_ACCESS_TOKEN") as caught:
        PhoneSwitchClient(token)
    assert caught.value.status is None
    with pytest.raises(AuthenticationError):
        AsyncPhoneSwitchClient(token)


def test_malformed_token_is_refused_without_showing_it() -> None:
    with pytest.raises(AuthenticationError) as caught:
        PhoneSwitchClient("abc def-secret")
    assert "secret" not in str(caught.value)
    assert "secret" not in repr(caught.value)


@pytest.mark.parametrize(
    ("options", "url"),
    [
        ({}, "https://api.intercom.io/phone_call_redirects"),
        ({"region": "us"}, "https://api.intercom.io/phone_call_redirects"),
        ({"region": "eu"}, "https://api.eu.intercom.io/phone_call_redirects"),
        ({"region": "au"}, "https://api.au.intercom.io/phone_call_redirects"),
        (
            {"base_url": "http://localhost:8080/intercom/"},
            "http://localhost:8080/intercom/phone_call_redirects",
        ),
    ],
)
def test_region_or_base_url_decide_where_requests_go(
    options: dict[str, str], url: str, intercom: FakeIntercom
) -> None:
    # A caller's client with a base_url of its own: the phone switch client's wins.
    http = httpx.Client(
        base_url="https://elsewhere.example", transport=httpx.MockTransport(intercom)
    )
    with PhoneSwitchClient(TOKEN, http_client=http, **options) as client:  # type: ignore[arg-type]
        client.create_phone_switch(MOBILE)
    assert str(intercom.requests[0].url) == url
    assert http.base_url == "https://elsewhere.example", "the caller's client is not changed"
    http.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"region": "eu", "base_url": "https://x.example"}, "not both"),
        ({"region": "mars"}, "region must be one of us, eu, au"),
        ({"base_url": "api.intercom.io"}, "absolute http"),
    ],
)
def test_bad_destination_is_refused(options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PhoneSwitchClient(TOKEN, **options)  # type: ignore[arg-type]


def test_own_http_client_keeps_its_hooks_and_is_never_closed(intercom: FakeIntercom) -> None:
    seen: list[str] = []
    http = httpx.Client(
        transport=httpx.MockTransport(intercom),
        event_hooks={"request": [lambda request: seen.append(str(request.url))]},
        headers={"X-Team": "support"},
    )
    with PhoneSwitchClient(TOKEN, http_client=http) as client:
        client.create_phone_switch(MOBILE)
    assert seen == ["https://api.intercom.io/phone_call_redirects"]
    assert intercom.requests[0].headers["X-Team"] == "support"
    assert "authorization" not in http.headers, "the token is added per request"
    assert not http.is_closed
    http.close()


def test_own_async_http_client_is_never_closed(intercom: FakeIntercom) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(intercom))

    async def run() -> None:
        async with AsyncPhoneSwitchClient(TOKEN, http_client=http) as client:
            await client.create_phone_switch(MOBILE)
        assert not http.is_closed
        await http.aclose()

    asyncio.run(run())
    assert len(intercom.requests) == 1


def test_a_client_it_created_is_closed_on_exit() -> None:
    client = PhoneSwitchClient(TOKEN)
    with client:
        assert not client._http.is_closed
    assert client._http.is_closed

    async def run() -> AsyncPhoneSwitchClient:
        async with AsyncPhoneSwitchClient(TOKEN) as async_client:
            pass
        return async_client

    assert asyncio.run(run())._http.is_closed


def test_http_client_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(TypeError, match=r"httpx\.Client"):
        PhoneSwitchClient(TOKEN, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"httpx\.AsyncClient"):
        AsyncPhoneSwitchClient(TOKEN, http_client=httpx.Client())  # type: ignore[arg-type]


def test_timeout_applies_to_every_request(intercom: FakeIntercom) -> None:
    timeouts: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return intercom(request)

    http = httpx.Client(transport=httpx.MockTransport(handler), timeout=7.0)
    with PhoneSwitchClient(TOKEN, http_client=http) as client:
        client.create_phone_switch(MOBILE)  # the caller's client keeps its timeout
    with PhoneSwitchClient(TOKEN, http_client=http, timeout=3.0) as client:
        client.create_phone_switch(MOBILE)
    with PhoneSwitchClient(TOKEN, timeout=4.0) as client:
        assert client._http.timeout == httpx.Timeout(4.0)
    http.close()
    assert timeouts[0] == httpx.Timeout(7.0).as_dict()
    assert timeouts[1] == httpx.Timeout(3.0).as_dict()


def test_closed_http_client_fails_without_sending(intercom: FakeIntercom) -> None:
    http = httpx.Client(transport=httpx.MockTransport(intercom))
    client = PhoneSwitchClient(TOKEN, http_client=http)
    http.close()
    with pytest.raises(ConnectionFailed, match="closed") as caught:
        client.create_phone_switch(MOBILE)
    assert caught.value.attempts == 0, "found before sending"
    assert caught.value.sms_sent is False
    assert intercom.requests == []


def test_repr_shows_settings_only(make_client: Make) -> None:
    with make_client(version="2.12", region="eu") as client:
        assert repr(client) == (
            "PhoneSwitchClient(version='2.12', base_url='https://api.eu.intercom.io')"
        )
        assert client.base_url == "https://api.eu.intercom.io"


def test_landline_then_mobile_in_one_client(make_client: Make, intercom: FakeIntercom) -> None:
    from intercom_phone_switch import LandlinePhoneNumber

    with make_client() as client:
        with pytest.raises(LandlinePhoneNumber):
            client.create_phone_switch(LANDLINE)
        assert client.create_phone_switch(MOBILE).url.startswith("http://via.intercom.io/msgr/")
    assert intercom.statuses == [422, 200]


def test_a_prepared_call_is_sent_once(
    make_client: Callable[..., PhoneSwitchClient], intercom: FakeIntercom
) -> None:
    with make_client() as client:
        call = client.prepare(MOBILE)
        assert intercom.phones == [], "preparing sends nothing"
        client.send_prepared(call)
        with pytest.raises(ValueError, match="sent already"):
            client.send_prepared(call)
        client.send_prepared(client.prepare(MOBILE))
    assert intercom.phones == [MOBILE, MOBILE], "the second send of one call sent nothing"


def test_an_async_prepared_call_is_sent_once(
    make_async_client: Callable[..., AsyncPhoneSwitchClient], intercom: FakeIntercom
) -> None:
    async def run() -> None:
        async with make_async_client() as client:
            call = client.prepare(MOBILE)
            await client.send_prepared(call)
            with pytest.raises(ValueError, match="sent already"):
                await client.send_prepared(call)

    asyncio.run(run())
    assert intercom.phones == [MOBILE]


@pytest.mark.parametrize(
    ("url", "part"),
    [("https://proxy.example/#top", "fragment"), ("https://proxy.example/?a=1", "query")],
)
def test_a_base_url_with_more_than_a_server_says_which_part(url: str, part: str) -> None:
    with pytest.raises(ValueError, match=f"cannot have a {part}"):
        PhoneSwitchClient(TOKEN, base_url=url)
