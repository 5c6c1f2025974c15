"""Web pages elsewhere cannot drive the fake: cross-origin admin writes, bodies that are
not JSON, and Hosts the server was not bound for are refused (and logged), while the
fake's own page, programs and in-process clients keep working."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import httpx
import pytest

from intercom_phone_switch.fake import FakeIntercom
from intercom_phone_switch.fake._server import FakeServer

MOBILE = "+353832345678"


@pytest.fixture
def served(fake: FakeIntercom) -> Iterator[FakeServer]:
    with fake.serve() as server:
        yield server


def _origin(url: str) -> str:
    return url.rstrip("/")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/__fake__/settings", b'{"tokens": ["attacker-token"]}'),
        ("POST", "/__fake__/faults", b'{"script": ["drop_after_sms"]}'),
        ("POST", "/__fake__/reset", b""),
        ("DELETE", "/__fake__/outbox", b""),
        ("DELETE", "/__fake__/faults", b""),
    ],
)
def test_a_cross_origin_write_changes_nothing(
    fake: FakeIntercom,
    served: FakeServer,
    method: str,
    path: str,
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = served.url
    fake.faults.script("latency")
    with httpx.Client(base_url=url, timeout=10) as http:
        assert (
            http.post(
                "/phone_call_redirects",
                json={"phone": MOBILE},
                headers={"Authorization": f"Bearer {fake.token}"},
            ).status_code
            == 200
        )
        before = (fake.tokens, fake.faults.pending, fake.outbox.total)
        # What a page on another site sends without a preflight: text/plain, its Origin.
        headers = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
        with caplog.at_level(logging.WARNING, "intercom_phone_switch.fake"):
            answer = http.request(method, path, content=body, headers=headers)
        assert answer.status_code == 403
        assert "origin" in answer.json()["error"]
        # A sandboxed page sends "Origin: null".
        answer = http.request(method, path, content=body, headers={"Origin": "null"})
        assert answer.status_code == 403
    assert (fake.tokens, fake.faults.pending, fake.outbox.total) == before
    assert any(
        path in record.getMessage() and "refused" in record.getMessage()
        for record in caplog.records
    )


def test_a_text_plain_body_without_origin_is_refused(fake: FakeIntercom, raw: httpx.Client) -> None:
    answer = raw.post(
        "/__fake__/settings",
        content=b'{"tokens": ["other-token"]}',
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status_code == 415
    assert "application/json" in answer.json()["error"]
    assert "other-token" not in fake.tokens


def test_the_page_and_programs_still_write(fake: FakeIntercom, served: FakeServer) -> None:
    url = served.url
    with httpx.Client(base_url=url, timeout=10) as http:
        # The page: same origin, JSON bodies, and a bodiless reset.
        same = {"Origin": _origin(url)}
        assert http.post("/__fake__/faults", json={"script": ["latency"]}, headers=same).is_success
        assert http.post("/__fake__/reset", headers=same).is_success
        assert http.delete("/__fake__/outbox", headers=same).is_success
        # A program: no Origin at all.
        assert http.post("/__fake__/settings", json={"rate_limit": 7}).is_success
    assert fake.rate_limiter.limit == 7


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example"])
def test_a_rebound_name_reads_nothing(
    fake: FakeIntercom, served: FakeServer, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    """DNS rebinding: a page's own name now points at 127.0.0.1; its requests carry that
    name in Host, and the fake answers none of them."""
    url = served.url
    with httpx.Client(base_url=url, timeout=10) as http:
        http.post(
            "/phone_call_redirects",
            json={"phone": MOBILE},
            headers={"Authorization": f"Bearer {fake.token}"},
        )
        with caplog.at_level(logging.WARNING, "intercom_phone_switch.fake"):
            for path in ("/", "/__fake__/outbox", "/__fake__/state", "/__fake__/contacts"):
                answer = http.get(path, headers={"Host": host})
                assert answer.status_code == 403, path
                assert MOBILE not in answer.text
            answer = http.post(
                "/phone_call_redirects",
                json={"phone": MOBILE},
                headers={"Host": host, "Authorization": f"Bearer {fake.token}"},
            )
            assert answer.status_code == 403
    assert fake.outbox.total == 1
    assert any(host in record.getMessage() for record in caplog.records)


def test_ip_addresses_localhost_and_allowed_names_are_served(fake: FakeIntercom) -> None:
    with fake.serve(allowed_hosts=["fake-intercom"]) as server:
        port = server.port
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for host in (
                f"127.0.0.1:{port}",
                f"localhost:{port}",
                "LOCALHOST",
                f"app.localhost:{port}",
                f"fake-intercom:{port}",
                f"[::1]:{port}",
            ):
                assert http.get("/__fake__/health", headers={"Host": host}).status_code == 200, host


def test_a_name_the_server_was_bound_to_is_served() -> None:
    from intercom_phone_switch.fake._guard import HostCheck, bound_names

    assert bound_names("fake.internal") == {"fake.internal"}
    assert bound_names("127.0.0.1") == frozenset()
    assert socket.gethostname().lower() in bound_names("0.0.0.0")
    check = HostCheck(FakeIntercom(), ["Fake.Internal."])
    assert check.accepts(b"fake.internal:8000")
    assert check.accepts(b"10.1.2.3")
    assert not check.accepts(b"fake.internal.evil.example")
    assert not check.accepts(b"")


def test_in_process_clients_are_not_host_checked(raw: httpx.Client) -> None:
    """The in-process transports (base URL fake-intercom.invalid) serve as before: only
    a served fake checks Host."""
    assert raw.get("/__fake__/health").status_code == 200
