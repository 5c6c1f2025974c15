"""The documentation site: every python example in docs/ runs, and the site builds strictly.

The examples run unchanged, page by page (the blocks of one page share a namespace, as a
reader would run them one after another), with INTERCOM_ACCESS_TOKEN set and httpx's own
transports answered by the embedded fake Intercom, so code written for Intercom's real
servers sends through the whole client stack without leaving the process. Requests to
loopback addresses still go out, to the servers the examples start themselves. A block
that defines tests is a test module: it runs under pytest in a subprocess.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import intercom_phone_switch
from intercom_phone_switch.fake import FakeIntercom

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))
TOKEN = "docs-token"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

#: Pages of the user guide, each of which must show runnable code.
GUIDE = ["install.md", "quick-example.md", "sending.md", "fake.md", "contract.md", "versions.md"]

#: What a page's examples must print, beyond their own asserts.
PRINTED: dict[str, list[str]] = {
    "quick-example.md": ["SMS on its way: http://via.intercom.io/msgr/"],
    "sending.md": [
        "+33612345678 2.16 1",
        "seats ('string', 'custom object instance list') 0",
        "no SMS, the number is a landline: landline_phone 422",
        "['sent +353832345678', 'sent +447911123456', 'LandlinePhoneNumber', ",
    ],
    "fake.md": ["unknown, after 1 attempt", "server error 503"],
    "contract.md": ["2.16 vs embedded fake: ", " 0 failures "],
    "versions.md": ["is not one Intercom accepts", "2.16 sent", "2.13 refused before sending"],
}

#: Numbers that the page's examples must have sent through the patched transports.
SENT: dict[str, set[str]] = {
    "quick-example.md": {"+353832345678"},
    "sending.md": {"+33612345678", "+447911123456", "+353832345678", "+61412345678"},
    "versions.md": {"+353832345678"},
}


def python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def test_the_guide_shows_code() -> None:
    assert set(GUIDE) <= set(PAGES)
    for page in GUIDE:
        assert python_blocks(page), f"{page} has no python example"


@pytest.fixture
def intercom(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIntercom]:
    """The embedded fake behind every non-loopback request httpx sends."""
    fake = FakeIntercom(tokens=[TOKEN])
    sync_transport, async_transport = fake.transport(), fake.async_transport()
    handle, handle_async = (
        httpx.HTTPTransport.handle_request,
        (httpx.AsyncHTTPTransport.handle_async_request),
    )

    def patched(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if request.url.host in LOOPBACK:
            return handle(self, request)
        return sync_transport.handle_request(request)

    async def patched_async(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        if request.url.host in LOOPBACK:
            return await handle_async(self, request)
        return await async_transport.handle_async_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", patched)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", patched_async)
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    yield fake
    sync_transport.close()


@pytest.mark.parametrize("page", [page for page in PAGES if python_blocks(page)])
def test_page_examples_run(
    page: str, intercom: FakeIntercom, capfd: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{Path(page).stem}"}
    for index, block in enumerate(python_blocks(page)):
        if "def test_" in block:
            continue  # a test module: test_page_test_modules_pass runs it
        exec(compile(block, f"docs/{page} python block {index + 1}", "exec"), namespace)
    out, err = capfd.readouterr()
    for expected in PRINTED.get(page, []):
        assert expected in out, f"{expected!r} not printed by docs/{page}:\n{out}"
    sent = {sms.phone for sms in intercom.outbox.messages()}
    assert sent == SENT.get(page, set()), "what the examples sent through the transports"
    if page == "sending.md":
        # The logging example's handler wrote the record, token masked.
        assert "Authorization: [redacted]" in err
        assert "abc123" not in err
        assert not logging.getLogger("my_app").handlers


@pytest.mark.parametrize(
    "page",
    [page for page in PAGES if any("def test_" in block for block in python_blocks(page))],
)
def test_page_test_modules_pass(page: str, tmp_path: Path) -> None:
    modules = [block for block in python_blocks(page) if "def test_" in block]
    for index, block in enumerate(modules):
        (tmp_path / f"test_docs_example_{index + 1}.py").write_text(block, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tests = sum(block.count("\ndef test_") + block.startswith("def test_") for block in modules)
    assert f"{tests} passed" in result.stdout


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``, as ``nox -s docs`` runs it, into a temporary folder."""
    if importlib.util.find_spec("mkdocs") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("mkdocs is missing in CI: it comes with the test dependency group")
        pytest.skip("mkdocs is not installed (the docs or test dependency group has it)")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    for page in PAGES:
        assert (site / page).with_suffix(".html").is_file(), page
    reference = {
        path.name: path.read_text(encoding="utf-8") for path in (site / "reference").glob("*.html")
    }
    # mkdocstrings rendered the docstrings of the public API, Google style throughout.
    assert "create_phone_switches" in reference["clients.html"]
    assert "retry_possibly_delivered" in reference["clients.html"]
    assert "DeliveryUnknown" in reference["errors.html"]
    assert "fake_intercom_client" in reference["fake.html"]
    for name, html in reference.items():
        for role in (":param ", ":meth:", ":class:", ":mod:", ":returns:"):
            assert role not in html, f"reST markup {role!r} in reference/{name}"
    # Every public name of the package has its entry in the reference.
    headings = {
        anchor.rsplit(".", 1)[-1].lower()
        for html in reference.values()
        for anchor in re.findall(r'<h[1-6][^>]* id="([^"]+)"', html)
    }
    public = {name for name in intercom_phone_switch.__all__ if not name.startswith("__")}
    assert not {name for name in public if name.lower() not in headings}, "not in the reference"
    changelog = (site / "changelog.html").read_text(encoding="utf-8")
    assert "Unreleased" in changelog
