"""The fake server part end to end, with the real servers: the fake and Stoplight Prism 5.

Nothing is timed here: the test proves each server is started, loaded with the bodies it
should get, judged against Prism from the same run, and stopped.
"""

from __future__ import annotations

import os

import pytest

from bench import fakeserver

#: A whole-system test (real servers, processes): run on the main Python in CI.
pytestmark = pytest.mark.system


@pytest.fixture
def prism() -> list[str]:
    command = fakeserver.prism_command()
    if command is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Prism is not installed: nox installs it with npm into build/prism")
        pytest.skip("Prism is not installed (npm install --prefix build/prism ...)")
    return command


def test_the_fake_is_judged_against_prism_measured_in_the_same_run(
    prism: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fakeserver, "MAX_REQUESTS", 300)
    assert fakeserver.prism_version(prism).startswith("5.")
    rows = {
        row.subject: row
        for row in fakeserver.run(seconds=0.5, warmup=0.3, rounds=1, generator="python")
    }
    load = "python loop, 10 connections"
    reference = rows[f"Prism 5, valid requests ({load})"]
    assert reference.figure is not None
    assert reference.figure > 0
    judged = rows[f"valid requests, httptools ({load})"]
    assert judged.ratio is not None
    assert judged.verdict in ("met", "MISSED")
    assert "unexpected answers" not in judged.note
    assert judged.details["outbox_total"] > 0
    assert "unexpected answers" not in rows[f"invalid requests, httptools ({load})"].note
    for name in ("fake, httptools", "Prism 5"):
        memory = rows[f"peak memory, {name}"].figure
        assert memory is not None
        assert memory > 1
