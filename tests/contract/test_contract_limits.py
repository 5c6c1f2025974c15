"""What a run sends and reads: no credentials but the token, every answer read under a
size and a time cap, the time limit kept, and no secret in any report."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from intercom_phone_switch.cli import main
from intercom_phone_switch.contract import Settings, Target, run, run_version
from intercom_phone_switch.contract.results import Verdict
from intercom_phone_switch.contract.runner import DEFAULT_MAX_ANSWER_BYTES
from intercom_phone_switch.contract.transport import without_probes
from intercom_phone_switch_generated.registry import LATEST_VERSION

from .servers import misbehaving

pytestmark = pytest.mark.contract

TOKEN = "limits-token"
PASSWORD = "pw-s3cr3t-in-url"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["contract", *args], env={"INTERCOM_ACCESS_TOKEN": None})
    return result.exit_code, result.output


def texts(path: Path) -> str:
    """Every text and attribute value of an XML file, unescaped, and the file itself."""
    parts = [path.read_text(encoding="utf-8")]
    for element in ET.parse(path).getroot().iter():
        parts.extend([element.text or "", element.tail or "", *element.attrib.values()])
    return "\n".join(parts)


def test_credentials_in_the_base_url_are_refused_masked_and_never_sent(tmp_path: Path) -> None:
    report = tmp_path / "contract.xml"
    with misbehaving("unauthorized") as server:
        url = server.url.replace("http://", f"http://user:{PASSWORD}@")
        code, output = invoke(
            "--base-url", url, "--token", TOKEN, "--version", LATEST_VERSION,
            "--junit-xml", str(report),
        )  # fmt: skip

        assert server.requests == 0, "nothing was sent, with Basic auth or otherwise"
    assert code == 2, output
    assert PASSWORD not in output
    assert "[redacted]@127.0.0.1" in output
    assert "Contract kept" not in output
    assert not report.exists() or PASSWORD not in texts(report)


def test_the_python_api_refuses_them_too() -> None:
    for url in (
        f"http://user:{PASSWORD}@127.0.0.1:9",
        f"http://{PASSWORD}@127.0.0.1:9",
        "http://127.0.0.1:9/?token=abc",
        "http://127.0.0.1:9/#part",
        "ftp://127.0.0.1:9",
    ):
        with pytest.raises(ValueError, match="URL") as raised:
            Target.remote(url, TOKEN)
        assert PASSWORD not in str(raised.value)
        assert "abc" not in str(raised.value)


def test_a_run_whose_every_answer_is_401_is_never_kept(tmp_path: Path) -> None:
    report = tmp_path / "contract.xml"
    with misbehaving("unauthorized") as server:
        code, output = invoke(
            "--base-url", server.url, "--token", TOKEN, "--version", LATEST_VERSION,
            "--max-examples", "5", "--junit-xml", str(report),
        )  # fmt: skip

    assert code == 1, output
    assert "Contract kept by none" in output
    assert "refused the credentials" in output
    root = ET.parse(report).getroot()
    assert root.get("failures") == "1"


def test_an_endless_answer_is_read_under_the_size_cap() -> None:
    settings = Settings(max_examples=3, time_limit=20)
    with misbehaving("flood") as server:
        started = time.monotonic()
        result = run_version(LATEST_VERSION, Target.remote(server.url, TOKEN), settings=settings)
        elapsed = time.monotonic() - started
        requests = server.requests
        written = server.written

    assert result.verdict is Verdict.BROKEN
    assert any(f"larger than {DEFAULT_MAX_ANSWER_BYTES} bytes" in p for p in result.problems)
    assert requests > 0
    # What the server managed to write before each reader hung up: the cap, and what the
    # sockets' buffers held. The reader cannot have held more than that in memory.
    assert written / requests < DEFAULT_MAX_ANSWER_BYTES + 16 * 1024 * 1024
    assert elapsed < 20


def test_the_time_limit_stops_a_run_on_time() -> None:
    limit = 2.0
    with misbehaving("trickle") as server:
        started = time.monotonic()
        results = run(
            [LATEST_VERSION],
            Target.remote(server.url, TOKEN),
            settings=Settings(max_examples=5, time_limit=limit),
        )
        elapsed = time.monotonic() - started

    (result,) = results
    assert result.timed_out
    assert not result.ok
    assert any("time limit" in problem for problem in result.problems)
    # The limit, one socket read of slack, and the run's own start and finish.
    assert elapsed < limit + 3


def test_time_limit_from_the_command_line(tmp_path: Path) -> None:
    with misbehaving("trickle") as server:
        started = time.monotonic()
        code, output = invoke(
            "--base-url", server.url, "--token", TOKEN, "--version", LATEST_VERSION,
            "--time-limit", "2", "--max-examples", "5",
        )  # fmt: skip
        elapsed = time.monotonic() - started

    assert code == 1, output
    assert "time limit" in output
    assert "Contract kept by none" in output
    assert elapsed < 2 + 4


def test_schemathesis_still_keeps_its_probes_where_they_are_switched_off() -> None:
    """The run switches schemathesis' own probes off (they would be read unbounded); if
    a release moves them, this fails rather than the probes coming back silently."""
    from schemathesis.engine.run import probes

    with without_probes() as switched_off:
        assert switched_off
        assert probes.PROBES == ()
        with without_probes():  # an overlapping run
            assert probes.PROBES == ()
        assert probes.PROBES == (), "back only once the last run is over"
    assert probes.PROBES
