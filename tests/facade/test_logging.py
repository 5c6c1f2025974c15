"""Logging: what each record says, and that the token never shows, even at DEBUG."""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections.abc import Callable

import httpx
import pytest
from phone_fakes import LANDLINE, MOBILE, START, TOKEN, FakeIntercom

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    PhoneSwitchClient,
    PhoneSwitchError,
    RedactingFilter,
)

Make = Callable[..., PhoneSwitchClient]


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "intercom_phone_switch"]


def test_one_debug_record_per_request(make_client: Make, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="intercom_phone_switch")
    with make_client(version="2.12") as client:
        client.create_phone_switch(MOBILE)
    (record,) = ours(caplog)
    assert record.levelno == logging.DEBUG
    assert (record.method, record.path, record.status) == ("POST", "/phone_call_redirects", 200)  # type: ignore[attr-defined]
    assert (record.version, record.request_id, record.attempt) == ("2.12", "req-1", 1)  # type: ignore[attr-defined]
    assert isinstance(record.duration_ms, float)  # type: ignore[attr-defined]
    message = record.getMessage()
    assert message.startswith(
        "POST /phone_call_redirects -> 200 PhoneSwitch (Intercom-Version 2.12"
    )
    assert "request_id req-1" in message


def test_failures_retries_and_unknown_delivery_are_logged(
    make_client: Make, intercom: FakeIntercom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="intercom_phone_switch")
    intercom.script.extend(
        [
            httpx.ConnectError("refused"),
            httpx.Response(
                429,
                json={"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]},
                headers={"X-RateLimit-Reset": str(int(START) + 5)},
            ),
        ]
    )
    with make_client() as client:
        client.create_phone_switch(MOBILE)
        intercom.script.append(httpx.ReadTimeout("timed out"))
        with pytest.raises(PhoneSwitchError):
            client.create_phone_switch(LANDLINE)
    levels = [(r.levelname, getattr(r, "status", None)) for r in ours(caplog)]
    assert levels == [
        ("DEBUG", None),  # connection refused: no answer
        ("INFO", None),  # trying again
        ("DEBUG", 429),
        ("INFO", None),
        ("DEBUG", 200),
        ("DEBUG", None),  # read timeout
        ("WARNING", None),  # delivery unknown
    ]
    retry = ours(caplog)[3]
    assert (
        retry.getMessage()
        == "POST /phone_call_redirects: RateLimited on attempt 2; trying again in 4.50 s"
    )
    assert "delivery unknown" in ours(caplog)[-1].getMessage()


def test_redacting_filter_masks_tokens() -> None:
    record = logging.LogRecord(
        "other",
        logging.DEBUG,
        __file__,
        1,
        "headers %s and %s",
        ({"Authorization": f"Bearer {TOKEN}"}, f"authorization: {TOKEN}"),
        None,
    )
    assert RedactingFilter().filter(record)
    assert TOKEN not in record.getMessage()
    assert "[redacted]" in record.getMessage()
    once = record.getMessage()
    RedactingFilter().filter(record)  # a second handler's filter changes nothing more
    assert record.getMessage() == once
    plain = logging.LogRecord("other", logging.INFO, __file__, 1, "bearer abc.def sent", None, None)
    RedactingFilter().filter(plain)
    assert plain.getMessage() == "bearer [redacted] sent"
    untouched = logging.LogRecord("other", logging.INFO, __file__, 1, "nothing %d", (5,), None)
    RedactingFilter().filter(untouched)
    assert untouched.getMessage() == "nothing 5"


def test_the_token_appears_in_no_repr_str_or_log_record(
    intercom: FakeIntercom, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything a caller can print or log, at DEBUG, across success and every failure."""
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, asyncio
    shown: list[str] = []

    def show(*objects: object) -> None:
        for item in objects:
            shown.extend([repr(item), str(item)])
            if hasattr(item, "__dict__"):
                shown.append(repr(vars(item)))

    intercom.script.extend(
        [
            httpx.ConnectError("refused"),
            intercom.answer,
            httpx.Response(401, json={"type": "error.list", "errors": [{"code": "unauthorized"}]}),
            httpx.ReadTimeout("timed out"),
            httpx.Response(500, text="oops"),
            httpx.Response(200, text="not json"),
        ]
    )
    http = httpx.Client(transport=httpx.MockTransport(intercom))
    with PhoneSwitchClient(TOKEN, http_client=http, max_retries=1) as client:
        show(client, client._sender, client._token, client._policy)
        show(client.create_phone_switch(MOBILE))
        for _ in range(4):
            with pytest.raises(PhoneSwitchError) as caught:
                client.create_phone_switch(MOBILE)
            show(caught.value, caught.value.__cause__)
            logging.getLogger("app").exception("call failed")
    with pytest.raises(TypeError):
        pickle.dumps(client._token)

    async def run() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(intercom))
        async with AsyncPhoneSwitchClient(TOKEN, http_client=http) as async_client:
            show(async_client, await async_client.create_phone_switch(MOBILE))
            show(await async_client.create_phone_switches([MOBILE, LANDLINE, "bad"]))

    asyncio.run(run())
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    formatted = [handler.format(record) for record in caplog.records]
    records = [repr(vars(record)) for record in caplog.records]
    assert len(caplog.records) > 10
    assert any("intercom_phone_switch" in line for line in formatted)
    for text in shown + formatted + records:
        assert TOKEN not in text
