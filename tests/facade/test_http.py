"""What goes on the wire and what comes back: one POST per attempt, a status line means
the request arrived, answers are read within a size and a time cap."""

from __future__ import annotations

import asyncio
import contextvars
import gzip
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from phone_fakes import MOBILE, TOKEN, FakeIntercom

from intercom_phone_switch import (
    AsyncPhoneSwitchClient,
    AuthenticationError,
    DeliveryUnknown,
    PhoneSwitchClient,
    PhoneSwitchError,
    RateLimited,
    ServerError,
    UnexpectedResponse,
)

Make = Callable[..., PhoneSwitchClient]
GOOD = b'{"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/1"}'


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body sent in ``chunks``, then ``failure`` raised (if any), each chunk
    ``pause`` seconds after the last."""

    def __init__(
        self, chunks: list[bytes], failure: Exception | None = None, pause: float = 0.0
    ) -> None:
        self.chunks = chunks
        self.failure = failure
        self.pause = pause

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            time.sleep(self.pause)
            yield chunk
        if self.failure is not None:
            raise self.failure

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await asyncio.sleep(self.pause)
            yield chunk
        if self.failure is not None:
            raise self.failure


def answer(status: int, body: Body, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, stream=body)


CUT_SHORT = httpx.RemoteProtocolError(
    "peer closed connection without sending complete message body"
)


def unreadable_answers(status: int) -> list[httpx.Response]:
    return [
        answer(status, Body([b"not gzip at all"]), **{"Content-Encoding": "gzip"}),
        answer(status, Body([GOOD[:20]], CUT_SHORT), **{"Content-Length": str(len(GOOD))}),
        answer(status, Body([GOOD[:20]], httpx.ReadTimeout("timed out"))),
        answer(status, Body([GOOD[:20]], httpx.ReadError("reset by peer"))),
    ]


UNREADABLE_IDS = ["bad-gzip", "cut-short", "read-timeout", "read-error"]


def send(make_client: Make, intercom: FakeIntercom, step: object, **options: object) -> object:
    intercom.script.append(step)  # type: ignore[arg-type]
    with make_client(**options) as client:
        try:
            return client.create_phone_switch(MOBILE)
        except PhoneSwitchError as error:
            return error


@pytest.mark.parametrize("index", range(4), ids=UNREADABLE_IDS)
@pytest.mark.parametrize("status", [200, 201, 204])
def test_a_2xx_whose_body_is_unreadable_is_accepted_and_never_retried(
    make_client: Make, intercom: FakeIntercom, status: int, index: int
) -> None:
    failure = unreadable_answers(status)[index]
    error = send(make_client, intercom, failure, max_retries=5, retry_possibly_delivered=True)
    assert type(error) is UnexpectedResponse, error
    assert error.status == status
    assert error.accepted is True
    assert error.sms_sent is True
    assert error.body is None  # the body could not be read
    assert "Intercom accepted the request" in error.message
    assert "do not send it again" in error.message
    assert len(intercom.requests) == 1, "a 2xx is never sent again"


@pytest.mark.parametrize("index", range(4), ids=UNREADABLE_IDS)
def test_a_2xx_whose_body_is_unreadable_is_accepted_async(
    make_async_client: Callable[..., AsyncPhoneSwitchClient], intercom: FakeIntercom, index: int
) -> None:
    intercom.script.append(unreadable_answers(200)[index])

    async def run() -> PhoneSwitchError:
        async with make_async_client(max_retries=5, retry_possibly_delivered=True) as client:
            with pytest.raises(PhoneSwitchError) as caught:
                await client.create_phone_switch(MOBILE)
        return caught.value

    error = asyncio.run(run())
    assert type(error) is UnexpectedResponse
    assert error.accepted is True
    assert len(intercom.requests) == 1


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthenticationError), (429, RateLimited), (503, ServerError), (400, UnexpectedResponse)],
)
def test_an_unreadable_body_is_judged_by_its_status(
    make_client: Make, intercom: FakeIntercom, status: int, cls: type[PhoneSwitchError]
) -> None:
    error = send(make_client, intercom, unreadable_answers(status)[0], max_retries=0)
    assert type(error) is cls
    assert isinstance(error, PhoneSwitchError)
    assert error.status == status
    assert error.accepted is False


def test_other_errors_say_whether_an_sms_went_out(
    make_client: Make, intercom: FakeIntercom
) -> None:
    refused = send(make_client, intercom, httpx.Response(422, json={"error_key": "x"}))
    unknown = send(make_client, intercom, httpx.ReadTimeout("timed out"))
    assert isinstance(refused, PhoneSwitchError)
    assert isinstance(unknown, DeliveryUnknown)
    assert (refused.accepted, refused.sms_sent) == (False, False)
    assert (unknown.accepted, unknown.sms_sent) == (False, None)


def redirecting(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/phone_call_redirects"):
            return httpx.Response(status, headers={"Location": "/moved/phone_call_redirects"})
        return httpx.Response(200, content=GOOD, headers={"Content-Type": "application/json"})

    return handler


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_never_followed_even_by_a_following_client(status: int) -> None:
    seen: list[httpx.Request] = []
    handler = redirecting(status)

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    http = httpx.Client(transport=httpx.MockTransport(record), follow_redirects=True)
    with (
        PhoneSwitchClient(TOKEN, http_client=http, max_retries=3) as client,
        pytest.raises(UnexpectedResponse) as caught,
    ):
        client.create_phone_switch(MOBILE)
    http.close()
    assert len(seen) == 1, "one attempt is one POST"
    assert caught.value.attempts == 1
    assert caught.value.status == status
    assert caught.value.sms_sent is False
    assert "redirect to /moved/phone_call_redirects" in caught.value.message
    assert caught.value.headers is not None
    assert caught.value.headers["location"] == "/moved/phone_call_redirects"


def test_redirects_are_never_followed_async() -> None:
    seen: list[httpx.Request] = []
    handler = redirecting(307)

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async def run() -> UnexpectedResponse:
        http = httpx.AsyncClient(transport=httpx.MockTransport(record), follow_redirects=True)
        async with AsyncPhoneSwitchClient(TOKEN, http_client=http) as client:
            with pytest.raises(UnexpectedResponse) as caught:
                await client.create_phone_switch(MOBILE)
        await http.aclose()
        return caught.value

    error = asyncio.run(run())
    assert (len(seen), error.attempts, error.status) == (1, 1, 307)


def test_an_answer_larger_than_the_cap_is_not_read(
    make_client: Make, intercom: FakeIntercom
) -> None:
    chunks = [b"x" * 65536] * 4  # 256 KiB, no Content-Length
    error = send(make_client, intercom, answer(200, Body(chunks)), max_response_size=100_000)
    assert type(error) is UnexpectedResponse
    assert error.accepted is True
    assert "larger than max_response_size (100000 bytes)" in error.message
    declared = answer(500, Body([b"x"]), **{"Content-Length": "10000000000"})
    error = send(make_client, intercom, declared, max_response_size=100_000, max_retries=0)
    assert type(error) is ServerError
    assert error.body is None  # not read: the status says enough


def test_the_default_size_cap_is_one_mebibyte(make_client: Make, intercom: FakeIntercom) -> None:
    fits = GOOD + b" " * (1024 * 1024 - len(GOOD))
    intercom.script.append(answer(200, Body([fits]), **{"Content-Type": "application/json"}))
    with make_client() as client:
        assert client.create_phone_switch(MOBILE).url.endswith("/msgr/1")
    error = send(make_client, intercom, answer(200, Body([fits, b" "])))
    assert isinstance(error, UnexpectedResponse)
    assert error.accepted is True


def test_a_body_dripped_slowly_stops_at_the_attempt_timeout(
    make_client: Make, intercom: FakeIntercom
) -> None:
    drip = answer(200, Body([b"{"] + [b" "] * 200, pause=0.01))
    began = time.monotonic()
    error = send(make_client, intercom, drip, attempt_timeout=0.2)
    assert time.monotonic() - began < 1.5
    assert type(error) is UnexpectedResponse
    assert error.accepted is True
    assert "attempt_timeout (0.2 s)" in error.message


def test_a_body_dripped_slowly_stops_at_the_attempt_timeout_async(
    make_async_client: Callable[..., AsyncPhoneSwitchClient], intercom: FakeIntercom
) -> None:
    intercom.script.append(answer(200, Body([b"{"] + [b" "] * 200, pause=0.01)))

    async def run() -> PhoneSwitchError:
        async with make_async_client(attempt_timeout=0.2) as client:
            with pytest.raises(PhoneSwitchError) as caught:
                await client.create_phone_switch(MOBILE)
        return caught.value

    began = time.monotonic()
    error = asyncio.run(run())
    assert time.monotonic() - began < 1.5
    assert type(error) is UnexpectedResponse
    assert error.accepted is True


def test_a_status_line_too_slow_is_a_delivery_unknown_async(intercom: FakeIntercom) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return intercom(request)

    async def run() -> PhoneSwitchError:
        http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
        async with AsyncPhoneSwitchClient(
            TOKEN, http_client=http, attempt_timeout=0.1, max_retries=3
        ) as client:
            with pytest.raises(PhoneSwitchError) as caught:
                await client.create_phone_switch(MOBILE)
        await http.aclose()
        return caught.value

    began = time.monotonic()
    error = asyncio.run(run())
    assert time.monotonic() - began < 2.0
    assert type(error) is DeliveryUnknown, "the request may have arrived: never retried"
    assert "attempt_timeout (0.1 s)" in error.message
    assert error.attempts == 1


def test_gzip_answers_are_read(make_client: Make, intercom: FakeIntercom) -> None:
    packed = gzip.compress(GOOD)
    intercom.script.append(
        answer(
            200, Body([packed]), **{"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )
    )
    with make_client() as client:
        assert client.create_phone_switch(MOBILE).url.endswith("/msgr/1")


@pytest.mark.parametrize(
    "options",
    [{"max_response_size": 0}, {"attempt_timeout": 0}, {"attempt_timeout": -1.0}],
)
def test_caps_must_be_positive(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        PhoneSwitchClient(TOKEN, **options)  # type: ignore[arg-type]


# --- The direct path: a plain httpx client's transport, its headers, mounts and jar ---


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=GOOD, headers={"Content-Type": "application/json"})


def _failing(request: httpx.Request) -> httpx.Response:
    raise AssertionError("the client's mount for the URL must be used")


def test_a_plain_client_sends_through_its_mount_with_its_headers_and_timeout() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _answer(request)

    http = httpx.Client(
        transport=httpx.MockTransport(_failing),
        mounts={"https://api.intercom.io": httpx.MockTransport(record)},
        headers={"X-Team": "ivr", "Accept": "text/plain"},
        timeout=7.0,
    )
    with PhoneSwitchClient(TOKEN, http_client=http, version="2.13") as client:
        client.create_phone_switch(MOBILE, {"issue_type": "Billing"})
        client.create_phone_switch(
            MOBILE, {"name": "Zoë 🙂"}, timeout=2.5, extra_headers={"x-team": "queue-4"}
        )
    http.close()
    first, second = seen
    assert first.url == "https://api.intercom.io/phone_call_redirects"
    assert first.headers["x-team"] == "ivr"
    assert first.headers["accept"] == "application/json"  # the client's own wins
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert first.headers["intercom-version"] == "2.13"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"].startswith("intercom-phone-switch/")
    body = b'{"phone":"%s","custom_attributes":{"issue_type":"Billing"}}' % MOBILE.encode()
    assert first.read() == body
    assert first.headers["content-length"] == str(len(body))
    assert first.headers["host"] == "api.intercom.io"
    assert first.headers.get_list("content-type") == ["application/json"]
    assert first.extensions["timeout"] == httpx.Timeout(7.0).as_dict()
    assert second.headers.get_list("x-team") == ["queue-4"]
    sent = {"phone": MOBILE, "custom_attributes": {"name": "Zoë 🙂"}}
    # Compact UTF-8, as given: no escapes.
    assert second.read() == json.dumps(sent, ensure_ascii=False, separators=(",", ":")).encode()
    assert second.extensions["timeout"] == httpx.Timeout(2.5).as_dict()


def test_hooks_cookies_and_params_of_a_client_still_apply() -> None:
    seen: list[httpx.Request] = []
    hooked: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = _answer(request)
        if len(seen) == 1:
            answer.headers["Set-Cookie"] = "lb=blue; Path=/"
        return answer

    plain = httpx.Client(transport=httpx.MockTransport(record))
    with PhoneSwitchClient(TOKEN, http_client=plain) as client:
        client.create_phone_switch(MOBILE)  # sent directly; its cookie still lands in the jar
        assert plain.cookies.get("lb") == "blue"
        client.create_phone_switch(MOBILE)  # the jar is no longer empty: through send()
    assert seen[1].headers["cookie"] == "lb=blue"
    plain.close()

    hooks = {
        "request": [lambda request: hooked.append("request")],
        "response": [lambda response: hooked.append(f"response {response.status_code}")],
    }
    with_hooks = httpx.Client(
        transport=httpx.MockTransport(record), event_hooks=hooks, params={"trace": "1"}
    )
    with PhoneSwitchClient(TOKEN, http_client=with_hooks) as client:
        client.create_phone_switch(MOBILE)
    with_hooks.close()
    assert hooked == ["request", "response 200"]
    assert seen[2].url.params["trace"] == "1"
    assert seen[2].headers["authorization"] == f"Bearer {TOKEN}"


def test_the_async_client_sends_through_its_mount_too() -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _answer(request)

    async def failing(request: httpx.Request) -> httpx.Response:
        raise AssertionError("the client's mount for the URL must be used")

    async def run() -> None:
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(failing),
            mounts={"https://api.intercom.io": httpx.MockTransport(record)},
            headers={"X-Team": "ivr"},
        )
        async with AsyncPhoneSwitchClient(TOKEN, http_client=http) as client:
            await client.create_phone_switch(MOBILE)
        await http.aclose()

    asyncio.run(run())
    assert [request.headers["x-team"] for request in seen] == ["ivr"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "headers",
    [{"X-Note": "\ud800"}, {"X-Note\ud800": "v"}, {"X-Note": "Zoë"}],
    ids=["surrogate-value", "surrogate-name", "non-ascii-value"],
)
@pytest.mark.parametrize("hooked", [False, True], ids=["direct", "through-send"])
def test_a_header_that_cannot_be_encoded_sends_nothing(
    headers: dict[str, str], hooked: bool
) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _answer(request)

    hooks = {"request": [lambda request: None]} if hooked else {}
    http = httpx.Client(transport=httpx.MockTransport(record), event_hooks=hooks)
    with (
        PhoneSwitchClient(TOKEN, http_client=http) as client,
        pytest.raises(ValueError, match="extra_headers"),
    ):
        client.create_phone_switch(MOBILE, extra_headers=headers)
    http.close()
    assert seen == []  # refused before anything was built


def _answering(status: int) -> Callable[[httpx.Request], httpx.Response]:
    body = GOOD if status == 200 else b'{"type": "error.list", "errors": []}'
    return lambda request: httpx.Response(status, content=body)


def _our_context_variables() -> list[str]:
    return [var.name for var in contextvars.copy_context() if var.name.startswith("intercom_phone")]


@pytest.mark.parametrize("status", [200, 500])
def test_a_call_leaves_nothing_in_its_context(status: int) -> None:
    transport = httpx.MockTransport(_answering(status))
    with PhoneSwitchClient(TOKEN, http_client=httpx.Client(transport=transport)) as client:
        try:
            client.create_phone_switch(MOBILE, max_retries=0)
        except ServerError:
            assert status == 500
        assert _our_context_variables() == []


@pytest.mark.parametrize("status", [200, 500])
def test_an_async_call_leaves_nothing_in_its_context(status: int) -> None:
    async def main() -> list[str]:
        transport = httpx.MockTransport(_answering(status))
        http = httpx.AsyncClient(transport=transport)
        async with AsyncPhoneSwitchClient(TOKEN, http_client=http) as client:
            try:
                await client.create_phone_switch(MOBILE, max_retries=0)
            except ServerError:
                assert status == 500
        await http.aclose()
        return _our_context_variables()

    assert asyncio.run(main()) == []
