"""The browser tests skip outside CI when Chromium or Playwright is missing, and fail in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import conftest


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", tmp_path / "chromium")


@pytest.mark.usefixtures("no_chromium")
def test_without_chromium_outside_ci_they_skip_and_say_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"no Chromium at {tmp_path}"):
        conftest.require_browser()


@pytest.mark.usefixtures("no_chromium")
def test_without_chromium_in_ci_they_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI: no Chromium"):
        conftest.require_browser()


def test_without_playwright_they_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest.importlib.util, "find_spec", lambda name: None)
    assert conftest.missing() == "Playwright for Python is not installed (pip install playwright)"
