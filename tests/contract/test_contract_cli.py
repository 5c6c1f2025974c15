"""``intercom-phone-switch contract``: the check users run in their own CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from intercom_phone_switch.cli import main
from intercom_phone_switch.fake import FakeIntercom, FakeServer
from tests.versions import LATEST

from .broken import TOKEN as BROKEN_TOKEN
from .broken import broken_app

pytestmark = pytest.mark.contract

TOKEN = "cli-token"
ALLOWED = "+15005550006,+12025550123"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["contract", *args], env={"INTERCOM_ACCESS_TOKEN": None})
    return result.exit_code, result.output


@pytest.fixture
def fake() -> FakeIntercom:
    return FakeIntercom(tokens=[TOKEN])


@pytest.fixture
def server(fake: FakeIntercom) -> Iterator[FakeServer]:
    with fake.serve(host="127.0.0.1") as served:
        yield served


def test_the_embedded_fake_keeps_the_chosen_versions(tmp_path: Path) -> None:
    report = tmp_path / "reports" / "contract.xml"

    code, output = invoke(
        "--fake",
        "--version",
        LATEST,
        "--version",
        "Unstable,2.7",
        "--max-examples",
        "30",
        "--junit-xml",
        str(report),
    )

    assert code == 0, output
    lines = [line for line in output.splitlines() if " vs embedded fake: " in line]
    assert [line.split()[0] for line in lines] == [LATEST, "Preview", "2.7"]
    assert all(" 0 failures " in line for line in lines)
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    assert (root.get("failures"), root.get("errors")) == ("0", "0")
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == [
        f"contract {LATEST}",
        "contract Preview",
        "contract 2.7",
    ]
    for suite in suites:
        properties = {item.get("name"): item.get("value") for item in suite.iter("property")}
        assert int(properties["cases"] or 0) > 0
        assert int(properties["checks"] or 0) > 0
        names = {case.get("name") for case in suite.iter("testcase")}
        assert {"negative_data_rejection", "response_schema_conformance", "run"} <= names


def test_a_server_without_an_allowlist_gets_no_sms(fake: FakeIntercom, server: FakeServer) -> None:
    code, output = invoke(
        "--base-url", server.url, "--token", TOKEN, "--version", LATEST, "--max-examples", "20"
    )

    assert code == 0, output
    assert "SMS policy: no SMS" in output
    assert fake.outbox.total == 0


def test_the_token_may_come_from_the_environment(fake: FakeIntercom, server: FakeServer) -> None:
    result = CliRunner().invoke(
        main,
        ["contract", "--base-url", server.url, "--version", "2.9", "--max-examples", "10"],
        env={"INTERCOM_ACCESS_TOKEN": TOKEN},
    )

    assert result.exit_code == 0, result.output


def test_an_allowlist_and_a_cap_bound_what_is_texted(
    fake: FakeIntercom, server: FakeServer, tmp_path: Path
) -> None:
    report = tmp_path / "contract.xml"

    code, output = invoke(
        "--base-url",
        server.url,
        "--token",
        TOKEN,
        "--intercom-version",
        LATEST,
        "--version",
        "2.12",
        "--sms-allowlist",
        ALLOWED,
        "--max-sms",
        "4",
        "--max-examples",
        "20",
        "--junit-xml",
        str(report),
    )

    # The latest was cut short and 2.12 not run: neither is kept; the run is incomplete.
    assert code == 3, output
    assert "SMS cap reached" in output
    assert "every version" not in output
    assert "Contract kept by none of the 2 versions." in output
    assert f"Cut short, so not kept: {LATEST}" in output
    assert "Not run, so not checked: 2.12 (the SMS cap was spent" in output
    assert "--max-sms must be at least" in output
    assert 0 < fake.outbox.total <= 4
    assert {sms.phone for sms in fake.outbox.messages()} <= set(ALLOWED.split(","))
    suites = ET.parse(report).getroot().findall("testsuite")
    assert suites[0].find("testcase[@name='run']/skipped") is not None
    assert suites[1].find("testcase/skipped") is not None


def test_a_broken_server_fails_the_run(tmp_path: Path) -> None:
    report = tmp_path / "contract.xml"
    with FakeServer(broken_app("wrong_result_type"), host="127.0.0.1") as served:  # type: ignore[arg-type]
        code, output = invoke(
            "--base-url",
            served.url,
            "--token",
            BROKEN_TOKEN,
            "--version",
            LATEST,
            "--sms-allowlist",
            ALLOWED,
            "--max-sms",
            "200",
            "--junit-xml",
            str(report),
        )

    assert code == 1, output
    assert f"Contract broken for {LATEST}" in output
    root = ET.parse(report).getroot()
    assert root.get("failures") != "0"
    failing = [
        case.get("name") for case in root.iter("testcase") if case.find("failure") is not None
    ]
    assert "response_schema_conformance" in failing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "choose one target"),
        (("--fake", "--base-url", "http://127.0.0.1:9"), "choose one target"),
        (("--base-url", "http://127.0.0.1:9"), "access token"),
        (("--fake", "--version", "2.3"), "not a version with its own contract"),
        (("--fake", "--sms-allowlist", "+15005550006"), "go together"),
        (("--fake", "--max-sms", "3"), "go together"),
        (("--fake", "--sms-allowlist", "15005550006", "--max-sms", "3"), "E.164"),
        (("--fake", "--max-sms", "0", "--sms-allowlist", "+15005550006"), "0"),
    ],
)
def test_usage_errors(args: tuple[str, ...], message: str) -> None:
    code, output = invoke(*args)

    assert code == 2, output
    assert message in output


def test_refused_credentials_fail_the_run_and_say_why(
    fake: FakeIntercom, server: FakeServer, tmp_path: Path
) -> None:
    report = tmp_path / "contract.xml"

    code, output = invoke(
        "--base-url",
        server.url,
        "--token",
        "WRONG",
        "--version",
        f"{LATEST},2.12",
        "--max-examples",
        "10",
        "--junit-xml",
        str(report),
    )

    assert code == 1, output
    assert "refused the credentials" in output
    assert "nothing was checked" in output
    assert "Contract kept by none" in output
    assert "--token" in output
    assert "2.12 vs " not in output, "nothing is gained by going on"
    assert "Not run, so not checked: 2.12 (the server refused the credentials" in output
    root = ET.parse(report).getroot()
    assert root.get("failures") == "1"
    failure = root.find("testsuite/testcase[@name='run']/failure")
    assert failure is not None
    assert "refused the credentials" in (failure.get("message") or "")


def _texts(path: Path) -> str:
    """Every text and attribute value of an XML file, unescaped."""
    parts = []
    for element in ET.parse(path).getroot().iter():
        parts.extend([element.text or "", element.tail or "", *element.attrib.values()])
    return "\n".join(parts)


def test_a_token_echoed_by_the_server_is_never_shown(tmp_path: Path) -> None:
    from .echo import TOKEN as ECHOED
    from .echo import echo_app

    report = tmp_path / "contract.xml"
    with FakeServer(echo_app, host="127.0.0.1") as served:  # type: ignore[arg-type]
        result = CliRunner().invoke(
            main,
            [
                "contract",
                "--base-url",
                served.url,
                "--version",
                LATEST,
                "--max-examples",
                "5",
                "--junit-xml",
                str(report),
            ],
            env={"INTERCOM_ACCESS_TOKEN": ECHOED},
        )

    assert result.exit_code == 1, result.output
    assert "bad Authorization header Bearer [redacted]" in result.output, "the echo was shown"
    shown = result.stdout + result.stderr + report.read_text() + _texts(report)
    for spelling in (ECHOED, ECHOED.replace("\\", "\\\\").replace('"', '\\"'), "echo&me"):
        assert spelling not in shown


def test_refused_credentials_are_found_in_process_too() -> None:
    from intercom_phone_switch.contract import Settings, Target, run

    target = Target.in_process(
        FakeIntercom(tokens=["the-right-one"]), "WRONG", sms_free=True, label="fake"
    )
    first, second = run([LATEST, "2.12"], target, settings=Settings(max_examples=5))

    assert not first.ok
    assert first.nothing_checked
    assert first.credentials_refused is not None
    assert "nothing was checked" in first.credentials_refused
    assert second.not_run is not None
    assert "refused the credentials" in second.not_run
    assert not second.ok, "a version not run is not kept"
