"""The token is never shown: a server that echoes it everywhere it can, and a search for it
in everything an error, its chain, its traceback's frames and the log records hold."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
import types
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from phone_fakes import MOBILE, TOKEN

from intercom_phone_switch import AsyncPhoneSwitchClient, PhoneSwitchClient, PhoneSwitchError
from intercom_phone_switch._secret import Token
from intercom_phone_switch.fake._server import FakeServer
from tests.versions import LATEST, NEXT

ESCAPED = "".join(f"\\u{ord(c):04x}" for c in TOKEN)  # JSON that spells the token out


def echo(scenario: str, authorization: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a server echoing the caller's Authorization header answers."""
    said = f"bad Authorization header {authorization!s}"
    as_json = [("Content-Type", "application/json")]
    if scenario == "401":
        body = {"type": "error.list", "errors": [{"code": "unauthorized", "message": said}]}
        return 401, as_json, json.dumps(body).encode()
    if scenario == "400-escaped":
        text = '{"error_key": "sms_failed", "message": "token ' + ESCAPED + '"}'
        return 400, as_json, text.encode()
    if scenario == "422-header":
        return 422, [*as_json, ("WWW-Authenticate", said)], b'{"error_key": "oops"}'
    if scenario == "429":
        body = {"type": "error.list", "errors": [{"code": "rate_limit_exceeded", "message": said}]}
        return 429, [*as_json, ("X-RateLimit-Reset", "9" * 40)], json.dumps(body).encode()
    if scenario == "500":
        return 500, [("Content-Type", "text/plain")], said.encode()
    if scenario == "200-html":
        return 200, [("Content-Type", "text/html")], f"<p>{said}</p>".encode()
    if scenario == "200-shape":
        return 200, as_json, json.dumps({"type": said, "url": 5}).encode()
    if scenario == "302":
        return 302, [("Location", f"/elsewhere?auth={quote(authorization, safe='')}")], b""
    if scenario == "200-gzip":
        return 200, [("Content-Encoding", "gzip")], said.encode()
    raise AssertionError(scenario)


SERVER_SCENARIOS = [
    "401",
    "400-escaped",
    "422-header",
    "429",
    "500",
    "200-html",
    "200-shape",
    "302",
    "200-gzip",
]


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app answering each request as its X-Scenario header says."""
    assert scope["type"] == "http"
    while (await receive()).get("more_body"):
        pass
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    status, answer_headers, body = echo(headers["x-scenario"], headers.get("authorization", ""))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode(), v.encode()) for k, v in answer_headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def mock_handler(request: httpx.Request) -> httpx.Response:
    scenario = request.headers["x-scenario"]
    said = f"echo {request.headers['authorization']}"
    if scenario == "raise-read":
        raise httpx.ReadError(said)
    if scenario == "raise-connect":
        raise httpx.ConnectError(said)
    if scenario == "raise-other":
        raise RuntimeError(said)
    if scenario == "reason":
        return httpx.Response(418, extensions={"reason_phrase": said.encode()})
    status, headers, body = echo(scenario, request.headers["authorization"])
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


MOCK_SCENARIOS = [*SERVER_SCENARIOS, "raise-read", "raise-connect", "raise-other", "reason"]

_OPAQUE = (
    type(None),
    bool,
    int,
    float,
    complex,
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    logging.Logger,
    Token,  # a wrapper whose repr hides the token is allowed
)


def holders(root: object, limit: int = 200_000) -> Iterator[str]:
    """Paths from ``root`` to every str, bytes or headers object holding the token: through
    attributes, containers, exception chains and traceback frame locals."""
    secret = TOKEN.encode()
    seen: set[int] = set()
    stack: list[tuple[object, str]] = [(root, "error")]
    while stack and len(seen) < limit:
        item, path = stack.pop()
        if id(item) in seen or isinstance(item, _OPAQUE):
            continue
        seen.add(id(item))
        if isinstance(item, str):
            if TOKEN in item:
                yield path
            continue
        if isinstance(item, (bytes, bytearray, memoryview)):
            if secret in bytes(item):
                yield path
            continue
        if isinstance(item, httpx.Headers):
            if any(secret in value for _, value in item.raw):
                yield f"{path} (headers)"
            continue
        if isinstance(item, types.TracebackType):
            stack.append((item.tb_frame, f"{path}.tb_frame"))
            stack.append((item.tb_next, f"{path}.tb_next"))
            continue
        if isinstance(item, types.FrameType):
            name = item.f_code.co_name
            stack.extend((v, f"{path}<{name}>.{k}") for k, v in item.f_locals.items())
            continue
        if isinstance(item, BaseException):
            stack.append((item.__cause__, f"{path}.__cause__"))
            stack.append((item.__context__, f"{path}.__context__"))
            stack.append((item.__traceback__, f"{path}.__traceback__"))
            stack.append((item.args, f"{path}.args"))
        if isinstance(item, dict):
            stack.extend((k, f"{path}[key]") for k in item)
            stack.extend((v, f"{path}[{k!r}]") for k, v in item.items())
            continue
        if isinstance(item, (list, tuple, set, frozenset)):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
            continue
        attributes: dict[str, object] = dict(getattr(item, "__dict__", {}) or {})
        for klass in type(item).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if isinstance(slot, str) and hasattr(item, slot):
                    attributes[slot] = getattr(item, slot)
        stack.extend((v, f"{path}.{k}") for k, v in attributes.items())


def texts(error: PhoneSwitchError) -> Iterator[str]:
    """Every text a caller or a tool may make of an error."""
    chain: BaseException | None = error
    while chain is not None:
        yield str(chain)
        yield repr(chain)
        yield repr(vars(chain)) if hasattr(chain, "__dict__") else ""
        chain = chain.__cause__ or chain.__context__
    rendered = traceback.TracebackException(
        type(error), error, error.__traceback__, capture_locals=True
    )
    yield "".join(rendered.format())
    yield "".join(traceback.format_exception(error))


def failure_of(client: PhoneSwitchClient, scenario: str) -> PhoneSwitchError:
    try:
        client.create_phone_switch(MOBILE, extra_headers={"X-Scenario": scenario})
    except PhoneSwitchError as error:
        return error
    raise AssertionError(f"{scenario} gave no error")


async def async_failure_of(client: AsyncPhoneSwitchClient, scenario: str) -> PhoneSwitchError:
    try:
        await client.create_phone_switch(MOBILE, extra_headers={"X-Scenario": scenario})
    except PhoneSwitchError as error:
        return error
    raise AssertionError(f"{scenario} gave no error")


def check(errors: list[PhoneSwitchError], caplog: pytest.LogCaptureFixture) -> None:
    assert errors
    for error in errors:
        for text in texts(error):
            assert TOKEN not in text, f"{type(error).__name__} shows the token: {text[:300]}"
        found = list(holders(error))
        assert found == [], f"{type(error).__name__} holds the token at {found[:5]}"
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s %(exc_info)s")
    assert caplog.records
    for record in caplog.records:
        assert TOKEN not in record.getMessage(), record.name
        assert TOKEN not in formatter.format(record)
        assert TOKEN not in repr(vars(record))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore
    return caplog


def test_an_echoing_server_never_gets_the_token_shown(logs: pytest.LogCaptureFixture) -> None:
    """Over real HTTP: uvicorn serving an app that echoes the Authorization header."""
    errors: list[PhoneSwitchError] = []
    with FakeServer(echo_app) as server:  # type: ignore[arg-type]
        with PhoneSwitchClient(TOKEN, base_url=server.url, max_retries=2) as client:
            errors += [failure_of(client, scenario) for scenario in SERVER_SCENARIOS]

        async def run() -> None:
            async with AsyncPhoneSwitchClient(TOKEN, base_url=server.url) as client:
                for scenario in SERVER_SCENARIOS:
                    errors.append(await async_failure_of(client, scenario))

        asyncio.run(run())
    assert {type(error).__name__ for error in errors} >= {
        "AuthenticationError",
        "SmsNotSent",
        "RateLimited",
        "ServerError",
        "UnexpectedResponse",
    }
    check(errors, logs)
    bodies = [error.body for error in errors if error.body]
    assert any("[redacted]" in body for body in bodies)


@pytest.mark.parametrize("scenario", MOCK_SCENARIOS)
def test_an_echoing_transport_never_gets_the_token_shown(
    scenario: str, logs: pytest.LogCaptureFixture
) -> None:
    errors: list[PhoneSwitchError] = []
    http = httpx.Client(transport=httpx.MockTransport(mock_handler))
    with PhoneSwitchClient(TOKEN, http_client=http, max_retries=1) as client:
        errors.append(failure_of(client, scenario))
        logging.getLogger("app").exception("call failed", exc_info=errors[-1])

    async def handler(request: httpx.Request) -> httpx.Response:
        return mock_handler(request)

    async def run() -> None:
        async_http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncPhoneSwitchClient(TOKEN, http_client=async_http) as client:
            errors.append(await async_failure_of(client, scenario))
        await async_http.aclose()

    asyncio.run(run())
    http.close()
    check(errors, logs)


def test_the_search_finds_what_the_old_client_leaked() -> None:
    """The checks above can fail: a request kept on an error holds the token."""
    request = httpx.Request("POST", "http://x", headers={"Authorization": f"Bearer {TOKEN}"})
    leaky = PhoneSwitchError("x")
    leaky.__cause__ = httpx.ReadError("timed out", request=request)
    assert list(holders(leaky)) == ["error.__cause__._request.headers (headers)"]

    def frame_holding(headers: dict[str, str]) -> PhoneSwitchError:
        try:
            raise PhoneSwitchError("y")
        except PhoneSwitchError as error:
            return error

    held = frame_holding({"Authorization": f"Bearer {TOKEN}"})
    assert list(holders(held))
    rendered = traceback.TracebackException(
        type(held), held, held.__traceback__, capture_locals=True
    )
    assert TOKEN in "".join(rendered.format())


def test_the_token_is_added_on_the_way_to_the_wire_only() -> None:
    """The request the generated code builds, and its headers dict, never hold it."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"type": "phone_call_redirect", "url": "http://u"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with PhoneSwitchClient(TOKEN, http_client=http) as client:
        client.create_phone_switch(MOBILE)
        kept: Callable[[], object] = lambda: client._route  # noqa: E731
        assert list(holders(kept())) == []
    assert sent[0].headers["authorization"] == f"Bearer {TOKEN}"
    http.close()


