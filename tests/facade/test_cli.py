"""The console script: ``send`` and ``versions``."""

from __future__ import annotations

import json

import httpx
import pytest
from click.testing import CliRunner
from phone_fakes import LANDLINE, MOBILE, TOKEN, FakeIntercom

from intercom_phone_switch._versions import served
from intercom_phone_switch.cli import main
from intercom_phone_switch.commands.versions import differences, header_values, what_differs
from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION, VERSIONS


def send(intercom: FakeIntercom, *args: str, token: str | None = TOKEN) -> tuple[int, str, str]:
    http = httpx.Client(transport=httpx.MockTransport(intercom))
    env = {"INTERCOM_ACCESS_TOKEN": token} if token is not None else {"INTERCOM_ACCESS_TOKEN": ""}
    result = CliRunner().invoke(main, ["send", *args], obj={"http_client": http}, env=env)
    http.close()
    return result.exit_code, result.stdout, result.stderr


def test_send_prints_the_messenger_link(intercom: FakeIntercom) -> None:
    code, out, _ = send(intercom, "+353 83 234 5678")
    assert code == 0
    assert "http://via.intercom.io/msgr/1" in out
    assert MOBILE in out
    assert intercom.requests[0].headers["Intercom-Version"] == LATEST_VERSION
    assert intercom.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_send_with_attributes_version_and_region_as_json(intercom: FakeIntercom) -> None:
    code, out, _ = send(
        intercom,
        MOBILE,
        "--attr",
        "plan=pro",
        "--attr",
        "since=2023-03-04",
        "--attr",
        "seats:=3",
        "--attr",
        "paid:=true",
        "--attr",
        "code=0012",
        "--version",
        "2.12",
        "--region",
        "eu",
        "--json",
    )
    assert code == 0
    outcome = json.loads(out)
    assert outcome["url"] == "http://via.intercom.io/msgr/1"
    assert outcome["version"] == "2.12"
    assert outcome["rate_limit"]["remaining"] == 1665
    (request,) = intercom.requests
    assert str(request.url) == "https://api.eu.intercom.io/phone_call_redirects"
    assert json.loads(request.content)["custom_attributes"] == {
        "plan": "pro",
        "since": "2023-03-04",
        "seats": 3,
        "paid": True,
        "code": "0012",
    }


def test_send_token_option_and_base_url(intercom: FakeIntercom) -> None:
    code, _, _ = send(intercom, MOBILE, "--token", "other", "--base-url", "http://localhost:9/x")
    assert code == 0
    assert intercom.requests[0].headers["Authorization"] == "Bearer other"
    assert str(intercom.requests[0].url) == "http://localhost:9/x/phone_call_redirects"


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        ((LANDLINE,), 1, "LandlinePhoneNumber"),
        (("+1 555",), 1, "InvalidPhoneNumber"),
        ((MOBILE, "--version", "2.13", "--attr", "n:=1"), 1, "InvalidCustomAttributes"),
    ],
)
def test_send_failures_exit_non_zero(
    intercom: FakeIntercom, args: tuple[str, ...], code: int, error: str
) -> None:
    exit_code, out, err = send(intercom, *args)
    assert exit_code == code
    assert error in err
    assert out == ""
    exit_code, out, _ = send(intercom, *args, "--json")
    assert json.loads(out)["error"] == error


def test_send_delivery_unknown_exits_3(intercom: FakeIntercom) -> None:
    intercom.script.append(httpx.ReadTimeout("timed out"))
    code, _, err = send(intercom, MOBILE)
    assert code == 3
    assert "DeliveryUnknown" in err
    assert len(intercom.requests) == 1


def test_send_without_token(intercom: FakeIntercom) -> None:
    code, _, err = send(intercom, MOBILE, token=None)
    assert code == 1
    assert "AuthenticationError" in err
    assert "INTERCOM_ACCESS_TOKEN" in err
    assert intercom.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((MOBILE, "--attr", "novalue"), "key=value"),
        ((MOBILE, "--attr", "n:=nope"), "is not JSON"),
        ((MOBILE, "--version", "preview"), "Invalid value for '--version'"),
        ((MOBILE, "--region", "eu", "--base-url", "http://x"), "not both"),
    ],
)
def test_send_usage_errors(intercom: FakeIntercom, args: tuple[str, ...], message: str) -> None:
    code, _, err = send(intercom, *args)
    assert code == 2
    assert message in err
    assert intercom.requests == []


def test_send_never_prints_the_token(intercom: FakeIntercom) -> None:
    for args in [(MOBILE,), (LANDLINE,), (MOBILE, "--json"), ("bad",)]:
        _, out, err = send(intercom, *args)
        assert TOKEN not in out + err


def test_versions_lists_every_value_and_what_differs() -> None:
    result = CliRunner().invoke(main, ["versions"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for value in HEADER_VALUES:
        assert value in result.stdout
    assert "What differs" in result.stdout
    assert "string, custom object instance list" in result.stdout  # 2.13


def test_what_differs_is_read_from_each_effective_spec() -> None:
    rows = {row[0]: row for row in what_differs()}
    assert list(rows) == list(VERSIONS)
    for version, (_, listed, values, _) in rows.items():
        contract = served(version).contract
        assert values == ", ".join(contract.value_types)
        assert listed == header_values(contract.document)
    assert rows["2.13"][2] == "string, custom object instance list"
    assert rows["2.11"][1] == "1.0-2.11, Preview"
    assert rows["2.7"][3] == (
        "custom_attributes differs; no custom_object_instance; no custom_object_instance_list"
    )
    assert rows["2.14"][3] == "nothing"


def test_differences_compares_whole_documents() -> None:
    latest = served(LATEST_VERSION).contract.document
    changed = {**latest, "servers": []}
    assert differences(changed, latest) == ["servers"]
    assert differences(latest, latest) == []
