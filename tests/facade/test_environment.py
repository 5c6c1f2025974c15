"""Where the client sends when the constructor names no server: the environment."""

from __future__ import annotations

import httpx
import pytest

from intercom_phone_switch import PhoneSwitchClient

ANSWER = {"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/1"}


def sent_to(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name in ("INTERCOM_BASE_URL", "INTERCOM_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen: list[httpx.URL] = []

    def intercom(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=ANSWER)

    http = httpx.Client(transport=httpx.MockTransport(intercom))
    with PhoneSwitchClient("token", http_client=http) as client:
        client.create_phone_switch("+353832345678")
    return str(seen[0])


def test_the_default_is_the_united_states(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sent_to(monkeypatch) == "https://api.intercom.io/phone_call_redirects"


def test_a_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    url = sent_to(monkeypatch, INTERCOM_REGION="eu")
    assert url == "https://api.eu.intercom.io/phone_call_redirects"


def test_a_base_url_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    url = sent_to(monkeypatch, INTERCOM_BASE_URL="http://127.0.0.1:9/", INTERCOM_REGION="au")
    assert url == "http://127.0.0.1:9/phone_call_redirects"


def test_the_constructor_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERCOM_BASE_URL", "http://127.0.0.1:9")
    client = PhoneSwitchClient("token", region="au")
    assert client.base_url == "https://api.au.intercom.io"
    client.close()


def test_a_bad_region_in_the_environment_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INTERCOM_BASE_URL", raising=False)
    monkeypatch.setenv("INTERCOM_REGION", "mars")
    with pytest.raises(ValueError, match="region must be one of us, eu, au, not 'mars'"):
        PhoneSwitchClient("token")
