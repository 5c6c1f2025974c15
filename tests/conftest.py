from __future__ import annotations

import signal
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session: pytest.Session) -> None:
    """Let Ctrl-C through even when the suite runs as a shell's background job.

    Such a job starts with SIGINT ignored, and so would every process the tests start;
    the tests that press Ctrl-C (in this process or in a server they started) need it
    to raise KeyboardInterrupt, as it does in a terminal.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT
