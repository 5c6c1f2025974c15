"""Each version's generated package, driven through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import importlib
import json
from types import ModuleType

import httpx
import pytest

from intercom_phone_switch_generated.registry import MODULES, VERSIONS

URL = "http://via.intercom.io/msgr/1add3dd1-a75e-4a96-96fd-984d16aba059"
ERROR_LIST = {
    "type": "error.list",
    "request_id": "3c1b2f8e-8a43-4f0e-9d55-5f7c2d9b6e10",
    "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}],
}


def package(version: str) -> ModuleType:
    return importlib.import_module(f"intercom_phone_switch_generated.{MODULES[version]}")


def call(version: str, status: int, payload: object, sent: list[httpx.Request] | None = None):
    pkg = package(version)
    endpoint = importlib.import_module(f"{pkg.__name__}.api.switch.create_phone_switch")
    models = importlib.import_module(f"{pkg.__name__}.models")

    def handler(request: httpx.Request) -> httpx.Response:
        if sent is not None:
            sent.append(request)
        return httpx.Response(status, json=payload)

    client = pkg.AuthenticatedClient(base_url="https://api.intercom.io", token="tok_secret")
    client.set_httpx_client(
        httpx.Client(
            base_url="https://api.intercom.io",
            transport=httpx.MockTransport(handler),
            headers={"Authorization": "Bearer tok_secret"},
        )
    )
    body = models.PhoneSwitchRequest.from_dict(
        {
            "phone": "+353832345678",
            "custom_attributes": {"issue_type": "Billing", "since": "2023-03-04"},
        }
    )
    return models, endpoint.sync(client=client, body=body, intercom_version=version)


def test_all_versions_import_side_by_side() -> None:
    modules = [package(version) for version in VERSIONS]
    assert len({m.__name__ for m in modules}) == len(VERSIONS)
    classes = {importlib.import_module(f"{m.__name__}.models").PhoneSwitchRequest for m in modules}
    assert len(classes) == len(VERSIONS), "every version has its own models"


@pytest.mark.parametrize("version", VERSIONS)
def test_request_is_what_the_contract_says(version: str) -> None:
    sent: list[httpx.Request] = []
    call(version, 200, {"type": "phone_call_redirect", "url": URL}, sent)
    (request,) = sent
    assert request.method == "POST"
    assert request.url == "https://api.intercom.io/phone_call_redirects"
    assert request.headers["Intercom-Version"] == version
    assert request.headers["Authorization"] == "Bearer tok_secret"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "phone": "+353832345678",
        "custom_attributes": {"issue_type": "Billing", "since": "2023-03-04"},
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_parses_success(version: str) -> None:
    models, parsed = call(version, 200, {"type": "phone_call_redirect", "url": URL})
    assert isinstance(parsed, models.PhoneSwitch)
    assert parsed.url == URL
    assert parsed.type_ == "phone_call_redirect"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("status", "payload", "model", "key"),
    [
        (
            400,
            {"error_key": "invalid_phone_number", "message": "Invalid phone number"},
            "PhoneSwitchError",
            "invalid_phone_number",
        ),
        (
            400,
            {"error_key": "sms_failed", "message": "SMS was not sent"},
            "PhoneSwitchError",
            "sms_failed",
        ),
        (
            400,
            {**ERROR_LIST, "errors": [{"code": "parameter_invalid"}]},
            "ErrorList",
            "parameter_invalid",
        ),
        (401, ERROR_LIST, "ErrorList", "unauthorized"),
        (422, {"error_key": "landline_phone"}, "PhoneSwitchError", "landline_phone"),
        (
            429,
            {**ERROR_LIST, "errors": [{"code": "rate_limit_exceeded"}]},
            "ErrorList",
            "rate_limit_exceeded",
        ),
    ],
)
def test_parses_errors(version: str, status: int, payload: dict, model: str, key: str) -> None:
    models, parsed = call(version, status, payload)
    assert type(parsed) is getattr(models, model)
    if model == "ErrorList":
        assert parsed.errors[0].code == key
    else:
        assert parsed.error_key == key


@pytest.mark.parametrize("version", VERSIONS)
def test_date_like_strings_are_not_rewritten(version: str) -> None:
    models = importlib.import_module(f"{package(version).__name__}.models")
    attrs = {"a": "2023-03-04", "b": "2023-03-04T09:46:14.000+00:00", "c": "0012"}
    request = models.PhoneSwitchRequest.from_dict(
        {"phone": "+353832345678", "custom_attributes": attrs}
    )
    assert request.to_dict()["custom_attributes"] == attrs


@pytest.mark.parametrize("version", VERSIONS)
def test_async_call_parses_success(version: str) -> None:
    pkg = package(version)
    endpoint = importlib.import_module(f"{pkg.__name__}.api.switch.create_phone_switch")

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"type": "phone_call_redirect", "url": URL})

    async def run() -> object:
        client = pkg.AuthenticatedClient(base_url="https://api.intercom.io", token="t")
        client.set_async_httpx_client(
            httpx.AsyncClient(
                base_url="https://api.intercom.io", transport=httpx.MockTransport(handler)
            )
        )
        body = importlib.import_module(f"{pkg.__name__}.models").PhoneSwitchRequest(
            phone="+353832345678"
        )
        async with client:
            return await endpoint.asyncio(client=client, body=body, intercom_version=version)

    parsed = asyncio.run(run())
    assert isinstance(parsed, importlib.import_module(f"{pkg.__name__}.models").PhoneSwitch)
    assert parsed.url == URL
