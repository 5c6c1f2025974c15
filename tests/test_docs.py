"""The documents: every python example in README.md and docs/ runs and passes mypy --strict,
README stays a short page for users, and the site builds strictly.

The examples run unchanged, page by page (the blocks of one page share a namespace, as a
reader would run them one after another), with INTERCOM_ACCESS_TOKEN set and httpx's own
transports answered by the embedded fake Intercom, so code written for Intercom's real
servers sends through the whole client stack without leaving the process. Requests to
loopback addresses still go out, to the servers the examples start themselves. A block
that defines tests is a test module: it runs under pytest in a subprocess.

A docs page includes README fragments with pymdownx.snippets (``--8<-- "README.md:NAME"``,
between ``--8<-- [start:NAME]`` and ``[end:NAME]`` markers in README); the examples are
read from the page as the site shows it, includes expanded.
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
from typing import NamedTuple

import httpx
import pytest

import intercom_phone_switch
from intercom_phone_switch.fake import FakeIntercom
from intercom_phone_switch_generated.registry import REGIONS
from tests.versions import LATEST

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
#: Every document with examples, by its path from the root of the repository.
PAGES = ["README.md", *sorted(f"docs/{p.relative_to(DOCS).as_posix()}" for p in DOCS.rglob("*.md"))]
TOKEN = "docs-token"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: README's limit, in lines: it is also the package's long description.
README_MAX_LINES = 300

#: Pages of the user guide, each of which must show runnable code.
GUIDE = [
    "docs/install.md",
    "docs/quick-example.md",
    "docs/sending.md",
    "docs/outcomes.md",
    "docs/bulk.md",
    "docs/webhooks.md",
    "docs/fake.md",
    "docs/contract.md",
    "docs/versions.md",
    "docs/upgrading.md",
]

_FIRST_CALL = ["SMS sent: http://via.intercom.io/msgr/", "the fake texted +353832345678"]
_OUTCOME = ["sent: http://via.intercom.io/msgr/", "not sent: The number is a landline"]

#: What a page's examples must print, beyond their own asserts.
PRINTED: dict[str, list[str]] = {
    "README.md": [*_FIRST_CALL, *_OUTCOME],
    "docs/install.md": [f"sends {LATEST}"],
    "docs/quick-example.md": _FIRST_CALL,
    "docs/sending.md": [
        "+33612345678 True 1",
        "fields beyond the stable ones: ",  # which ones depends on the version
        "refused before sending: extra_headers cannot set Content-Length",
        f"{REGIONS['eu']} 2.13 5",
        "refused before sending: 12345",
        "sent +353832345678\nsent +447911123456",
        "http://via.intercom.io/msgr/",
    ],
    "docs/outcomes.md": [
        *_OUTCOME,
        "['accepted', 'refused', 'unknown']",
        "302 refused - the redirect was not followed",
        "no SMS, the number is a landline: landline_phone 422",
    ],
    "docs/bulk.md": [
        "['sent +353832345678', 'sent +447911123456', 'LandlinePhoneNumber', 'InvalidPhoneNumber']",
        "3 accepted",
        "0 left",
        "['PhoneSwitch', 'PhoneSwitch']",
        "200 sent over aiohttp",
    ],
    "docs/webhooks.md": ["sent / sent before", "[False, True]"],
    "docs/fake.md": ["third call: 429 until", "unknown, after 1 attempt", "server error 503"],
    "docs/contract.md": [f"{LATEST} vs embedded fake: ", " 0 failures "],
    "docs/versions.md": [
        "is not one Intercom accepts",
        f"{LATEST} sent",
        "2.13 refused before sending",
    ],
    "docs/upgrading.md": [
        "memory://",
        "base_url cannot have a query",
        "base_url cannot hold a user or password: 'https://[redacted]@proxy.example'",
    ],
}

#: Numbers that the page's examples must have sent through the patched transports.
SENT: dict[str, set[str]] = {
    "README.md": {"+353832345678"},
    "docs/quick-example.md": {"+353832345678"},
    "docs/sending.md": {"+33612345678", "+447911123456", "+353832345678", "+61412345678"},
    "docs/outcomes.md": {"+353832345678"},
    "docs/bulk.md": {"+353832345678", "+447911123456", "+61412345678"},
    "docs/webhooks.md": {"+353832345678", "+447911123456", "+61412345678"},
    "docs/versions.md": {"+353832345678"},
    "docs/upgrading.md": {"+353832345678"},
}

#: README's Quick start, exactly as written there (and, for the tests, as CI runs it).
QUICK_START = [
    "python3 -m venv .venv && .venv/bin/python -m pip install -q nox && .venv/bin/nox -s demo",
    "python3 -m venv .venv && .venv/bin/python -m pip install -q nox && .venv/bin/nox -s tests",
]

_INCLUDE = re.compile(r'^--8<-- "([^":]+)(?::([\w-]+))?"[ \t]*$', flags=re.MULTILINE)
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", flags=re.DOTALL | re.MULTILINE)


def fragment(source: str, name: str) -> str:
    """The lines between README's ``--8<-- [start:NAME]`` and ``[end:NAME]`` markers."""
    lines = (ROOT / source).read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if f"--8<-- [start:{name}]" in line]
    ends = [i for i, line in enumerate(lines) if f"--8<-- [end:{name}]" in line]
    assert len(starts) == len(ends) == 1, f"{source} has no single fragment {name!r}"
    assert starts[0] < ends[0], f"{source}: fragment {name!r} ends before it starts"
    return "".join(lines[starts[0] + 1 : ends[0]])


