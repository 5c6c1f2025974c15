"""Real headless Chromium (the OS package) driven by Playwright, against a served fake.

Outside CI these tests skip, saying why, when Chromium or Playwright is missing; with
CI=true they fail instead. No browser is ever downloaded: Playwright launches the
Chromium found at CHROMIUM.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from intercom_phone_switch import PhoneSwitchClient
from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom, FakeServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where the test run leaves its screenshots.
ARTIFACTS = Path(__file__).resolve().parents[3] / "build" / "artifacts"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install playwright)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def require_browser() -> None:
    """Skip (outside CI) or fail (with CI=true) when the browser tests cannot run."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


# Per module, not per session: while Playwright's sync API runs, its event loop is the
# thread's running loop, and other tests' asyncio.run() would refuse to start.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def fake() -> FakeIntercom:
    return FakeIntercom()


@pytest.fixture
def server(fake: FakeIntercom) -> Iterator[FakeServer]:
    with fake.serve() as served:
        fake.messenger_url = served.url
        yield served


@pytest.fixture
def client(server: FakeServer) -> Iterator[PhoneSwitchClient]:
    """A real client sending to the served fake over HTTP."""
    with PhoneSwitchClient(DEFAULT_TOKEN, base_url=server.url, max_retries=0) as sending:
        yield sending


class Console:
    """What the page reported as errors: console errors and uncaught exceptions."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def on_error(self, error: Any) -> None:
        self.errors.append(f"page error: {error}")

    def expected(self, text: str) -> list[str]:
        """Take the errors holding ``text`` off the list (a test provoked them); give them."""
        taken = [error for error in self.errors if text in error]
        self.errors = [error for error in self.errors if text not in error]
        return taken


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def open_page(browser: Browser, server: FakeServer, console: Console) -> Iterator[Any]:
    """``open_page(path="/", width=1280, scheme="light")``: a fresh page at the fake."""
    contexts = []

    def open_(path: str = "/", width: int = 1280, scheme: str = "light") -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            color_scheme=scheme,  # type: ignore[arg-type]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", console.on_console)
        page.on("pageerror", console.on_error)
        page.goto(server.url + path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert console.errors == []
