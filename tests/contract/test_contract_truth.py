"""Reports that tell the truth: an unreachable target is said to be so, once; a version
the SMS cap cut short is not kept, and the output says what cap a full run needs; a check
that was never exercised is skipped, with the reason, in every report."""

from __future__ import annotations

import re
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from intercom_phone_switch.cli import main
from intercom_phone_switch.contract import SmsPolicy, Target, run_version
from intercom_phone_switch.contract.results import POSITIVE_CHECK, SCHEMA_CHECK, Verdict
from intercom_phone_switch.contract.runner import Settings, sms_needed
from intercom_phone_switch.fake import FakeIntercom, FakeServer
from intercom_phone_switch_generated.registry import LATEST_VERSION, VERSIONS

pytestmark = pytest.mark.contract

TOKEN = "truth-token"
ALLOWED = ("+15005550006", "+12025550123")
SMALL = Settings(max_examples=10)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["contract", *args], env={"INTERCOM_ACCESS_TOKEN": None})
    return result.exit_code, result.output


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def fake() -> FakeIntercom:
    return FakeIntercom(tokens=[TOKEN])


@pytest.fixture
def server(fake: FakeIntercom) -> Iterator[FakeServer]:
    with fake.serve(host="127.0.0.1") as served:
        yield served


def skipped_cases(report: Path) -> dict[tuple[str, str], str]:
    """(suite, test case) -> the message of its <skipped>."""
    found = {}
    for suite in ET.parse(report).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            skipped = case.find("skipped")
            if skipped is not None:
                found[(suite.get("name") or "", case.get("name") or "")] = (
                    skipped.get("message") or ""
                )
    return found


# -- a target that is down -----------------------------------------------------------------


def test_an_unreachable_target_is_said_to_be_so_once(tmp_path: Path) -> None:
    report = tmp_path / "contract.xml"
    url = f"http://127.0.0.1:{closed_port()}"

    started = time.monotonic()
    code, output = invoke("--base-url", url, "--token", TOKEN, "--junit-xml", str(report))

    assert code == 1, output
    assert time.monotonic() - started < 30
    said = output.replace(str(report), "<report>")
    assert said.count("unreachable") == 1, output
    assert "connection refused" in output
    assert "Connection failed" not in output
    assert "broken" not in output
    assert "no version was checked" in output
    root = ET.parse(report).getroot()
    suites = root.findall("testsuite")
    assert len(suites) == len(VERSIONS)
    assert (root.get("errors"), root.get("failures")) == ("1", "0")
    assert root.get("skipped") == str(len(VERSIONS) - 1)
    first = suites[0].find("testcase[@name='run']/error")
    assert first is not None
    assert "unreachable" in (first.get("message") or "")


def test_an_unreachable_target_costs_a_few_requests_not_a_run() -> None:
    result = run_version(
        LATEST_VERSION, Target.remote(f"http://127.0.0.1:{closed_port()}", TOKEN), settings=SMALL
    )

    assert result.verdict is Verdict.UNREACHABLE
    assert result.unreachable == "connection refused"
    assert result.problems == ["the target was unreachable (connection refused)"]
    assert not result.failures
    assert result.skipped_checks == {}


# -- the SMS cap -----------------------------------------------------------------------------


def test_a_version_the_cap_cut_short_is_not_kept_and_the_cap_needed_is_said(
    fake: FakeIntercom, server: FakeServer, tmp_path: Path
) -> None:
    report = tmp_path / "contract.xml"
    first, second = VERSIONS[-1], VERSIONS[0]
    common = [
        "--base-url", server.url, "--token", TOKEN, "--version", f"{first},{second}",
        "--max-examples", "10", "--sms-allowlist", ",".join(ALLOWED),
    ]  # fmt: skip

    code, output = invoke(*common, "--max-sms", "3", "--junit-xml", str(report))

    assert code == 3, output
    assert "Contract kept by none of the 2 versions." in output
    assert f"Cut short, so not kept: {first}" in output
    assert f"Not run, so not checked: {second}" in output
    found = re.search(r"--max-sms must be at least (\d+) \(([^)]*)\)", output)
    assert found is not None, output
    needed = int(found.group(1))
    assert f"{first}: " in found.group(2)
    assert f"{second}: " in found.group(2)
    skipped = skipped_cases(report)
    assert "not run to its end" in skipped[(f"contract {first}", "run")]
    assert "not run" in skipped[(f"contract {second}", "run")]
    assert "passed" not in ET.parse(report).getroot().itertext()

    # The cap said is the cap that runs both versions to their end.
    code, output = invoke(*common, "--max-sms", str(needed))

    assert code == 0, output
    assert "Contract kept by 2 of 2 versions" in output
    assert "--max-sms must be" not in output


def test_the_count_is_what_a_full_run_sends(server: FakeServer) -> None:
    policy = SmsPolicy(ALLOWED, 10_000)
    (counted,) = sms_needed([LATEST_VERSION], policy, settings=SMALL).values()
    result = run_version(
        LATEST_VERSION, Target.remote(server.url, TOKEN), settings=SMALL, sms=policy
    )

    assert result.ok
    assert result.sms is not None
    assert result.sms.sent == counted


def test_a_version_cut_short_is_not_ok(server: FakeServer) -> None:
    result = run_version(
        LATEST_VERSION,
        Target.remote(server.url, TOKEN),
        settings=SMALL,
        sms=SmsPolicy(ALLOWED, 2),
    )

    assert result.cut_short
    assert result.verdict is Verdict.CUT_SHORT
    assert not result.ok


# -- checks never exercised ------------------------------------------------------------------


def test_without_sms_checks_that_never_saw_a_2xx_are_skipped_with_the_reason(
    server: FakeServer, tmp_path: Path
) -> None:
    report = tmp_path / "contract.xml"

    code, output = invoke(
        "--base-url", server.url, "--token", TOKEN, "--version", LATEST_VERSION,
        "--max-examples", "10", "--junit-xml", str(report),
    )  # fmt: skip

    assert code == 0, output
    skipped = skipped_cases(report)
    suite = f"contract {LATEST_VERSION}"
    for check in (POSITIVE_CHECK, SCHEMA_CHECK):
        assert "never exercised" in skipped[(suite, check)]
        assert "2xx" in skipped[(suite, check)]
        assert re.search(rf"{check} in {re.escape(LATEST_VERSION)}: .*2xx", output), output
    assert "Never exercised, so skipped (not passed):" in output
    root = ET.parse(report).getroot()
    assert root.get("skipped") == "2"


def test_with_sms_allowed_the_same_checks_are_exercised(server: FakeServer) -> None:
    result = run_version(
        LATEST_VERSION,
        Target.remote(server.url, TOKEN),
        settings=SMALL,
        sms=SmsPolicy(ALLOWED, 10_000),
    )

    assert result.ok
    assert POSITIVE_CHECK not in result.skipped_checks
    assert SCHEMA_CHECK not in result.skipped_checks


def test_the_embedded_fake_exercises_every_check() -> None:
    result = run_version(LATEST_VERSION, Target.embedded_fake(), settings=SMALL)

    assert result.ok
    assert result.skipped_checks == {}
