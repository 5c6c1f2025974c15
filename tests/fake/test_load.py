"""The load script: bounded, loopback only, reports requests/s and the server's memory."""

from __future__ import annotations

import json
import os

import pytest

from intercom_phone_switch.fake import _load


def test_load_script_against_a_served_fake(capsys: pytest.CaptureFixture[str]) -> None:
    code = _load.main(["--requests", "300", "--concurrency", "4", "--time-limit", "60", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["passed"]
    assert (report["completed"], report["ok"]) == (300, 300)
    assert report["statuses"] == {"200": 300}
    assert report["errors"] == {}
    assert report["outbox_total"] == 300
    assert report["requests_per_second"] > 0
    if os.path.exists("/proc/self/status"):
        assert report["rss_kib_peak"] >= report["rss_kib_start"] > 0


def test_load_script_refuses_other_hosts() -> None:
    with pytest.raises(SystemExit, match="only loopback"):
        _load.main(["--url", "http://example.com", "--requests", "1"])


@pytest.mark.parametrize(
    "arguments",
    [["--requests", "0"], ["--concurrency", "0"], ["--time-limit", "0"], ["--requests", "2000000"]],
)
def test_load_script_is_bounded(arguments: list[str]) -> None:
    with pytest.raises(SystemExit):
        _load.main(arguments)


def test_memory_readers() -> None:
    pid = os.getpid()
    if os.path.exists("/proc/self/status"):
        rss, peak = _load.rss_kib(pid), _load.peak_rss_kib(pid)
        assert rss is not None
        assert peak is not None
        assert peak >= rss > 0
    assert _load.rss_kib(2**22 + 12345) is None
