"""The served fake under the worst inputs: no 5xx, peak memory under the documented bound,
and still answering afterwards.

``intercom-phone-switch serve`` runs in its own process (httptools, the default parser)
so that its peak resident set size (VmHWM) measures the fake alone.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from .test_serve_command import serving

#: The user guide's page on the fake, which states the bound.
GUIDE = Path(__file__).parents[2] / "docs" / "fake.md"
TOKEN = "memory-token"
PATH = "/phone_call_redirects"
#: Just under the default max_body_bytes (64 KiB).
BODY = 60 * 1024

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not Path("/proc/self/status").exists(), reason="peak memory is read from /proc"
    ),
]


def documented_bound_mib() -> int:
    """The peak-memory bound the user guide promises for the served fake."""
    found = re.search(r"peak resident memory stays under (\d+) MiB", GUIDE.read_text())
    assert found, "docs/fake.md documents the served fake's peak-memory bound"
    return int(found.group(1))


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture
def served() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with serving("--token", TOKEN) as found:
        yield found


def names_body(phone: str, start: int) -> bytes:
    """About BODY bytes of custom attributes, each under a name never sent before."""
    count = BODY // len(b'"attribute_name_000000000": 0, ')
    attributes = {f"attribute_name_{start + index:09d}": 0 for index in range(count)}
    return json.dumps({"phone": phone, "custom_attributes": attributes}).encode()


#: About BODY bytes in many small values: the most Python objects per byte.
VALUES = json.dumps({f"k{index}": index for index in range(BODY // 15)}).encode()


def value_body(phone: str) -> bytes:
    return b'{"phone": "%s", "custom_attributes": %s}' % (phone.encode(), VALUES)


#: About BODY bytes in long strings: quick to validate, so many can be sent.
STRINGS = json.dumps({f"s{index}": "x" * 1000 for index in range(BODY // 1010)}).encode()


def strings_body(phone: str) -> bytes:
    return b'{"phone": "%s", "custom_attributes": %s}' % (phone.encode(), STRINGS)


def huge_head(url: str, size: int) -> int | None:
    """Send a request whose header is ``size`` bytes; the status, or None if the
    server closed the connection before answering."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nX-Big: ".encode()
        try:
            sock.sendall(head)
            chunk = b"a" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                sock.sendall(chunk)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # the server refused the head and closed: what it should do
        try:
            answer = sock.recv(4096)
        except OSError:
            return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return int(match.group(1)) if match else None


def test_the_served_fake_stays_under_its_memory_bound(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    url, process = served
    bound_kib = documented_bound_mib() * 1024
    statuses: list[int] = []
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:

        def post(path: str, content: bytes) -> None:
            statuses.append(client.post(path, content=content).status_code)

        # One phone accumulating attribute names.
        for round_ in range(60):
            post(PATH, names_body("+353832345678", round_ * 10_000))
        # Large bodies to distinct phones, past the outbox's and the contacts' byte caps.
        for index in range(600):
            post(PATH, strings_body(f"+3538310{index:05d}"))
        for index in range(10):
            post(PATH, value_body(f"+3538320{index:05d}"))
        # Bodies that break the schema in thousands of places, or nest deeply.
        many_errors = {f"a{index}": [] for index in range(BODY // 10)}
        for _ in range(3):
            post(PATH, json.dumps({"phone": "+353832345678", "custom_attributes": many_errors}))
            post(PATH, b"[" * (BODY // 2) + b"]" * (BODY // 2))
            post(PATH, b'{"phone": "+353832345678", "custom_attributes": {"a": "\\ud800"}}')
        # Admin bodies and fault scripts of any size.
        big_admin = json.dumps({"tokens": ["t" * 1000] * 32_000}).encode()
        for _ in range(2):
            post("/__fake__/settings", big_admin)
            post("/__fake__/faults", json.dumps({"script": [None] * 200_000}).encode())
        post("/__fake__/faults", json.dumps({"script": ["latency"] * 10_000}).encode())
        client.delete("/__fake__/faults")
        # Reading the state back out.
        for path in ("/__fake__/outbox", "/__fake__/contacts", "/__fake__/faults"):
            answer = client.get(path)
            statuses.append(answer.status_code)
    # Huge request heads (the parser would buffer them whole).
    heads = [huge_head(url, size * 1024 * 1024) for size in (256, 32, 32)]
    assert all(status is None or status < 500 for status in heads), heads

    assert statuses
    assert max(statuses) < 500, sorted(set(statuses))
    peak = peak_kib(process.pid)
    assert peak < bound_kib, f"peak RSS {peak} KiB, bound {bound_kib} KiB"
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        assert client.get("/__fake__/health").status_code == 200
        assert client.post(PATH, json={"phone": "+447911123456"}).status_code == 200
    assert process.poll() is None


#: The routes a slow client may hold open, each read by SLOW_READERS clients at once.
SLOW_READERS = 12


def slow_reader(url: str, path: str) -> socket.socket:
    """A client that sends ``GET path`` and then reads nothing, with the smallest receive
    buffer the system allows: the server must hold what it has not sent yet."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.settimeout(10)
    sock.connect((parts.hostname, parts.port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    return sock


def test_slow_readers_of_every_route_stay_under_the_bound(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    """A full outbox and full contacts (about 12 MiB of attributes each), then a dozen
    clients on every route that read nothing: no reader gets a decoded copy of the state,
    and none holds more than a chunk of its answer in the fake."""
    url, process = served
    bound_kib = documented_bound_mib() * 1024
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for index in range(200):
            assert client.post(PATH, content=strings_body(f"+3538310{index:05d}")).is_success
        newest = client.get("/__fake__/outbox", params={"limit": "1"}).json()["messages"][0]
        link = "/msgr/" + newest["url"].rsplit("/", 1)[1]
        routes = [
            "/",
            "/__fake__/page/app.js",
            "/__fake__/state",
            "/__fake__/state?phone=%2B353",
            "/__fake__/events",
            "/__fake__/outbox",
            "/__fake__/contacts",
            f"/__fake__/contacts/{newest['phone']}",
            "/__fake__/faults",
            "/__fake__/rate-limits",
            "/__fake__/settings",
            "/__fake__/health",
            link,
        ]
        readers = [slow_reader(url, path) for path in routes for _ in range(SLOW_READERS)]
        try:
            # Changes: every event stream makes a new snapshot.
            for index in range(20):
                client.post(PATH, content=strings_body(f"+3538311{index:05d}"))
            deadline = time.monotonic() + 20
            previous = -1
            while time.monotonic() < deadline:  # until the fake has written all it can
                time.sleep(0.5)
                peak = peak_kib(process.pid)
                if peak == previous:
                    break
                previous = peak
            peak = peak_kib(process.pid)
            assert peak < bound_kib, f"peak RSS {peak} KiB, bound {bound_kib} KiB"
        finally:
            for reader in readers:
                reader.close()
        assert client.get("/__fake__/health").status_code == 200
        assert client.post(PATH, json={"phone": "+447911123456"}).status_code == 200
    assert process.poll() is None
