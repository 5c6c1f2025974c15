"""The README's examples (the python blocks of its facade section) run, unchanged.

httpx's own transports are replaced by a scripted Intercom for the duration, so the
examples send through the real client stack without leaving the process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from phone_fakes import FakeClock, FakeIntercom

from tests.versions import HEADER_VALUE_COUNT, LATEST

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start, end = text.index("<!-- facade:start -->"), text.index("<!-- facade:end -->")
    return text[start:end]


BLOCKS = re.findall(r"```python\n(.*?)```", section(), flags=re.DOTALL)


@pytest.fixture
def intercom(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIntercom]:
    fake = FakeIntercom(FakeClock())
    transport = httpx.MockTransport(fake)

    def handle(self: object, request: httpx.Request) -> httpx.Response:
        return transport.handle_request(request)

    async def handle_async(self: object, request: httpx.Request) -> httpx.Response:
        return await transport.handle_async_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async)
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "readme-token")
    root = logging.getLogger()
    handlers = {handler: list(handler.filters) for handler in root.handlers}
    level = root.level
    yield fake
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, filters in handlers.items():
        handler.filters[:] = filters
    root.setLevel(level)


def test_the_section_has_examples() -> None:
    assert len(BLOCKS) >= 6
    assert "create_phone_switches" in section()


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_runs(
    index: int,
    intercom: FakeIntercom,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    code = compile(BLOCKS[index], f"README.md python block {index + 1}", "exec")
    exec(code, {"__name__": f"readme_{index + 1}"})
    out = capsys.readouterr().out
    block = BLOCKS[index]
    if "LandlinePhoneNumber as error" in block:
        assert out.startswith("no SMS: The number is a landline")
        assert intercom.statuses == [422]
    elif "phone_switch_batch" in block and "wait_for" in block:
        assert out.splitlines() == ["3 accepted", "0 left"]
        assert sorted(intercom.phones) == ["+353832345678", "+447911123456", "+61412345678"]
    elif "phone_switch_batch" in block:
        assert out.splitlines() == ["['PhoneSwitch', 'PhoneSwitch']"]
        assert sorted(intercom.phones) == ["+353832345678", "+447911123456"]
    elif "AiohttpClient" in block:
        assert out == "200 sent over aiohttp\n"
    elif "create_phone_switches" in block:
        lines = out.splitlines()
        assert [line.split()[0] for line in lines] == ["sent", "sent", "not", "not"]
        assert "LandlinePhoneNumber" in lines[2]
        assert "InvalidPhoneNumber" in lines[3]
        assert sorted(intercom.phones) == ["+353832345678", "+40241100100", "+447911123456"]
    elif "InvalidCustomAttributes as error" in block:
        assert out.splitlines()[0].startswith(
            "seats 2.13 ('string', 'custom object instance list')"
        )
        assert out.splitlines()[1] == f"{LATEST} {HEADER_VALUE_COUNT} 1.4"
        assert [r.headers["Intercom-Version"] for r in intercom.requests] == ["2.13", "1.4"]
        assert {str(r.url.host) for r in intercom.requests} == {"api.eu.intercom.io"}
    elif "event_hooks" in block:
        assert out == "sending POST https://api.au.intercom.io/phone_call_redirects\n"
    elif "RedactingFilter" in block:
        (record,) = [r for r in caplog.records if r.name == "example"]
        assert record.getMessage() == "headers: Authorization: [redacted]"
    elif "MockTransport" in block:
        assert intercom.requests == [], "the example's own transport answered"
    else:
        assert out.startswith(f"http://via.intercom.io/msgr/1 {LATEST} 1665 1")
        assert intercom.bodies == [
            {
                "phone": "+353832345678",
                "custom_attributes": {"issue_type": "Billing", "since": "2023-03-04"},
            }
        ]
