"""Contract tests: every run's counts are printed at the end of the session.

A run that tested nothing would pass unnoticed if only its failures were shown, so the
number of cases and checks of every version's run goes into pytest's terminal summary.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intercom_phone_switch.contract.report import summary_line
from intercom_phone_switch.contract.results import VersionResult

_RESULTS: list[tuple[str, VersionResult]] = []


@pytest.fixture
def record_run(request: pytest.FixtureRequest) -> Iterator[list[VersionResult]]:
    """Results appended to the yielded list show up in the session's summary."""
    found: list[VersionResult] = []
    yield found
    _RESULTS.extend((request.node.nodeid, result) for result in found)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _RESULTS:
        return
    terminalreporter.section("contract runs: cases and checks per version")
    for nodeid, result in _RESULTS:
        terminalreporter.line(f"{summary_line(result)}  ({nodeid.rsplit('::', 1)[-1]})")
