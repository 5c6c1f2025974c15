"""``serve`` and ``demo --keep-serving`` with the outbox page, each in its own process."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO

import httpx
import pytest

from intercom_phone_switch.fake import FakeIntercom
from intercom_phone_switch_generated.registry import LATEST_VERSION

from .test_serve_command import MOBILE, PATH, SCRIPT, first_line, stop


def _lines_until(stream: IO[str] | None, marker: str, timeout: float = 60.0) -> list[str]:
    """Lines of ``stream`` up to the first holding ``marker``; bounded in time.

    Reads the pipe's descriptor directly: a text wrapper's buffer may already hold lines that
    ``select`` cannot see, which would make the wait time out with the marker in hand.
    """
    assert stream is not None
    descriptor = stream.fileno()
    deadline = time.monotonic() + timeout
    pending = b""
    lines: list[str] = []
    while True:
        while b"\n" in pending:
            raw, pending = pending.split(b"\n", 1)
            lines.append(raw.decode("utf-8", "replace"))
            if marker in lines[-1]:
                return lines
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([descriptor], [], [], left)[0]:
            raise AssertionError(f"no {marker!r} in {lines}")
        chunk = os.read(descriptor, 65536)
        if not chunk:
            raise AssertionError(f"the process ended before {marker!r}: {lines}")
        pending += chunk


@pytest.fixture
def serve() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []

    def start(*options: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, "serve", "--port", "0", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        stop(process)


def test_serve_prints_the_page_and_links_to_its_own_messenger_pages(
    serve: Callable[..., subprocess.Popen[str]],
) -> None:
    process = serve()
    url = first_line(process)
    assert f"outbox page {url}/" in _lines_until(process.stderr, "ready")[-1]
    page = httpx.get(url + "/")
    assert page.status_code == 200
    assert "Fake Intercom" in page.text
    answer = httpx.post(
        url + PATH,
        json={"phone": MOBILE, "custom_attributes": {"issue_type": "Billing"}},
        headers={"Authorization": "Bearer fake-intercom-token"},
    )
    link = answer.json()["url"]
    assert link.startswith(f"{url}/msgr/")
    messenger = httpx.get(link)
    assert messenger.status_code == 200
    assert MOBILE in messenger.text
    assert "<dt>issue_type</dt><dd>Billing</dd>" in messenger.text
    assert stop(process) == 0


def test_serve_can_keep_intercoms_links(serve: Callable[..., subprocess.Popen[str]]) -> None:
    process = serve("--messenger", "intercom")
    url = first_line(process)
    answer = httpx.post(
        url + PATH, json={"phone": MOBILE}, headers={"Authorization": "Bearer fake-intercom-token"}
    )
    intercom_prefix = FakeIntercom().contract(LATEST_VERSION).url_prefix
    link = answer.json()["url"]
    assert link.startswith(intercom_prefix)
    # The fake still serves that SMS's Messenger page, under its own address.
    assert httpx.get(url + "/msgr/" + link.rsplit("/", 1)[1]).status_code == 200
    assert stop(process) == 0


def test_demo_can_keep_the_fake_running_with_its_page() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "demo", "--keep-serving"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = _lines_until(process.stdout, "The outbox page: ")
        assert any("steps behaved as expected" in line for line in lines)
        page_url = lines[-1].split("The outbox page: ", 1)[1].split()[0]
        assert page_url.startswith("http://127.0.0.1:")
        assert httpx.get(page_url).status_code == 200
        messages = httpx.get(page_url + "__fake__/state").json()["outbox"]["messages"]
        assert messages
        assert all(m["url"].startswith(page_url + "msgr/") for m in messages)
        assert httpx.get(messages[0]["url"]).status_code == 200
    finally:
        code = stop(process)
    assert code == 0
