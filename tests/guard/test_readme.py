"""The README's guard section: its example runs, unchanged, and prints what it shows."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("<!-- guard:start -->") : text.index("<!-- guard:end -->")]


def test_the_webhook_example_sends_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (block,) = re.findall(r"```python\n(.*?)```", section(), flags=re.DOTALL)
    shown = re.search(r"guard.close\(\)\n```\n\n```\n(.*?)```", section(), flags=re.DOTALL)
    assert shown is not None
    fake = FakeIntercom()
    transport = fake.transport()

    def handle(self: object, request: httpx.Request) -> httpx.Response:
        return transport.handle_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", DEFAULT_TOKEN)
    monkeypatch.delenv("INTERCOM_PHONE_SWITCH_GUARD", raising=False)
    exec(compile(block, "README.md guard example", "exec"), {"__name__": "readme_guard"})
    assert capsys.readouterr().out == shown.group(1)
    assert fake.outbox.total == 1
    # The example's guard was its own: a second run starts afresh.
    exec(compile(block, "README.md guard example", "exec"), {"__name__": "readme_guard"})
    assert capsys.readouterr().out == shown.group(1)
    assert fake.outbox.total == 2