def test_the_generated_frames_never_see_the_token() -> None:
    """The generated sync_detailed frame's kwargs["headers"] once held it."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="not json")

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with PhoneSwitchClient(TOKEN, http_client=http) as client:
        error = failure_of(client, "any")
    http.close()
    frames: dict[str, dict[str, Any]] = {}
    cause = error.__cause__
    assert cause is not None
    for frame, _ in traceback.walk_tb(cause.__traceback__):
        frames[frame.f_code.co_name] = dict(frame.f_locals)
    assert "sync_detailed" in frames
    headers = frames["sync_detailed"]["kwargs"]["headers"]
    assert "Authorization" not in headers
    assert headers["Intercom-Version"] == LATEST
    assert list(holders(error)) == []


def test_no_frame_of_a_construction_error_holds_the_token() -> None:
    for options in ({"region": "mars"}, {"version": NEXT}, {"max_response_size": 0}):
        with pytest.raises(Exception) as caught:  # noqa: PT011 - each its own kind
            PhoneSwitchClient(TOKEN, **options)  # type: ignore[arg-type]
        ours = caught.value.__traceback__.tb_next  # type: ignore[union-attr]
        assert list(holders(ours)) == [], options
    with pytest.raises(PhoneSwitchError) as refused:
        PhoneSwitchClient(f"{TOKEN} with a space")
    error = refused.value
    ours = error.__traceback__.tb_next  # type: ignore[union-attr]
    rendered = traceback.TracebackException(type(error), error, ours, capture_locals=True)
    assert TOKEN not in "".join(rendered.format())