def expanded(page: str) -> str:
    """The page's text as the site shows it: its snippet includes expanded."""
    text = (ROOT / page).read_text(encoding="utf-8")

    def include(match: re.Match[str]) -> str:
        source, name = match.group(1), match.group(2)
        if name is None:
            return (ROOT / source).read_text(encoding="utf-8")
        return fragment(source, name)

    return _INCLUDE.sub(include, text)


class Block(NamedTuple):
    language: str
    code: str
    #: The output shown right after a python block, in a fence without a language.
    shown: str | None


def blocks(page: str) -> list[Block]:
    text = expanded(page)
    fences = list(_FENCE.finditer(text))
    found = []
    for index, fence in enumerate(fences):
        shown = None
        following = fences[index + 1] if index + 1 < len(fences) else None
        if (
            fence.group(1) == "python"
            and following is not None
            and following.group(1) == ""
            and not text[fence.end() : following.start()].strip()
        ):
            shown = following.group(2)
        found.append(Block(fence.group(1), fence.group(2), shown))
    return found


def python_blocks(page: str) -> list[Block]:
    return [block for block in blocks(page) if block.language == "python"]


def is_test_module(block: Block) -> bool:
    return "\ndef test_" in block.code or block.code.startswith("def test_")


def test_the_guide_shows_code() -> None:
    assert set(GUIDE) <= set(PAGES)
    for page in GUIDE:
        assert python_blocks(page), f"{page} has no python example"


def test_readme_is_short_and_for_users() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    headings = re.findall(r"^#+ (.*)$", text, flags=re.MULTILINE)
    for maintainers in ("Adding an Intercom version", "How the code is made", "Benchmarks"):
        assert not [h for h in headings if maintainers.lower() in h.lower()], maintainers
    assert "Maintainer workflows" not in text
    # Its relative links lead somewhere in the repository.
    for target in re.findall(r"\]\((?!https?://|#)([^)#]+)", text):
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"
    for document in ("CONTRIBUTING.md", "bench/README.md", "CHANGELOG.md"):
        assert f"]({document})" in text, f"README points to {document}"


def test_readme_quick_start_is_what_ci_runs() -> None:
    """The two Quick start commands stay exactly as written; CI runs the test command."""
    section = fragment("README.md", "quick-start")
    (commands,) = [block.code for block in _blocks_of(section) if block.language == "sh"]
    assert commands.splitlines() == QUICK_START
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert QUICK_START[1] in ci


def _blocks_of(text: str) -> list[Block]:
    return [Block(m.group(1), m.group(2), None) for m in _FENCE.finditer(text)]


def test_every_readme_fragment_is_included_by_the_site() -> None:
    text = README.read_text(encoding="utf-8")
    names = set(re.findall(r"--8<-- \[start:([\w-]+)\]", text))
    assert names >= {"intro", "install", "first-call", "outcome", "quick-start"}
    included = {
        name
        for page in PAGES[1:]
        for source, name in _INCLUDE.findall((ROOT / page).read_text(encoding="utf-8"))
        if source == "README.md"
    }
    assert names == included, "a README fragment the site does not show, or one missing"


def test_no_example_pins_the_latest_version() -> None:
    """Examples say "the latest version" (LATEST_VERSION); a literal would go stale."""
    literal = re.compile(rf"(?<![\w.]){re.escape(LATEST)}(?![\w.])")
    for page in PAGES:
        for block in blocks(page):
            assert not literal.search(block.code), f"{page} pins {LATEST}:\n{block.code}"


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
    for variable in (
        "INTERCOM_BASE_URL",
        "INTERCOM_REGION",
        "INTERCOM_PHONE_SWITCH_GUARD",
        "INTERCOM_PHONE_SWITCH_LOG",
    ):
        monkeypatch.delenv(variable, raising=False)
    yield fake
    sync_transport.close()


