"""Settings checked when given, one outbox filter rule, and a log line for requests the
HTTP parser refuses."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest

from intercom_phone_switch.fake import FakeIntercom

from .test_serve_command import SCRIPT, first_line, stop

MOBILE = "+353832345678"
OTHER = "+447911123456"
PATH = "/phone_call_redirects"
SECRET = "sk-secret-token-0123456789"


@pytest.mark.parametrize(
    "url",
    [
        "http://fake.example/\ud800",  # a lone surrogate: no answer could carry it
        "http://fake.example/a b",
        "http://fake.example/\n",
        "http://",
        "ftp://fake.example",
        "http://" + "a" * 3000,
    ],
)
def test_a_messenger_url_no_answer_can_carry_is_refused_when_set(url: str) -> None:
    with pytest.raises(ValueError, match="messenger_url"):
        FakeIntercom(messenger_url=url)
    fake = FakeIntercom()
    with pytest.raises(ValueError, match="messenger_url"):
        fake.messenger_url = url
    assert fake.messenger_url is None


def test_with_every_setting_accepted_no_route_answers_5xx() -> None:
    fake = FakeIntercom(messenger_url="http://fake.example/ünïcode")
    with httpx.Client(transport=fake.transport(), base_url="http://fake.invalid") as http:
        sent = http.post(
            PATH, json={"phone": MOBILE}, headers={"Authorization": f"Bearer {fake.token}"}
        )
        assert sent.status_code == 200
        assert sent.json()["url"].startswith("http://fake.example/ünïcode/msgr/")
        for path in ("/__fake__/state", "/__fake__/outbox", "/__fake__/events?x", "/"):
            if path.startswith("/__fake__/events"):
                continue  # a stream: read in test_page
            assert http.get(path).status_code == 200, path


@pytest.mark.parametrize("token", ["", "two words", "tab\there", "tøken", "\ud800", "x" * 5000])
def test_a_token_no_client_can_send_is_refused(token: str, raw: httpx.Client) -> None:
    with pytest.raises(ValueError, match="token"):
        FakeIntercom(tokens=[token])
    body = json.dumps({"tokens": ["good-token", token]})  # \ud800 escaped, as JSON may
    answer = raw.post(
        "/__fake__/settings", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert "good-token" not in raw.get("/__fake__/settings").text


def test_tokens_are_a_collection() -> None:
    with pytest.raises(TypeError):
        FakeIntercom(tokens="one-token")


# -- one filter rule ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "phones"),
    [
        (b"", [MOBILE, OTHER, MOBILE]),
        (b"phone=%2B353832345678", [MOBILE, MOBILE]),  # encoded +
        (b"phone=+353832345678", [MOBILE, MOBILE]),  # typed +: a space once decoded
        (b"phone=+3538", [MOBILE, MOBILE]),  # a prefix
        (b"phone=%2B44%207911", [OTHER]),  # as people write it, with a space
        (b"phone=7911", [OTHER]),  # a part
        (b"phone=none", []),
    ],
)
def test_the_admin_outbox_filters_as_the_page_does(
    fake: FakeIntercom, raw: httpx.Client, query: bytes, phones: list[str]
) -> None:
    for phone in (MOBILE, OTHER, MOBILE):
        assert raw.post(PATH, json={"phone": phone}).status_code == 200
    url = httpx.URL("/__fake__/outbox", query=query)
    outbox = raw.get(url).json()
    assert [m["phone"] for m in outbox["messages"]] == phones
    assert outbox["total"] == len(phones)  # total honours the filter
    page = raw.get(httpx.URL("/__fake__/state", query=query)).json()["outbox"]
    assert sorted(m["phone"] for m in page["messages"]) == sorted(phones)
    assert page["matching"] == len(phones)
    assert fake.outbox.matching(httpx.URL(url).params.get("phone")) == [
        sms for sms in fake.outbox.messages() if sms.phone in phones
    ]


def test_the_admin_outbox_lists_the_newest_on_request(raw: httpx.Client) -> None:
    for phone in (MOBILE, OTHER, MOBILE):
        raw.post(PATH, json={"phone": phone})
    outbox = raw.get("/__fake__/outbox", params={"limit": "1"}).json()
    assert outbox["total"] == 3
    assert [m["phone"] for m in outbox["messages"]] == [MOBILE]
    assert raw.get("/__fake__/outbox", params={"limit": "0"}).json()["messages"] == []
    for bad in ("-1", "x", "1e3", "\uff11"):  # the last a full-width digit one
        assert raw.get("/__fake__/outbox", params={"limit": bad}).status_code == 400


# -- what was wrong with a request the parser refused -----------------------------------------
def _raw_request(url: str, data: bytes) -> bytes:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        return sock.recv(4096)


def _stderr_until(process: subprocess.Popen[str], wanted: str, timeout: float = 15.0) -> str:
    """What the server wrote to stderr once a line holds ``wanted`` (bounded in time)."""
    assert process.stderr is not None
    descriptor = process.stderr.fileno()  # read below Python's buffer, which select cannot see
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([descriptor], [], [], 0.2)[0]:
            chunk = os.read(descriptor, 65536)
            if not chunk:
                break
            seen += chunk
            if wanted.encode() in seen and seen.endswith(b"\n"):
                return seen.decode(errors="replace")
    raise AssertionError(f"no {wanted!r} in {seen!r}")


@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_an_invalid_request_is_logged_with_what_was_wrong(http: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "serve", "--port", "0", "--http", http],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = first_line(process)
        request = (
            b"POST /phone_call_redirects?access_token=" + SECRET.encode() + b" HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nAuthorization: Bearer " + SECRET.encode() + b"\r\n"
            b"Bad Header: " + SECRET.encode() + b"\r\n\r\n"
        )
        assert _raw_request(url, request).startswith(b"HTTP/1.1 400")
        logged = _stderr_until(process, "invalid HTTP request from 127.0.0.1:")
    finally:
        stop(process)
    line = next(line for line in logged.splitlines() if "invalid HTTP request from" in line)
    assert "answered 400" in line
    assert line.split(": ", 2)[-1].strip()  # a reason
    assert SECRET not in logged  # neither the header's value nor the query string