@pytest.mark.parametrize("page", [page for page in PAGES if python_blocks(page)])
def test_page_examples_run(
    page: str, intercom: FakeIntercom, capfd: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{Path(page).stem}"}
    out = err = ""
    for index, block in enumerate(python_blocks(page)):
        if is_test_module(block):
            continue  # a test module: test_page_test_modules_pass runs it
        exec(compile(block.code, f"{page} python block {index + 1}", "exec"), namespace)
        printed = capfd.readouterr()
        if block.shown is not None:
            assert printed.out == block.shown, f"{page} block {index + 1} shows other output"
        out, err = out + printed.out, err + printed.err
    for expected in PRINTED.get(page, []):
        assert expected in out, f"{expected!r} not printed by {page}:\n{out}"
    sent = {sms.phone for sms in intercom.outbox.messages()}
    assert sent == SENT.get(page, set()), "what the examples sent through the transports"
    if page == "docs/sending.md":
        # The logging example's handler wrote the record, token masked.
        assert "Authorization: [redacted]" in err
        assert "abc123" not in err
        assert not logging.getLogger("my_app").handlers


@pytest.mark.parametrize(
    "page", [page for page in PAGES if any(map(is_test_module, python_blocks(page)))]
)
def test_page_test_modules_pass(page: str, tmp_path: Path) -> None:
    modules = [block.code for block in python_blocks(page) if is_test_module(block)]
    for index, code in enumerate(modules):
        (tmp_path / f"test_docs_example_{index + 1}.py").write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tests = sum(code.count("\ndef test_") + code.startswith("def test_") for code in modules)
    assert f"{tests} passed" in result.stdout


def test_examples_pass_mypy_strict(tmp_path: Path) -> None:
    """Each page's examples, as one module (its blocks share a namespace), and each test
    module it shows, type-check with ``mypy --strict`` against the installed package."""
    written = []
    for page in PAGES:
        slug = re.sub(r"\W", "_", page.removesuffix(".md")).lower()
        code = [block.code for block in python_blocks(page) if not is_test_module(block)]
        tests = [block.code for block in python_blocks(page) if is_test_module(block)]
        if code:
            written.append(tmp_path / f"{slug}.py")
            written[-1].write_text("\n\n".join(code), encoding="utf-8")
        for index, test in enumerate(tests):
            written.append(tmp_path / f"test_{slug}_{index + 1}.py")
            written[-1].write_text(test, encoding="utf-8")
    assert len(written) > len(GUIDE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            *(path.name for path in written),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"no issues found in {len(written)} source files" in result.stdout


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
    for page in PAGES[1:]:
        assert (site / Path(page).relative_to("docs")).with_suffix(".html").is_file(), page
    html = {
        path.relative_to(site).as_posix(): path.read_text(encoding="utf-8")
        for path in site.rglob("*.html")
    }
    # README's fragments are in the pages that include them, their markers are not.
    assert "A Python client for Intercom" in html["index.html"]
    assert "Without the package index" in html["install.html"]
    assert "send again?" in html["outcomes.html"]
    assert not [name for name, page in html.items() if "--8&lt;--" in page or "--8<--" in page]
    reference = {
        name.removeprefix("reference/"): page
        for name, page in html.items()
        if name.startswith("reference/")
    }
    # mkdocstrings rendered the docstrings of the public API, Google style throughout.
    clients = reference["clients.html"]
    assert "create_phone_switches" in clients
    assert "retry_possibly_delivered" in clients
    for method in ("with_options", "prepare", "send_prepared"):
        for client in ("PhoneSwitchClient", "AsyncPhoneSwitchClient"):
            assert f'id="intercom_phone_switch.{client}.{method}"' in clients, (client, method)
    assert "DeliveryUnknown" in reference["errors.html"]
    assert "fake_intercom_client" in reference["fake.html"]
    assert 'id="intercom_phone_switch.Outcome"' in reference["results.html"]
    for field in ("url", "replayed", "extra"):  # PhoneSwitch's table of fields
        assert (
            f'title="intercom_phone_switch.results.PhoneSwitch.{field}"'
            in reference["results.html"]
        ), field
    assert "from_environment" in reference["guard.html"]
    for name, page in reference.items():
        for role in (":param ", ":meth:", ":class:", ":mod:", ":returns:"):
            assert role not in page, f"reST markup {role!r} in reference/{name}"
    # Every public name of the package has its entry in the reference.
    headings = {
        anchor.rsplit(".", 1)[-1].lower()
        for page in reference.values()
        for anchor in re.findall(r'<h[1-6][^>]* id="([^"]+)"', page)
    }
    public = {name for name in intercom_phone_switch.__all__ if not name.startswith("__")}
    assert not {name for name in public if name.lower() not in headings}, "not in the reference"
    assert "Unreleased" in html["changelog.html"]
